"""Scheduler: services carry Nova's binary names (nova-compute, nova-conductor,
nova-scheduler), which clients filter on, instead of pocketstack's process names; compute
nodes keep their host's address (the hypervisors' host_ip).

Revision ID: scheduler_0002
Revises: scheduler_0001
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "scheduler_0002"
down_revision = "scheduler_0001"
branch_labels = None
depends_on = None

# Frozen here: the names this revision renames from and to.
RENAMES = (("pocketstack-agent", "nova-compute"),
           ("pocketstack-conductor", "nova-conductor"),
           ("pocketstack-scheduler", "nova-scheduler"))


def upgrade():
    with op.batch_alter_table("compute_nodes") as batch:
        batch.add_column(sa.Column("host_ip", sa.String(length=39), nullable=True))
    services = sa.table("services", sa.column("binary", sa.String))
    for old, new in RENAMES:
        op.execute(services.update().where(services.c.binary == old).values(binary=new))
