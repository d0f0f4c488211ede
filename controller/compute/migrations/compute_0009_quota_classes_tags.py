"""Compute: quota classes (os-quota-class-sets), the ``default`` class's limits being
every project's defaults; per-user quotas; servers' tags.

Revision ID: compute_0009
Revises: compute_0008
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "compute_0009"
down_revision = "compute_0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "quota_classes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("class_name", sa.String(length=255), nullable=False),
        sa.Column("resource", sa.String(length=255), nullable=False),
        sa.Column("hard_limit", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_classes")),
        sa.UniqueConstraint("class_name", "resource",
                            name=op.f("uq_quota_classes_class_name")))
    op.create_table(
        "project_user_quotas",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("resource", sa.String(length=255), nullable=False),
        sa.Column("hard_limit", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_user_quotas")),
        sa.UniqueConstraint("project_id", "user_id", "resource",
                            name=op.f("uq_project_user_quotas_project_id")))
    op.create_table(
        "instance_tags",
        sa.Column("instance_uuid", sa.String(length=36), nullable=False),
        sa.Column("tag", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["instance_uuid"], ["instances.uuid"], ondelete="CASCADE",
                                name=op.f("fk_instance_tags_instance_uuid_instances")),
        sa.PrimaryKeyConstraint("instance_uuid", "tag", name=op.f("pk_instance_tags")))
