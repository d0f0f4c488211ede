"""Identity: groups and their members; role assignments of users or groups on projects,
domains or the system, or inherited by the projects below (OS-INHERIT) (one polymorphic table, as Keystone's, replacing the user-on-project
one); domain-specific roles; nested projects and project tags; the attributes Keystone keeps for users, projects
and groups without knowing them ("extra"); regions (one for each region endpoints name); credentials; the policy blob store; application credentials.

Revision ID: identity_0002
Revises: identity_0001
Create Date: 2026-12-04
"""
import datetime

import sqlalchemy as sa
from alembic import op

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None


def _timestamps():
    return [sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=True)]


def upgrade():
    op.create_table(
        "identity_groups",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("domain_id", sa.String(64), sa.ForeignKey("identity_domains.id"),
                  nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        *_timestamps(),
        sa.UniqueConstraint("domain_id", "name"))
    op.create_table(
        "identity_group_members",
        sa.Column("group_id", sa.String(64),
                  sa.ForeignKey("identity_groups.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.String(64),
                  sa.ForeignKey("identity_users.id", ondelete="CASCADE"), primary_key=True))
    op.create_index("ix_identity_group_members_user_id", "identity_group_members", ["user_id"])
    assignments = op.create_table(
        "identity_assignments",
        sa.Column("actor_type", sa.String(8), primary_key=True),
        sa.Column("actor_id", sa.String(64), primary_key=True),
        sa.Column("target_type", sa.String(8), primary_key=True),
        sa.Column("target_id", sa.String(64), primary_key=True),
        sa.Column("role_id", sa.String(64),
                  sa.ForeignKey("identity_roles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("inherited", sa.Boolean(), primary_key=True, nullable=False))
    op.create_index("ix_identity_assignments_actor_id", "identity_assignments", ["actor_id"])
    op.create_index("ix_identity_assignments_target", "identity_assignments",
                    ["target_type", "target_id"])
    old = sa.table("identity_role_assignments", sa.column("user_id"), sa.column("project_id"),
                   sa.column("role_id"))
    rows = op.get_bind().execute(sa.select(old.c.user_id, old.c.project_id, old.c.role_id))
    op.bulk_insert(assignments, [
        {"actor_type": "user", "actor_id": user_id, "target_type": "project",
         "target_id": project_id, "role_id": role_id, "inherited": False}
        for user_id, project_id, role_id in rows])
    op.drop_index("ix_identity_role_assignments_project_id", "identity_role_assignments")
    op.drop_table("identity_role_assignments")
    with op.batch_alter_table("identity_roles") as batch:
        batch.add_column(sa.Column("domain_id", sa.String(64), nullable=True))
    with op.batch_alter_table("identity_users") as batch:
        batch.add_column(sa.Column("extra", sa.JSON(), nullable=True))
    with op.batch_alter_table("identity_projects") as batch:
        batch.add_column(sa.Column("extra", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("parent_id", sa.String(64), nullable=True))
        batch.create_foreign_key("fk_identity_projects_parent_id_identity_projects",
                                 "identity_projects", ["parent_id"], ["id"])
        batch.create_index("ix_identity_projects_parent_id", ["parent_id"])
    op.create_table(
        "identity_project_tags",
        sa.Column("project_id", sa.String(64),
                  sa.ForeignKey("identity_projects.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True))
    regions = op.create_table(
        "identity_regions",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("parent_region_id", sa.String(255), sa.ForeignKey("identity_regions.id"),
                  nullable=True),
        *_timestamps())
    endpoints = sa.table("identity_endpoints", sa.column("region_id"))
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    op.bulk_insert(regions, [
        {"id": region_id, "description": "", "created_at": now}
        for (region_id,) in op.get_bind().execute(sa.select(endpoints.c.region_id).distinct())])
    op.create_table(
        "identity_credentials",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64),
                  sa.ForeignKey("identity_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("project_id", sa.String(64), nullable=True),
        sa.Column("type", sa.String(255), nullable=False),
        sa.Column("blob", sa.Text(), nullable=False),
        *_timestamps())
    op.create_index("ix_identity_credentials_user_id", "identity_credentials", ["user_id"])
    op.create_table(
        "identity_policies",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(255), nullable=False),
        sa.Column("blob", sa.Text(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=True),
        *_timestamps())
    op.create_table(
        "identity_application_credentials",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(64),
                  sa.ForeignKey("identity_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("project_id", sa.String(64),
                  sa.ForeignKey("identity_projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("unrestricted", sa.Boolean(), nullable=False),
        sa.Column("role_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("user_id", "name"))
    op.create_index("ix_identity_application_credentials_user_id",
                    "identity_application_credentials", ["user_id"])
