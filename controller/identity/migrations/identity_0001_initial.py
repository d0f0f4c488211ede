"""Identity: domains, projects, users, roles, implied roles, assignments, catalog, revocations.

Revision ID: identity_0001
Revises:
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "identity_0001"
down_revision = None
branch_labels = ("identity",)
depends_on = None


def _timestamps():
    return [sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=True)]


def upgrade():
    op.create_table(
        "identity_domains",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        *_timestamps())
    op.create_table(
        "identity_projects",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("domain_id", sa.String(64), sa.ForeignKey("identity_domains.id"),
                  nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("domain_id", "name"))
    op.create_table(
        "identity_users",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("domain_id", sa.String(64), sa.ForeignKey("identity_domains.id"),
                  nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("password_expires_at", sa.DateTime(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("default_project_id", sa.String(64), nullable=True),
        sa.Column("email", sa.String(255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        *_timestamps(),
        sa.UniqueConstraint("domain_id", "name"))
    op.create_table(
        "identity_roles",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("description", sa.Text(), nullable=True),
        *_timestamps())
    op.create_table(
        "identity_implied_roles",
        sa.Column("prior_role_id", sa.String(64),
                  sa.ForeignKey("identity_roles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("implied_role_id", sa.String(64),
                  sa.ForeignKey("identity_roles.id", ondelete="CASCADE"), primary_key=True))
    op.create_table(
        "identity_role_assignments",
        sa.Column("user_id", sa.String(64),
                  sa.ForeignKey("identity_users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("project_id", sa.String(64),
                  sa.ForeignKey("identity_projects.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role_id", sa.String(64),
                  sa.ForeignKey("identity_roles.id", ondelete="CASCADE"), primary_key=True))
    op.create_index("ix_identity_role_assignments_project_id", "identity_role_assignments",
                    ["project_id"])
    op.create_table(
        "identity_services",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        *_timestamps())
    op.create_table(
        "identity_endpoints",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("service_id", sa.String(64),
                  sa.ForeignKey("identity_services.id", ondelete="CASCADE"), nullable=False),
        sa.Column("interface", sa.String(8), nullable=False),
        sa.Column("region_id", sa.String(255), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("service_id", "interface", "region_id"))
    op.create_table(
        "identity_revocation_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("audit_id", sa.String(32), nullable=True),
        sa.Column("user_id", sa.String(64), nullable=True),
        sa.Column("project_id", sa.String(64), nullable=True),
        sa.Column("issued_before", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=False))
    op.create_index("ix_identity_revocation_events_revoked_at", "identity_revocation_events",
                    ["revoked_at"])


def downgrade():
    for table in ("identity_revocation_events", "identity_endpoints", "identity_services",
                  "identity_role_assignments", "identity_implied_roles", "identity_roles",
                  "identity_users", "identity_projects", "identity_domains"):
        op.drop_table(table)
