"""Networking: security groups, their rules, ports' membership, each project's default
group, and ports' port_security_enabled.

Revision ID: network_0003
Revises: network_0002
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

from controller.db.migration_columns import neutron_standard

revision = "network_0003"
down_revision = "network_0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "security_groups",
        *neutron_standard(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("stateful", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_groups")),
    )
    op.create_index(op.f("ix_security_groups_project_id"), "security_groups",
                    ["project_id"])
    op.create_table(
        "security_group_rules",
        *neutron_standard(),
        sa.Column("security_group_id", sa.String(36), nullable=False),
        sa.Column("remote_group_id", sa.String(36), nullable=True),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("ethertype", sa.String(8), nullable=False),
        sa.Column("protocol", sa.String(40), nullable=True),
        sa.Column("port_range_min", sa.Integer(), nullable=True),
        sa.Column("port_range_max", sa.Integer(), nullable=True),
        sa.Column("remote_ip_prefix", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_group_rules")),
        sa.ForeignKeyConstraint(
            ["security_group_id"], ["security_groups.id"], ondelete="CASCADE",
            name=op.f("fk_security_group_rules_security_group_id_security_groups")),
        sa.ForeignKeyConstraint(
            ["remote_group_id"], ["security_groups.id"], ondelete="CASCADE",
            name=op.f("fk_security_group_rules_remote_group_id_security_groups")),
    )
    for column in ("project_id", "security_group_id", "remote_group_id"):
        op.create_index(op.f(f"ix_security_group_rules_{column}"), "security_group_rules",
                        [column])
    op.create_table(
        "port_security_groups",
        sa.Column("port_id", sa.String(36), nullable=False),
        sa.Column("security_group_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("port_id", "security_group_id",
                                name=op.f("pk_port_security_groups")),
        sa.ForeignKeyConstraint(["port_id"], ["ports.id"], ondelete="CASCADE",
                                name=op.f("fk_port_security_groups_port_id_ports")),
        sa.ForeignKeyConstraint(
            ["security_group_id"], ["security_groups.id"],
            name=op.f("fk_port_security_groups_security_group_id_security_groups")),
    )
    op.create_index(op.f("ix_port_security_groups_security_group_id"),
                    "port_security_groups", ["security_group_id"])
    op.create_table(
        "default_security_groups",
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("security_group_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_default_security_groups")),
        sa.ForeignKeyConstraint(
            ["security_group_id"], ["security_groups.id"], ondelete="CASCADE",
            name=op.f("fk_default_security_groups_security_group_id_security_groups")),
        sa.UniqueConstraint("security_group_id",
                            name=op.f("uq_default_security_groups_security_group_id")),
    )
    with op.batch_alter_table("ports") as batch:
        batch.add_column(sa.Column("port_security_enabled", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
