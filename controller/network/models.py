"""Tables of the network service. Projects and devices (servers) of other services are
referenced by UUID string only.

Uniqueness that must hold under concurrent requests is left to the database:
one address per subnet (``ip_allocations``), one MAC per network, one VNI per vxlan
network and one flat network per physical network. Writers retry on a violation.
"""
from sqlalchemy import (JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from controller.db.base import Base, TimestampMixin, uuid_pk


class Network(TimestampMixin, Base):
    __tablename__ = "networks"
    __table_args__ = (UniqueConstraint("segmentation_id", "network_type"),
                      UniqueConstraint("physical_network", "network_type"))

    id: Mapped[str] = uuid_pk()
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    # router:external: routers may take a gateway on it, floating IPs come from it.
    router_external: Mapped[bool] = mapped_column(Boolean, default=False)
    mtu: Mapped[int] = mapped_column(Integer)
    network_type: Mapped[str] = mapped_column(String(16))
    # The VNI of a vxlan network; NULL for flat ones.
    segmentation_id: Mapped[int | None] = mapped_column(Integer)
    # The physical network of a flat network; NULL for vxlan ones.
    physical_network: Mapped[str | None] = mapped_column(String(64))
    revision_number: Mapped[int] = mapped_column(Integer, default=1)

    subnets: Mapped[list["Subnet"]] = relationship(
        back_populates="network", cascade="all, delete-orphan", order_by="Subnet.created_at")


class Subnet(TimestampMixin, Base):
    __tablename__ = "subnets"

    id: Mapped[str] = uuid_pk()
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    ip_version: Mapped[int] = mapped_column(Integer, default=4)
    cidr: Mapped[str] = mapped_column(String(64))
    gateway_ip: Mapped[str | None] = mapped_column(String(64))
    enable_dhcp: Mapped[bool] = mapped_column(Boolean, default=True)
    # [{"start": ip, "end": ip}], inside the CIDR, in address order, never overlapping.
    allocation_pools: Mapped[list] = mapped_column(JSON, default=list)
    dns_nameservers: Mapped[list] = mapped_column(JSON, default=list)
    # [{"destination": cidr, "nexthop": ip}]
    host_routes: Mapped[list] = mapped_column(JSON, default=list)
    revision_number: Mapped[int] = mapped_column(Integer, default=1)

    network: Mapped[Network] = relationship(back_populates="subnets")


class Port(TimestampMixin, Base):
    __tablename__ = "ports"
    __table_args__ = (UniqueConstraint("network_id", "mac_address"),)

    id: Mapped[str] = uuid_pk()
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    network_id: Mapped[str] = mapped_column(ForeignKey("networks.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    mac_address: Mapped[str] = mapped_column(String(32))
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    device_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    device_owner: Mapped[str] = mapped_column(String(255), default="")
    # The host the port is bound to (binding:host_id); "" while unbound.
    binding_host_id: Mapped[str] = mapped_column(String(255), default="")
    # What the binding host says about itself (binding:profile), e.g. its tunnel address.
    binding_profile: Mapped[dict] = mapped_column(JSON, default=dict)
    # Neutron's port-security extension: false takes the port out of anti-spoofing and
    # security groups (then it may have none).
    port_security_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    revision_number: Mapped[int] = mapped_column(Integer, default=1)

    fixed_ips: Mapped[list["IPAllocation"]] = relationship(
        back_populates="port", cascade="all, delete-orphan",
        order_by="IPAllocation.id")
    network: Mapped[Network] = relationship()
    security_group_bindings: Mapped[list["PortSecurityGroup"]] = relationship(
        cascade="all, delete-orphan", order_by="PortSecurityGroup.security_group_id")

    @property
    def security_group_ids(self):
        return [binding.security_group_id for binding in self.security_group_bindings]


class SecurityGroup(TimestampMixin, Base):
    __tablename__ = "security_groups"

    id: Mapped[str] = uuid_pk()
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    # False: no connection tracking, replies need rules of their own (Neutron's
    # stateful-security-group extension).
    stateful: Mapped[bool] = mapped_column(Boolean, default=True)
    revision_number: Mapped[int] = mapped_column(Integer, default=1)

    rules: Mapped[list["SecurityGroupRule"]] = relationship(
        back_populates="security_group", cascade="all, delete-orphan",
        foreign_keys="SecurityGroupRule.security_group_id",
        order_by="SecurityGroupRule.created_at, SecurityGroupRule.id")


class SecurityGroupRule(TimestampMixin, Base):
    __tablename__ = "security_group_rules"

    id: Mapped[str] = uuid_pk()
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    security_group_id: Mapped[str] = mapped_column(
        ForeignKey("security_groups.id", ondelete="CASCADE"), index=True)
    # Deleting the remote group deletes the rules that name it, as in Neutron.
    remote_group_id: Mapped[str | None] = mapped_column(
        ForeignKey("security_groups.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    ethertype: Mapped[str] = mapped_column(String(8))
    # As given: a name ("tcp"), a number as a string ("6"), or NULL for any.
    protocol: Mapped[str | None] = mapped_column(String(40))
    port_range_min: Mapped[int | None] = mapped_column(Integer)
    port_range_max: Mapped[int | None] = mapped_column(Integer)
    remote_ip_prefix: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(255), default="")
    revision_number: Mapped[int] = mapped_column(Integer, default=1)

    security_group: Mapped[SecurityGroup] = relationship(
        back_populates="rules", foreign_keys=[security_group_id])


class PortSecurityGroup(Base):
    """A port's membership in a group; a group with members cannot be deleted."""

    __tablename__ = "port_security_groups"

    port_id: Mapped[str] = mapped_column(ForeignKey("ports.id", ondelete="CASCADE"),
                                         primary_key=True)
    security_group_id: Mapped[str] = mapped_column(ForeignKey("security_groups.id"),
                                                   primary_key=True, index=True)


class DefaultSecurityGroup(Base):
    """Which group is a project's ``default``. The primary key makes two concurrent
    first uses create one default group: the loser's insert fails and it retries."""

    __tablename__ = "default_security_groups"

    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    security_group_id: Mapped[str] = mapped_column(
        ForeignKey("security_groups.id", ondelete="CASCADE"), unique=True)


class IPAllocation(Base):
    """One address of one port. The unique (subnet, address) pair is what makes two
    concurrent requests unable to take the same address."""

    __tablename__ = "ip_allocations"
    __table_args__ = (UniqueConstraint("subnet_id", "ip_address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    port_id: Mapped[str] = mapped_column(ForeignKey("ports.id", ondelete="CASCADE"),
                                         index=True)
    subnet_id: Mapped[str] = mapped_column(ForeignKey("subnets.id"), index=True)
    network_id: Mapped[str] = mapped_column(String(36), index=True)
    ip_address: Mapped[str] = mapped_column(String(64))

    port: Mapped[Port] = relationship(back_populates="fixed_ips")


class NetworkQuota(Base):
    """A project's limit on one resource where it differs from [network] quota_<resource>
    (Neutron's ``quotas`` table)."""

    __tablename__ = "network_quotas"
    __table_args__ = (UniqueConstraint("project_id", "resource"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(String(255))
    hard_limit: Mapped[int] = mapped_column(Integer)


class NetworkQuotaLock(Base):
    """One row per project that has created something: a create locks it while it counts
    and inserts, so that on PostgreSQL two creates cannot both take a quota's last unit."""

    __tablename__ = "network_quota_locks"

    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
