"""Identity: endpoint filtering (OS-EP-FILTER): endpoint groups, and the endpoints and
endpoint groups given to projects.

Revision ID: identity_0003
Revises: identity_0002
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "identity_0003"
down_revision = "identity_0002"
branch_labels = None
depends_on = None


def _project_column(table):
    return [sa.Column("project_id", sa.String(64), nullable=False),
            sa.ForeignKeyConstraint(["project_id"], ["identity_projects.id"],
                                    ondelete="CASCADE",
                                    name=op.f(f"fk_{table}_project_id_identity_projects"))]


def upgrade():
    op.create_table(
        "identity_endpoint_groups",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_endpoint_groups")),
    )
    op.create_table(
        "identity_project_endpoint_groups",
        sa.Column("endpoint_group_id", sa.String(64), nullable=False),
        *_project_column("identity_project_endpoint_groups"),
        sa.ForeignKeyConstraint(
            ["endpoint_group_id"], ["identity_endpoint_groups.id"], ondelete="CASCADE",
            name=op.f("fk_identity_project_endpoint_groups_endpoint_group_id_identity_"
                      "endpoint_groups")),
        sa.PrimaryKeyConstraint("endpoint_group_id", "project_id",
                                name=op.f("pk_identity_project_endpoint_groups")),
    )
    op.create_table(
        "identity_project_endpoints",
        sa.Column("endpoint_id", sa.String(64), nullable=False),
        *_project_column("identity_project_endpoints"),
        sa.ForeignKeyConstraint(
            ["endpoint_id"], ["identity_endpoints.id"], ondelete="CASCADE",
            name=op.f("fk_identity_project_endpoints_endpoint_id_identity_endpoints")),
        sa.PrimaryKeyConstraint("endpoint_id", "project_id",
                                name=op.f("pk_identity_project_endpoints")),
    )


def downgrade():
    op.drop_table("identity_project_endpoints")
    op.drop_table("identity_project_endpoint_groups")
    op.drop_table("identity_endpoint_groups")
