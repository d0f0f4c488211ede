"""Images: records, custom properties, tags and members.

Revision ID: image_0001
Revises:
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "image_0001"
down_revision = None
branch_labels = ("image",)
depends_on = None


def upgrade():
    op.create_table(
        "images",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=True),
        sa.Column("owner", sa.String(255), nullable=True),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("visibility", sa.String(20), nullable=False),
        sa.Column("protected", sa.Boolean(), nullable=False),
        sa.Column("os_hidden", sa.Boolean(), nullable=False),
        sa.Column("disk_format", sa.String(32), nullable=True),
        sa.Column("container_format", sa.String(32), nullable=True),
        sa.Column("min_disk", sa.Integer(), nullable=False),
        sa.Column("min_ram", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("virtual_size", sa.BigInteger(), nullable=True),
        sa.Column("checksum", sa.String(32), nullable=True),
        sa.Column("os_hash_algo", sa.String(64), nullable=True),
        sa.Column("os_hash_value", sa.String(128), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_images")),
    )
    for column in ("name", "owner", "status", "visibility"):
        op.create_index(op.f(f"ix_images_{column}"), "images", [column])
    op.create_table(
        "image_properties",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("image_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE",
                                name=op.f("fk_image_properties_image_id_images")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_image_properties")),
        sa.UniqueConstraint("image_id", "name", name=op.f("uq_image_properties_image_id")),
    )
    op.create_index(op.f("ix_image_properties_image_id"), "image_properties", ["image_id"])
    op.create_table(
        "image_tags",
        sa.Column("image_id", sa.String(36), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE",
                                name=op.f("fk_image_tags_image_id_images")),
        sa.PrimaryKeyConstraint("image_id", "value", name=op.f("pk_image_tags")),
    )
    op.create_table(
        "image_members",
        sa.Column("image_id", sa.String(36), nullable=False),
        sa.Column("member", sa.String(255), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE",
                                name=op.f("fk_image_members_image_id_images")),
        sa.PrimaryKeyConstraint("image_id", "member", name=op.f("pk_image_members")),
    )
    op.create_index(op.f("ix_image_members_member"), "image_members", ["member"])


def downgrade():
    op.drop_table("image_members")
    op.drop_table("image_tags")
    op.drop_table("image_properties")
    op.drop_table("images")
