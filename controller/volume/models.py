"""Tables of the block storage service. Other services' objects (projects, users,
images, servers) are referenced by UUID string only."""
import datetime

from sqlalchemy import (JSON, Boolean, DateTime, ForeignKey, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from controller.db.base import Base, TimestampMixin, uuid_pk

DEFAULT_TYPE_NAME = "__DEFAULT__"


class VolumeType(TimestampMixin, Base):
    __tablename__ = "volume_types"

    id: Mapped[str] = uuid_pk()
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(String(255))
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    extra_specs: Mapped[dict] = mapped_column(JSON, default=dict)
    qos_specs_id: Mapped[str | None] = mapped_column(String(36))


class VolumeTypeProject(Base):
    """A project that may use a private volume type."""

    __tablename__ = "volume_type_projects"
    __table_args__ = (UniqueConstraint("volume_type_id", "project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    volume_type_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("volume_types.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(String(64))


class QosSpecs(TimestampMixin, Base):
    """Quality-of-service limits a volume type may carry (``consumer``: who applies them)."""

    __tablename__ = "volume_qos_specs"

    id: Mapped[str] = uuid_pk()
    name: Mapped[str] = mapped_column(String(255), unique=True)
    consumer: Mapped[str] = mapped_column(String(16), default="back-end")
    specs: Mapped[dict] = mapped_column(JSON, default=dict)


class Volume(TimestampMixin, Base):
    __tablename__ = "volumes"

    id: Mapped[str] = uuid_pk()
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    # Why the volume is in an error status, for the owner to read.
    status_reason: Mapped[str | None] = mapped_column(Text)
    volume_type_id: Mapped[str] = mapped_column(String(36))
    snapshot_id: Mapped[str | None] = mapped_column(String(36))
    source_volid: Mapped[str | None] = mapped_column(String(36))
    image_id: Mapped[str | None] = mapped_column(String(36))
    # Properties of the image the volume was made from (Cinder's volume_image_metadata).
    image_metadata: Mapped[dict] = mapped_column(JSON, default=dict)
    bootable: Mapped[bool] = mapped_column(Boolean, default=False)
    metadata_: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    availability_zone: Mapped[str] = mapped_column(String(255))
    # The storage host that keeps the file and serves its export.
    host: Mapped[str] = mapped_column(String(255))
    # Set by admins and the service, not by the owner (Cinder's admin metadata):
    # ``readonly`` ("True"/"False") and ``attached_mode``.
    admin_metadata: Mapped[dict] = mapped_column(JSON, default=dict)


class Snapshot(TimestampMixin, Base):
    __tablename__ = "volume_snapshots"

    id: Mapped[str] = uuid_pk()
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str] = mapped_column(String(64))
    volume_id: Mapped[str] = mapped_column(String(36), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    status_reason: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    # As reported with os-update_snapshot_status (None: follows the status).
    progress: Mapped[str | None] = mapped_column(String(255))


class Attachment(TimestampMixin, Base):
    """A volume attached (or being attached) to an instance on a compute host."""

    __tablename__ = "volume_attachments"

    id: Mapped[str] = uuid_pk()
    volume_id: Mapped[str] = mapped_column(String(36), index=True)
    project_id: Mapped[str] = mapped_column(String(64))
    instance_uuid: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(32))
    attach_mode: Mapped[str] = mapped_column(String(8), default="rw")
    connector: Mapped[dict | None] = mapped_column(JSON)
    attached_host: Mapped[str | None] = mapped_column(String(255))
    mountpoint: Mapped[str | None] = mapped_column(String(255))
    attach_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)


class Export(Base):
    """The NBD export of a volume: one qemu-storage-daemon on ``host``:``port``.

    Kept in the database so a restarted service brings back the exports of attached
    volumes on the same ports their guests are connected to.
    """

    __tablename__ = "volume_exports"
    __table_args__ = (UniqueConstraint("host", "port"),)

    volume_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)


class Transfer(TimestampMixin, Base):
    """A volume offered to another project: whoever shows the id and the key takes it.
    Only a salted hash of the key is kept."""

    __tablename__ = "volume_transfers"

    id: Mapped[str] = uuid_pk()
    volume_id: Mapped[str] = mapped_column(String(36), unique=True)
    project_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    salt: Mapped[str] = mapped_column(String(255))
    crypt_hash: Mapped[str] = mapped_column(String(255))
    no_snapshots: Mapped[bool] = mapped_column(Boolean, default=False)


class Message(TimestampMixin, Base):
    """A user message: why an asynchronous request failed, for the project to read."""

    __tablename__ = "volume_messages"

    id: Mapped[str] = uuid_pk()
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    request_id: Mapped[str | None] = mapped_column(String(255))
    resource_type: Mapped[str] = mapped_column(String(36))
    resource_uuid: Mapped[str | None] = mapped_column(String(36))
    event_id: Mapped[str] = mapped_column(String(255))
    message_level: Mapped[str] = mapped_column(String(255), default="ERROR")
    expires_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)


class VolumeService(Base):
    """A storage host's volume service an admin disabled or froze (no row: neither)."""

    __tablename__ = "volume_services"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)


class QuotaLimit(Base):
    """A project's limit on one resource, where it differs from the configured default."""

    __tablename__ = "volume_quota_limits"
    __table_args__ = (UniqueConstraint("project_id", "resource"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(String(64))
    hard_limit: Mapped[int] = mapped_column(Integer)
