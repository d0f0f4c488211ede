"""Networking, L3: router:external on networks, routers and floating IPs.

Revision ID: network_0004
Revises: network_0003
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

from controller.db.migration_columns import neutron_standard

revision = "network_0004"
down_revision = "network_0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("networks") as batch:
        batch.add_column(sa.Column("router_external", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "routers",
        *neutron_standard(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        sa.Column("gw_port_id", sa.String(36), nullable=True),
        sa.Column("enable_snat", sa.Boolean(), nullable=False),
        sa.Column("routes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routers")),
        sa.ForeignKeyConstraint(["gw_port_id"], ["ports.id"],
                                name=op.f("fk_routers_gw_port_id_ports")),
    )
    op.create_index(op.f("ix_routers_project_id"), "routers", ["project_id"])
    op.create_table(
        "floatingips",
        *neutron_standard(),
        sa.Column("floating_network_id", sa.String(36), nullable=False),
        sa.Column("floating_port_id", sa.String(36), nullable=False),
        sa.Column("floating_ip_address", sa.String(64), nullable=False),
        sa.Column("fixed_port_id", sa.String(36), nullable=True),
        sa.Column("fixed_ip_address", sa.String(64), nullable=True),
        sa.Column("router_id", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_floatingips")),
        sa.ForeignKeyConstraint(["floating_network_id"], ["networks.id"],
                                name=op.f("fk_floatingips_floating_network_id_networks")),
        sa.ForeignKeyConstraint(["floating_port_id"], ["ports.id"],
                                name=op.f("fk_floatingips_floating_port_id_ports")),
        sa.ForeignKeyConstraint(["fixed_port_id"], ["ports.id"],
                                name=op.f("fk_floatingips_fixed_port_id_ports")),
        sa.ForeignKeyConstraint(["router_id"], ["routers.id"],
                                name=op.f("fk_floatingips_router_id_routers")),
        sa.UniqueConstraint("floating_network_id", "fixed_port_id", "fixed_ip_address",
                            name=op.f("uq_floatingips_floating_network_id")),
    )
    op.create_index(op.f("ix_floatingips_project_id"), "floatingips", ["project_id"])
    op.create_index(op.f("ix_floatingips_fixed_port_id"), "floatingips", ["fixed_port_id"])
    op.create_index(op.f("ix_floatingips_router_id"), "floatingips", ["router_id"])
