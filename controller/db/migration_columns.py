"""Column sets that several migrations create.

Frozen like the migrations that use them: a migration that has run must go on creating
the same table, so a new shape is a new function here, never an edit of one.
"""
import sqlalchemy as sa


def neutron_standard(with_name=False):
    """The attributes every Neutron resource carries: id, project, (name,) description,
    revision number and timestamps."""
    name = [sa.Column("name", sa.String(255), nullable=False)] if with_name else []
    return [sa.Column("id", sa.String(36), nullable=False),
            sa.Column("project_id", sa.String(64), nullable=False),
            *name,
            sa.Column("description", sa.String(255), nullable=False),
            sa.Column("revision_number", sa.Integer(), nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=True)]
