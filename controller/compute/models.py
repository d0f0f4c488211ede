"""Compute's tables: servers and what hangs off them, flavors, key pairs, quotas, groups,
host aggregates.

Other services' objects (images, networks, hosts, projects) are referenced by their UUID
or name only, never by foreign key, so compute could live in a database of its own.
"""
import datetime

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index,
                        Integer, String, Text, UniqueConstraint)
from sqlalchemy import false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from controller.db.base import Base, TimestampMixin, new_uuid, utcnow, uuid_pk


class Instance(TimestampMixin, Base):
    """A server. Deleting one sets ``deleted_at``: its actions stay readable."""

    __tablename__ = "instances"
    __table_args__ = (Index("ix_instances_project_deleted", "project_id", "deleted_at"),)

    uuid: Mapped[str] = uuid_pk()
    name: Mapped[str] = mapped_column(String(255))
    hostname: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    project_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    image_ref: Mapped[str] = mapped_column(String(36), default="")
    # What the image was when the server was created (id, name, properties, sizes).
    image_meta: Mapped[dict] = mapped_column(JSON, default=dict)
    flavor_id: Mapped[str] = mapped_column(String(255))
    # The flavor as it was at creation: flavors may change or go, servers keep theirs.
    flavor: Mapped[dict] = mapped_column(JSON)
    vcpus: Mapped[int] = mapped_column(Integer)
    memory_mb: Mapped[int] = mapped_column(Integer)
    root_gb: Mapped[int] = mapped_column(Integer)
    ephemeral_gb: Mapped[int] = mapped_column(Integer, default=0)
    vm_state: Mapped[str] = mapped_column(String(16), index=True)
    task_state: Mapped[str | None] = mapped_column(String(32))
    power_state: Mapped[int] = mapped_column(Integer, default=0)
    host: Mapped[str | None] = mapped_column(String(255), index=True)
    node: Mapped[str | None] = mapped_column(String(255))
    availability_zone: Mapped[str | None] = mapped_column(String(255))
    key_name: Mapped[str | None] = mapped_column(String(255))
    key_data: Mapped[str | None] = mapped_column(Text)
    user_data: Mapped[str | None] = mapped_column(Text)
    config_drive: Mapped[bool] = mapped_column(Boolean, default=False)
    # "none", "auto" or [{"uuid"|"port", "fixed_ip"?}] as the client asked.
    requested_networks: Mapped[object] = mapped_column(JSON, default=list)
    # One entry per virtual NIC once the agent's networking step has run.
    network_info: Mapped[list] = mapped_column(JSON, default=list)
    # The scheduling request and its retry state, kept for reschedules and multi-conductor.
    request_spec: Mapped[dict] = mapped_column(JSON, default=dict)
    retry: Mapped[dict] = mapped_column(JSON, default=dict)
    reservation_id: Mapped[str] = mapped_column(String(36))
    launch_index: Mapped[int] = mapped_column(Integer, default=0)
    launched_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    terminated_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    # A locked server refuses every change but an admin's; locked_by: "owner" or "admin".
    locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    locked_by: Mapped[str | None] = mapped_column(String(16))
    locked_reason: Mapped[str | None] = mapped_column(Text)
    # What the user says the server is reached at (Nova stores, never checks them).
    access_ip_v4: Mapped[str | None] = mapped_column(String(39))
    access_ip_v6: Mapped[str | None] = mapped_column(String(39))
    # OS-DCF:diskConfig AUTO: the guest's root partition grows to the disk.
    auto_disk_config: Mapped[bool] = mapped_column(Boolean, default=False,
                                                   server_default=false())
    # The snapshot a shelved server is unshelved from (Nova's system_metadata key).
    shelved_image_id: Mapped[str | None] = mapped_column(String(36))

    metadata_items: Mapped[list["InstanceMetadata"]] = relationship(
        back_populates="instance", cascade="all, delete-orphan", lazy="selectin")
    faults: Mapped[list["InstanceFault"]] = relationship(
        cascade="all, delete-orphan", order_by="InstanceFault.id", lazy="selectin")
    block_device_mappings: Mapped[list["BlockDeviceMapping"]] = relationship(
        cascade="all, delete-orphan", order_by="BlockDeviceMapping.id", lazy="selectin")
    tags: Mapped[list["InstanceTag"]] = relationship(
        cascade="all, delete-orphan", order_by="InstanceTag.tag", lazy="selectin")


