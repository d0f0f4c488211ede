"""Compute: the record of each server move (resize, cold migration) for os-migrations and
for the claims it holds on both hosts until it is confirmed or reverted.

Revision ID: compute_0007
Revises: compute_0006
Create Date: 2026-12-10
"""
import sqlalchemy as sa
from alembic import op

revision = "compute_0007"
down_revision = "compute_0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "migrations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("instance_uuid", sa.String(length=36), nullable=False),
        sa.Column("migration_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("source_compute", sa.String(length=255), nullable=True),
        sa.Column("source_node", sa.String(length=255), nullable=True),
        sa.Column("dest_compute", sa.String(length=255), nullable=True),
        sa.Column("dest_node", sa.String(length=255), nullable=True),
        sa.Column("dest_host", sa.String(length=255), nullable=True),
        sa.Column("old_flavor", sa.JSON(), nullable=False),
        sa.Column("new_flavor", sa.JSON(), nullable=False),
        sa.Column("old_vm_state", sa.String(length=16), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_migrations")),
        sa.UniqueConstraint("uuid", name=op.f("uq_migrations_uuid")))
    op.create_index(op.f("ix_migrations_instance_uuid"), "migrations", ["instance_uuid"])
    op.create_index(op.f("ix_migrations_status"), "migrations", ["status"])
