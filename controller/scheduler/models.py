"""The scheduler's tables: services with their heartbeats, compute hosts' capacity and
usage, and the claims (allocations) that make up that usage.

Instances are referenced by UUID only (``Allocation.consumer_id``), never by foreign key.
"""
import datetime

from sqlalchemy import Boolean, DateTime, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from controller.db.base import Base, TimestampMixin, new_uuid, utcnow


class Service(TimestampMixin, Base):
    """A running pocketstack process of some binary on some host, like Nova's services."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("host", "binary"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    host: Mapped[str] = mapped_column(String(255))
    binary: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(64))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    forced_down: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    availability_zone: Mapped[str | None] = mapped_column(String(255))


class ComputeNode(TimestampMixin, Base):
    """A compute host's capacity (as its agent reports it) and usage (as claims add up).

    Every change bumps ``generation``, so a claim can write usage with a compare-and-swap
    and never overcommit, whatever the database's isolation level.
    """

    __tablename__ = "compute_nodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    host: Mapped[str] = mapped_column(String(255), unique=True)
    hypervisor_type: Mapped[str] = mapped_column(String(32))
    hypervisor_hostname: Mapped[str] = mapped_column(String(255))
    cpu_arch: Mapped[str] = mapped_column(String(32))
    host_ip: Mapped[str | None] = mapped_column(String(39))
    vcpus: Mapped[int] = mapped_column(Integer)
    memory_mb: Mapped[int] = mapped_column(Integer)
    local_gb: Mapped[int] = mapped_column(Integer)
    vcpus_used: Mapped[int] = mapped_column(Integer, default=0)
    memory_mb_used: Mapped[int] = mapped_column(Integer, default=0)
    local_gb_used: Mapped[int] = mapped_column(Integer, default=0)
    cpu_allocation_ratio: Mapped[float] = mapped_column(Float)
    ram_allocation_ratio: Mapped[float] = mapped_column(Float)
    disk_allocation_ratio: Mapped[float] = mapped_column(Float)
    reserved_host_memory_mb: Mapped[int] = mapped_column(Integer, default=0)
    running_vms: Mapped[int] = mapped_column(Integer, default=0)
    generation: Mapped[int] = mapped_column(Integer, default=0)


class Allocation(Base):
    """The resources one instance holds on one host; at most one per instance."""

    __tablename__ = "allocations"

    consumer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), index=True)
    vcpus: Mapped[int] = mapped_column(Integer)
    memory_mb: Mapped[int] = mapped_column(Integer)
    disk_gb: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