class InstanceMetadata(Base):
    __tablename__ = "instance_metadata"
    __table_args__ = (UniqueConstraint("instance_uuid", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_uuid: Mapped[str] = mapped_column(
        String(36), ForeignKey("instances.uuid", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255))

    instance: Mapped[Instance] = relationship(back_populates="metadata_items")


class InstanceTag(Base):
    """A server's tag (from 2.26)."""

    __tablename__ = "instance_tags"

    instance_uuid: Mapped[str] = mapped_column(
        String(36), ForeignKey("instances.uuid", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)


class InstanceFault(Base):
    """Why a server went to ERROR; the newest one is shown as the server's ``fault``."""

    __tablename__ = "instance_faults"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_uuid: Mapped[str] = mapped_column(
        String(36), ForeignKey("instances.uuid", ondelete="CASCADE"), index=True)
    code: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(String(255))
    details: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)


class BlockDeviceMapping(TimestampMixin, Base):
    """One disk of a server as requested (``block_device_mapping_v2``)."""

    __tablename__ = "block_device_mappings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_uuid: Mapped[str] = mapped_column(
        String(36), ForeignKey("instances.uuid", ondelete="CASCADE"), index=True)
    source_type: Mapped[str] = mapped_column(String(16))
    destination_type: Mapped[str] = mapped_column(String(16))
    boot_index: Mapped[int | None] = mapped_column(Integer)
    image_id: Mapped[str | None] = mapped_column(String(36))
    volume_id: Mapped[str | None] = mapped_column(String(36))
    # The volume service's attachment of volume_id to this server, once reserved.
    attachment_id: Mapped[str | None] = mapped_column(String(36))
    volume_size: Mapped[int | None] = mapped_column(Integer)
    delete_on_termination: Mapped[bool] = mapped_column(Boolean, default=True)
    device_name: Mapped[str | None] = mapped_column(String(255))
    tag: Mapped[str | None] = mapped_column(String(255))


class InstanceAction(Base):
    """One API request on a server (create, stop, reboot ...) and when it finished."""

    __tablename__ = "instance_actions"
    __table_args__ = (Index("ix_instance_actions_instance_request",
                            "instance_uuid", "request_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(255))
    instance_uuid: Mapped[str] = mapped_column(String(36))
    request_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(64))
    project_id: Mapped[str | None] = mapped_column(String(64))
    start_time: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    finish_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    message: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, default=utcnow)

    events: Mapped[list["InstanceActionEvent"]] = relationship(
        cascade="all, delete-orphan", order_by="InstanceActionEvent.id")


class InstanceActionEvent(Base):
    """One step of an action (scheduling, a build attempt on a host ...) and its result."""

    __tablename__ = "instance_action_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("instance_actions.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(255))
    start_time: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    finish_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    result: Mapped[str | None] = mapped_column(String(255))
    traceback: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[str | None] = mapped_column(Text)


