"""Compute: one-time console tokens (hashed, expiring, bound to a server).

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
    op.create_table(
        "console_auth_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("console_type", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("internal_access_path", sa.String(length=255), nullable=True),
        sa.Column("instance_uuid", sa.String(length=36), nullable=False),
        sa.Column("expires", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_auth_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_auth_tokens_token_hash")))
    op.create_index(op.f("ix_console_auth_tokens_instance_uuid"), "console_auth_tokens",
                    ["instance_uuid"])
    op.create_index(op.f("ix_console_auth_tokens_expires"), "console_auth_tokens",
                    ["expires"])
