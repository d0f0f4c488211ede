"""The controller's database: one SQLAlchemy engine, one declarative base, Alembic migrations.

Only the APIs, the scheduler and the conductor use this package; agents reach the
database through the conductor alone.
"""
