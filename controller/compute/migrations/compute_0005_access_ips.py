"""Compute: a server keeps the access addresses its user gives (accessIPv4/accessIPv6)
and whether its disk is configured automatically (OS-DCF:diskConfig AUTO).

Revision ID: compute_0005
Revises: compute_0004
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "compute_0005"
down_revision = "compute_0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("instances") as batch:
        batch.add_column(sa.Column("access_ip_v4", sa.String(length=39), nullable=True))
        batch.add_column(sa.Column("access_ip_v6", sa.String(length=39), nullable=True))
        batch.add_column(sa.Column("auto_disk_config", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
