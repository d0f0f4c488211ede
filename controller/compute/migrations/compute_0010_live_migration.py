"""Compute: how far a live migration got (Nova's migration progress columns).

Revision ID: compute_0010
Revises: compute_0008
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "compute_0010"
down_revision = "compute_0009"
branch_labels = None
depends_on = None

COLUMNS = ("memory_total_bytes", "memory_processed_bytes", "memory_remaining_bytes",
           "disk_total_bytes", "disk_processed_bytes", "disk_remaining_bytes")


def upgrade():
    with op.batch_alter_table("migrations") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=True))
