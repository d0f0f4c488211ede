"""Image records: core attributes as columns, custom properties, tags and members as rows.

Owners and members are project ids from identity, kept as plain strings (no foreign keys
across services).
"""
import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, ForeignKey, Integer, String,
                        Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from controller.db.base import Base, TimestampMixin, utcnow, uuid_pk


class Image(TimestampMixin, Base):
    __tablename__ = "images"

    id: Mapped[str] = uuid_pk()
    name: Mapped[str | None] = mapped_column(String(255), index=True)
    owner: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(30), index=True)
    visibility: Mapped[str] = mapped_column(String(20), index=True)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    os_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    disk_format: Mapped[str | None] = mapped_column(String(32))
    container_format: Mapped[str | None] = mapped_column(String(32))
    min_disk: Mapped[int] = mapped_column(Integer, default=0)
    min_ram: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int | None] = mapped_column(BigInteger)
    virtual_size: Mapped[int | None] = mapped_column(BigInteger)
    checksum: Mapped[str | None] = mapped_column(String(32))
    os_hash_algo: Mapped[str | None] = mapped_column(String(64))
    os_hash_value: Mapped[str | None] = mapped_column(String(128))

    properties: Mapped[list["ImageProperty"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin")
    tags: Mapped[list["ImageTag"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin")
    members: Mapped[list["ImageMember"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin",
        back_populates="image")


class ImageProperty(Base):
    __tablename__ = "image_properties"
    __table_args__ = (UniqueConstraint("image_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    image_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("images.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(Text)


class ImageTag(Base):
    __tablename__ = "image_tags"

    image_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("images.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)


class ImageMember(Base):
    __tablename__ = "image_members"

    image_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("images.id", ondelete="CASCADE"), primary_key=True)
    member: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, onupdate=utcnow)

    image: Mapped[Image] = relationship(back_populates="members")


class ImageTask(TimestampMixin, Base):
    """An asynchronous task (Glance's legacy ``import`` task): its input as given, and
    its result or failure message once it ran."""
    __tablename__ = "image_tasks"

    id: Mapped[str] = uuid_pk()
    type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30))
    owner: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[str | None] = mapped_column(String(255))
    input: Mapped[dict | None] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(Text, default="")
    image_id: Mapped[str | None] = mapped_column(String(36))
    expires_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
