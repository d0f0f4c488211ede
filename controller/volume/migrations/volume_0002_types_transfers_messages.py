"""Block storage: private volume types name the projects that may use them
(volume_type_projects); QoS specs and their association with types; volume transfers;
user messages; a volume's admin metadata (the read-only flag); a snapshot's progress as
reported with os-update_snapshot_status; volume services an admin disabled or froze.

Revision ID: volume_0002
Revises: volume_0001
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "volume_0002"
down_revision = "volume_0001"
branch_labels = None
depends_on = None


def _timestamps():
    return [sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=True)]


def upgrade():
    op.create_table(
        "volume_type_projects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("volume_type_id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["volume_type_id"], ["volume_types.id"],
                                name=op.f("fk_volume_type_projects_volume_type_id_volume_types"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volume_type_projects")),
        sa.UniqueConstraint("volume_type_id", "project_id",
                            name=op.f("uq_volume_type_projects_volume_type_id")))
    op.create_table(
        "volume_qos_specs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("consumer", sa.String(16), nullable=False),
        sa.Column("specs", sa.JSON(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volume_qos_specs")),
        sa.UniqueConstraint("name", name=op.f("uq_volume_qos_specs_name")))
    with op.batch_alter_table("volume_types") as batch:
        batch.add_column(sa.Column("qos_specs_id", sa.String(36), nullable=True))
    with op.batch_alter_table("volumes") as batch:
        batch.add_column(sa.Column("admin_metadata", sa.JSON(), nullable=False,
                                   server_default="{}"))
    with op.batch_alter_table("volume_snapshots") as batch:
        batch.add_column(sa.Column("progress", sa.String(255), nullable=True))
    op.create_table(
        "volume_transfers",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("volume_id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("salt", sa.String(255), nullable=False),
        sa.Column("crypt_hash", sa.String(255), nullable=False),
        sa.Column("no_snapshots", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volume_transfers")),
        sa.UniqueConstraint("volume_id", name=op.f("uq_volume_transfers_volume_id")))
    op.create_table(
        "volume_messages",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(255), nullable=True),
        sa.Column("resource_type", sa.String(36), nullable=False),
        sa.Column("resource_uuid", sa.String(36), nullable=True),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("message_level", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volume_messages")))
    op.create_index(op.f("ix_volume_messages_project_id"), "volume_messages",
                    ["project_id"])
    op.create_table(
        "volume_services",
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(255), nullable=True),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("host", name=op.f("pk_volume_services")))
