"""Compute: a server keeps the access addresses its user gives (accessIPv4/accessIPv6)
and whether its disk is configured automatically (OS-DCF:diskConfig AUTO); a private
flavor lists the projects that may use it (flavor_projects).

Revision ID: compute_0006
Revises: compute_0005
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "compute_0006"
down_revision = "compute_0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("instances") as batch:
        batch.add_column(sa.Column("access_ip_v4", sa.String(length=39), nullable=True))
        batch.add_column(sa.Column("access_ip_v6", sa.String(length=39), nullable=True))
        batch.add_column(sa.Column("auto_disk_config", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "flavor_projects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("flavor_id", sa.String(length=255), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["flavor_id"], ["flavors.id"],
                                name=op.f("fk_flavor_projects_flavor_id_flavors"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flavor_projects")),
        sa.UniqueConstraint("flavor_id", "project_id",
                            name=op.f("uq_flavor_projects_flavor_id")))
    op.create_index(op.f("ix_flavor_projects_flavor_id"), "flavor_projects", ["flavor_id"],
                    unique=False)
