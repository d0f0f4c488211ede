"""Networking: networks, subnets, ports and their IP allocations.

Revision ID: network_0001
Revises:
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

from controller.db.migration_columns import neutron_standard

revision = "network_0001"
down_revision = None
branch_labels = ("network",)
depends_on = None


def upgrade():
    op.create_table(
        "networks",
        *neutron_standard(with_name=True),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("mtu", sa.Integer(), nullable=False),
        sa.Column("network_type", sa.String(16), nullable=False),
        sa.Column("segmentation_id", sa.Integer(), nullable=True),
        sa.Column("physical_network", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_networks")),
        sa.UniqueConstraint("segmentation_id", "network_type",
                            name=op.f("uq_networks_segmentation_id")),
        sa.UniqueConstraint("physical_network", "network_type",
                            name=op.f("uq_networks_physical_network")),
    )
    op.create_index(op.f("ix_networks_project_id"), "networks", ["project_id"])
    op.create_table(
        "subnets",
        *neutron_standard(with_name=True),
        sa.Column("network_id", sa.String(36), nullable=False),
        sa.Column("ip_version", sa.Integer(), nullable=False),
        sa.Column("cidr", sa.String(64), nullable=False),
        sa.Column("gateway_ip", sa.String(64), nullable=True),
        sa.Column("enable_dhcp", sa.Boolean(), nullable=False),
        sa.Column("allocation_pools", sa.JSON(), nullable=False),
        sa.Column("dns_nameservers", sa.JSON(), nullable=False),
        sa.Column("host_routes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subnets")),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_subnets_network_id_networks")),
    )
    op.create_index(op.f("ix_subnets_project_id"), "subnets", ["project_id"])
    op.create_index(op.f("ix_subnets_network_id"), "subnets", ["network_id"])
    op.create_table(
        "ports",
        *neutron_standard(with_name=True),
        sa.Column("network_id", sa.String(36), nullable=False),
        sa.Column("mac_address", sa.String(32), nullable=False),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        sa.Column("device_id", sa.String(255), nullable=False),
        sa.Column("device_owner", sa.String(255), nullable=False),
        sa.Column("binding_host_id", sa.String(255), nullable=False),
        sa.Column("binding_profile", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ports")),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_ports_network_id_networks")),
        sa.UniqueConstraint("network_id", "mac_address",
                            name=op.f("uq_ports_network_id")),
    )
    op.create_index(op.f("ix_ports_project_id"), "ports", ["project_id"])
    op.create_index(op.f("ix_ports_network_id"), "ports", ["network_id"])
    op.create_index(op.f("ix_ports_device_id"), "ports", ["device_id"])
    op.create_table(
        "ip_allocations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("port_id", sa.String(36), nullable=False),
        sa.Column("subnet_id", sa.String(36), nullable=False),
        sa.Column("network_id", sa.String(36), nullable=False),
        sa.Column("ip_address", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ip_allocations")),
        sa.ForeignKeyConstraint(["port_id"], ["ports.id"], ondelete="CASCADE",
                                name=op.f("fk_ip_allocations_port_id_ports")),
        sa.ForeignKeyConstraint(["subnet_id"], ["subnets.id"],
                                name=op.f("fk_ip_allocations_subnet_id_subnets")),
        sa.UniqueConstraint("subnet_id", "ip_address",
                            name=op.f("uq_ip_allocations_subnet_id")),
    )
    op.create_index(op.f("ix_ip_allocations_port_id"), "ip_allocations", ["port_id"])
    op.create_index(op.f("ix_ip_allocations_subnet_id"), "ip_allocations", ["subnet_id"])
    op.create_index(op.f("ix_ip_allocations_network_id"), "ip_allocations", ["network_id"])
