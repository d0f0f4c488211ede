"""Networking: per-project quota limits, and the per-project rows creates lock while they
count against them.

Revision ID: network_0002
Revises: network_0001
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "network_0002"
down_revision = "network_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "network_quotas",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("resource", sa.String(255), nullable=False),
        sa.Column("hard_limit", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_quotas")),
        sa.UniqueConstraint("project_id", "resource",
                            name=op.f("uq_network_quotas_project_id")),
    )
    op.create_table(
        "network_quota_locks",
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_network_quota_locks")),
    )

