"""Compute: the snapshot image a shelved server is unshelved from.

Revision ID: compute_0008
Revises: compute_0007
Create Date: 2026-12-10
"""
import sqlalchemy as sa
from alembic import op

revision = "compute_0008"
down_revision = "compute_0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("instances") as batch:
        batch.add_column(sa.Column("shelved_image_id", sa.String(length=36), nullable=True))
