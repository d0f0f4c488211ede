"""Metadata definitions (metadefs): namespaces, their objects, properties, tags and
resource type associations; the resource types Glance ships, protected. Tasks (the
legacy import task).

Revision ID: image_0002
Revises: image_0001
Create Date: 2026-12-04
"""
import datetime

import sqlalchemy as sa
from alembic import op

revision = "image_0002"
down_revision = "image_0001"
branch_labels = None
depends_on = None

RESOURCE_TYPES = ("OS::Glance::Image", "OS::Cinder::Volume", "OS::Nova::Flavor",
                  "OS::Nova::Aggregate", "OS::Nova::Server")


def _times():
    return [sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=True)]


def _content_table(name, *columns):
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("namespace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        *columns,
        *_times(),
        sa.ForeignKeyConstraint(["namespace_id"], ["metadef_namespaces.id"],
                                ondelete="CASCADE",
                                name=op.f(f"fk_{name}_namespace_id_metadef_namespaces")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("namespace_id", "name", name=op.f(f"uq_{name}_namespace_id")),
    )
    op.create_index(op.f(f"ix_{name}_namespace_id"), name, ["namespace_id"])


def upgrade():
    op.create_table(
        "metadef_namespaces",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("namespace", sa.String(80), nullable=False),
        sa.Column("display_name", sa.String(80), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("visibility", sa.String(32), nullable=False),
        sa.Column("protected", sa.Boolean(), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        *_times(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metadef_namespaces")),
        sa.UniqueConstraint("namespace", name=op.f("uq_metadef_namespaces_namespace")),
    )
    op.create_index(op.f("ix_metadef_namespaces_owner"), "metadef_namespaces", ["owner"])
    _content_table("metadef_objects",
                   sa.Column("description", sa.Text(), nullable=True),
                   sa.Column("required", sa.JSON(), nullable=True),
                   sa.Column("properties", sa.JSON(), nullable=True))
    _content_table("metadef_properties", sa.Column("schema", sa.JSON(), nullable=False))
    _content_table("metadef_tags")
    resource_types = op.create_table(
        "metadef_resource_types",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("protected", sa.Boolean(), nullable=False),
        *_times(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metadef_resource_types")),
        sa.UniqueConstraint("name", name=op.f("uq_metadef_resource_types_name")),
    )
    op.create_table(
        "metadef_namespace_resource_types",
        sa.Column("namespace_id", sa.Integer(), nullable=False),
        sa.Column("resource_type_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(80), nullable=True),
        sa.Column("properties_target", sa.String(80), nullable=True),
        *_times(),
        sa.ForeignKeyConstraint(
            ["namespace_id"], ["metadef_namespaces.id"], ondelete="CASCADE",
            name=op.f("fk_metadef_namespace_resource_types_namespace_id_metadef_namespaces")),
        sa.ForeignKeyConstraint(
            ["resource_type_id"], ["metadef_resource_types.id"],
            name=op.f("fk_metadef_namespace_resource_types_resource_type_id_metadef_"
                      "resource_types")),
        sa.PrimaryKeyConstraint("namespace_id", "resource_type_id",
                                name=op.f("pk_metadef_namespace_resource_types")),
    )
    op.create_table(
        "image_tasks",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(30), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=True),
        sa.Column("input", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("image_id", sa.String(36), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        *_times(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_image_tasks")),
    )
    op.create_index(op.f("ix_image_tasks_owner"), "image_tasks", ["owner"])
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    op.bulk_insert(resource_types, [
        {"name": name, "protected": True, "created_at": now, "updated_at": now}
        for name in RESOURCE_TYPES])


def downgrade():
    op.drop_table("image_tasks")
    op.drop_table("metadef_namespace_resource_types")
    op.drop_table("metadef_resource_types")
    op.drop_table("metadef_tags")
    op.drop_table("metadef_properties")
    op.drop_table("metadef_objects")
    op.drop_table("metadef_namespaces")
