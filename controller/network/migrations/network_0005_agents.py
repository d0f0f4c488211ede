"""Networking: the descriptions given to agents (the agents themselves are the hosts').

Revision ID: network_0005
Revises: network_0004
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "network_0005"
down_revision = "network_0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "network_agents",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("description", sa.String(255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_agents")),
    )


def downgrade():
    op.drop_table("network_agents")
