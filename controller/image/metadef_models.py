"""The metadata definitions catalog (Glance's "metadefs"): namespaces that describe
properties an image, volume, flavor or other resource may carry, grouped in objects,
tagged, and associated with the resource types they apply to.

A namespace owns its objects, properties, tags and resource type associations: deleting
it deletes them. Property and object schemas are kept as JSON documents, as Glance does.
"""
import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from controller.db.base import Base, utcnow


class _Times:
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow)


def _namespace_fk():
    return mapped_column(Integer, ForeignKey("metadef_namespaces.id", ondelete="CASCADE"),
                         index=True)


def _contents(order_by, lazy="select"):
    return relationship(cascade="all, delete-orphan", passive_deletes=True,
                        back_populates="namespace", order_by=order_by, lazy=lazy)


class MetadefNamespace(_Times, Base):
    __tablename__ = "metadef_namespaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    namespace: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(32), default="private")
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    owner: Mapped[str] = mapped_column(String(255), index=True)

    objects: Mapped[list["MetadefObject"]] = _contents("MetadefObject.id")
    properties: Mapped[list["MetadefProperty"]] = _contents("MetadefProperty.id")
    tags: Mapped[list["MetadefTag"]] = _contents("MetadefTag.id")
    associations: Mapped[list["MetadefAssociation"]] = _contents(
        "MetadefAssociation.created_at", lazy="selectin")


class MetadefObject(_Times, Base):
    __tablename__ = "metadef_objects"
    __table_args__ = (UniqueConstraint("namespace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    namespace_id: Mapped[int] = _namespace_fk()
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str | None] = mapped_column(Text)
    required: Mapped[list | None] = mapped_column(JSON)
    properties: Mapped[dict | None] = mapped_column(JSON)

    namespace: Mapped[MetadefNamespace] = relationship(back_populates="objects")


class MetadefProperty(_Times, Base):
    __tablename__ = "metadef_properties"
    __table_args__ = (UniqueConstraint("namespace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    namespace_id: Mapped[int] = _namespace_fk()
    name: Mapped[str] = mapped_column(String(80))
    schema: Mapped[dict] = mapped_column(JSON)      # title, type, enum, ... (not the name)

    namespace: Mapped[MetadefNamespace] = relationship(back_populates="properties")


class MetadefTag(_Times, Base):
    __tablename__ = "metadef_tags"
    __table_args__ = (UniqueConstraint("namespace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    namespace_id: Mapped[int] = _namespace_fk()
    name: Mapped[str] = mapped_column(String(80))

    namespace: Mapped[MetadefNamespace] = relationship(back_populates="tags")


class MetadefResourceType(_Times, Base):
    """A kind of resource namespaces apply to (``OS::Glance::Image``, ...). Created on
    first association; the ones Glance ships are protected."""
    __tablename__ = "metadef_resource_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)


class MetadefAssociation(_Times, Base):
    """A namespace applies to a resource type, its properties named with ``prefix``."""
    __tablename__ = "metadef_namespace_resource_types"

    namespace_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("metadef_namespaces.id", ondelete="CASCADE"), primary_key=True)
    resource_type_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("metadef_resource_types.id"), primary_key=True)
    prefix: Mapped[str | None] = mapped_column(String(80))
    properties_target: Mapped[str | None] = mapped_column(String(80))

    namespace: Mapped[MetadefNamespace] = relationship(back_populates="associations")
    resource_type: Mapped[MetadefResourceType] = relationship(lazy="joined")