class Flavor(TimestampMixin, Base):
    __tablename__ = "flavors"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    vcpus: Mapped[int] = mapped_column(Integer)
    memory_mb: Mapped[int] = mapped_column(Integer)
    root_gb: Mapped[int] = mapped_column(Integer)
    ephemeral_gb: Mapped[int] = mapped_column(Integer, default=0)
    swap: Mapped[int] = mapped_column(Integer, default=0)
    rxtx_factor: Mapped[float] = mapped_column(Float, default=1.0)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)

    extra_specs: Mapped[list["FlavorExtraSpec"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="FlavorExtraSpec.key")
    # The projects that may see and use the flavor when it is not public.
    projects: Mapped[list["FlavorProject"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="FlavorProject.id")

    def open_to(self, project_id):
        """Whether ``project_id`` may see and use the flavor."""
        return self.is_public or any(p.project_id == project_id for p in self.projects)


class FlavorProject(Base):
    """A private flavor's access for one project (Nova's flavor_projects)."""

    __tablename__ = "flavor_projects"
    __table_args__ = (UniqueConstraint("flavor_id", "project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flavor_id: Mapped[str] = mapped_column(
        String(255), ForeignKey("flavors.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(String(64))


class FlavorExtraSpec(Base):
    __tablename__ = "flavor_extra_specs"
    __table_args__ = (UniqueConstraint("flavor_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flavor_id: Mapped[str] = mapped_column(
        String(255), ForeignKey("flavors.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255))


class KeyPair(Base):
    __tablename__ = "key_pairs"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(255))
    public_key: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(16), default="ssh")
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)


class Quota(Base):
    """A project's limit for one resource; resources without a row use [quota] defaults."""

    __tablename__ = "quotas"
    __table_args__ = (UniqueConstraint("project_id", "resource"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(String(255))
    hard_limit: Mapped[int] = mapped_column(Integer)


class ProjectUserQuota(Base):
    """One user's limit for one resource within a project (Nova's per-user quotas);
    resources without a row use the project's limit."""

    __tablename__ = "project_user_quotas"
    __table_args__ = (UniqueConstraint("project_id", "user_id", "resource"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(String(255))
    hard_limit: Mapped[int] = mapped_column(Integer)


class QuotaClass(Base):
    """A quota class's limit for one resource (``os-quota-class-sets``); the ``default``
    class's rows override the configured defaults of every project."""

    __tablename__ = "quota_classes"
    __table_args__ = (UniqueConstraint("class_name", "resource"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    class_name: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(255))
    hard_limit: Mapped[int] = mapped_column(Integer)


class ServerGroup(Base):
    """Servers the scheduler keeps together (affinity) or apart (anti-affinity)."""

    __tablename__ = "server_groups"

    uuid: Mapped[str] = uuid_pk()
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str] = mapped_column(String(64))
    policy: Mapped[str] = mapped_column(String(32))
    rules: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)

    members: Mapped[list["ServerGroupMember"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")


class ServerGroupMember(Base):
    __tablename__ = "server_group_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_uuid: Mapped[str] = mapped_column(
        String(36), ForeignKey("server_groups.uuid", ondelete="CASCADE"), index=True)
    instance_uuid: Mapped[str] = mapped_column(String(36), unique=True)


class Aggregate(TimestampMixin, Base):
    """A named group of compute hosts with metadata; the ``availability_zone`` key puts
    its hosts in that zone (Nova's host aggregates)."""

    __tablename__ = "aggregates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(255), unique=True)

    hosts: Mapped[list["AggregateHost"]] = relationship(
        cascade="all, delete-orphan", order_by="AggregateHost.id", lazy="selectin")
    metadata_items: Mapped[list["AggregateMetadata"]] = relationship(
        cascade="all, delete-orphan", order_by="AggregateMetadata.key", lazy="selectin")


class AggregateHost(Base):
    """A compute host (by name, as in the services table) in an aggregate."""

    __tablename__ = "aggregate_hosts"
    __table_args__ = (UniqueConstraint("aggregate_id", "host"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    aggregate_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("aggregates.id", ondelete="CASCADE"), index=True)
    host: Mapped[str] = mapped_column(String(255), index=True)


class AggregateMetadata(Base):
    __tablename__ = "aggregate_metadata"
    __table_args__ = (UniqueConstraint("aggregate_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    aggregate_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("aggregates.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(255), index=True)
    value: Mapped[str] = mapped_column(String(255))


class ConsoleAuthToken(Base):
    """A remote console's one-time token (Nova's ``console_auth_tokens``): only its
    SHA-256 is kept; it opens the console of one server at ``host``:``port`` once,
    before ``expires``."""

    __tablename__ = "console_auth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    console_type: Mapped[str] = mapped_column(String(16))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    internal_access_path: Mapped[str | None] = mapped_column(String(255))
    instance_uuid: Mapped[str] = mapped_column(String(36), index=True)
    expires: Mapped[datetime.datetime] = mapped_column(DateTime, index=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)


class Migration(TimestampMixin, Base):
    """A move of a server between hosts (``os-migrations``): a resize or cold migration
    (from its scheduling to its confirm or revert), an evacuation or a live migration.
    While it goes on, the source host's claim is held by the migration (``uuid`` as the
    consumer), the destination's by the server, as Placement's migration allocations."""

    __tablename__ = "migrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    instance_uuid: Mapped[str] = mapped_column(String(36), index=True)
    # "resize" or "migration" (a cold migration keeps its flavor), as Nova.
    migration_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32), index=True)
    source_compute: Mapped[str | None] = mapped_column(String(255))
    source_node: Mapped[str | None] = mapped_column(String(255))
    dest_compute: Mapped[str | None] = mapped_column(String(255))
    dest_node: Mapped[str | None] = mapped_column(String(255))
    dest_host: Mapped[str | None] = mapped_column(String(255))
    old_flavor: Mapped[dict] = mapped_column(JSON)
    new_flavor: Mapped[dict] = mapped_column(JSON)
    # The vm_state the server left (active or stopped): what a revert brings back.
    old_vm_state: Mapped[str] = mapped_column(String(16))
    project_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    # How far a live migration got, as its source's hypervisor last reported (bytes).
    memory_total_bytes: Mapped[int | None] = mapped_column(BigInteger)
    memory_processed_bytes: Mapped[int | None] = mapped_column(BigInteger)
    memory_remaining_bytes: Mapped[int | None] = mapped_column(BigInteger)
    disk_total_bytes: Mapped[int | None] = mapped_column(BigInteger)
    disk_processed_bytes: Mapped[int | None] = mapped_column(BigInteger)
    disk_remaining_bytes: Mapped[int | None] = mapped_column(BigInteger)
