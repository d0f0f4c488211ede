"""Compute: a block device mapping remembers its volume attachment (Cinder's attachment
id), so detaching and deleting a server end exactly that attachment.

Revision ID: compute_0002
Revises: compute_0001
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "compute_0002"
down_revision = "compute_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("block_device_mappings",
                  sa.Column("attachment_id", sa.String(length=36), nullable=True))
