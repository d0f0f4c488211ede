"""Declarative base and column helpers shared by every service's models."""
import datetime
import uuid

from sqlalchemy import DateTime, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Explicit constraint names keep Alembic migrations identical on SQLite, PostgreSQL, MySQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow():
    """Naive UTC now: what every DateTime column stores (SQLite keeps no zone)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def new_uuid():
    return str(uuid.uuid4())


class TimestampMixin:
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, onupdate=utcnow)


def uuid_pk():
    return mapped_column(String(36), primary_key=True, default=new_uuid)


def isotime(value):
    """Datetime → the ISO 8601 form OpenStack APIs return (``2026-11-24T08:00:00Z``)."""
    if value is None:
        return None
    return value.replace(microsecond=0).isoformat() + "Z"
