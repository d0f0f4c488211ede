"""Compute: host aggregates, their hosts and their metadata (whose availability_zone key
puts the hosts in a zone).

Revision ID: compute_0003
Revises: compute_0002
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "compute_0003"
down_revision = "compute_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "aggregates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aggregates")),
        sa.UniqueConstraint("name", name=op.f("uq_aggregates_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_aggregates_uuid")))
    op.create_table(
        "aggregate_hosts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("aggregate_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["aggregate_id"], ["aggregates.id"],
                                name=op.f("fk_aggregate_hosts_aggregate_id_aggregates"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aggregate_hosts")),
        sa.UniqueConstraint("aggregate_id", "host",
                            name=op.f("uq_aggregate_hosts_aggregate_id")))
    op.create_index(op.f("ix_aggregate_hosts_aggregate_id"), "aggregate_hosts",
                    ["aggregate_id"])
    op.create_index(op.f("ix_aggregate_hosts_host"), "aggregate_hosts", ["host"])
    op.create_table(
        "aggregate_metadata",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("aggregate_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["aggregate_id"], ["aggregates.id"],
                                name=op.f("fk_aggregate_metadata_aggregate_id_aggregates"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aggregate_metadata")),
        sa.UniqueConstraint("aggregate_id", "key",
                            name=op.f("uq_aggregate_metadata_aggregate_id")))
    op.create_index(op.f("ix_aggregate_metadata_aggregate_id"), "aggregate_metadata",
                    ["aggregate_id"])
    op.create_index(op.f("ix_aggregate_metadata_key"), "aggregate_metadata", ["key"])
