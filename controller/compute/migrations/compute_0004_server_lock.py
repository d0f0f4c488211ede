"""Compute: a server can be locked (by its owner or an admin, with a reason), so that
only admins may act on it until it is unlocked.

Revision ID: compute_0004
Revises: compute_0003
Create Date: 2026-12-09
"""
import sqlalchemy as sa
from alembic import op

revision = "compute_0004"
down_revision = "compute_0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("instances") as batch:
        batch.add_column(sa.Column("locked", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("locked_by", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("locked_reason", sa.Text(), nullable=True))
