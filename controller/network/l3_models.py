"""Tables of the L3 service (Neutron's ``routers`` and ``floatingips``).

A router's interfaces are ports with device_owner ``network:router_interface`` and
device_id = the router's id; its gateway is the port ``gw_port_id`` (device_owner
``network:router_gateway``). A floating IP owns a port on its external network
(device_owner ``network:floatingip``) that holds its address.

The unique (floating_network_id, fixed_port_id, fixed_ip_address) constraint is what
stops two concurrent associations giving one fixed IP two floating IPs of a network.
"""
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from controller.db.base import Base, TimestampMixin, uuid_pk
from controller.network.models import Port


class Router(TimestampMixin, Base):
    __tablename__ = "routers"

    id: Mapped[str] = uuid_pk()
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    gw_port_id: Mapped[str | None] = mapped_column(ForeignKey("ports.id"))
    enable_snat: Mapped[bool] = mapped_column(Boolean, default=True)
    # Extra routes: [{"destination": cidr, "nexthop": ip}].
    routes: Mapped[list] = mapped_column(JSON, default=list)
    revision_number: Mapped[int] = mapped_column(Integer, default=1)

    gw_port: Mapped[Port | None] = relationship()


class FloatingIP(TimestampMixin, Base):
    __tablename__ = "floatingips"
    __table_args__ = (UniqueConstraint("floating_network_id", "fixed_port_id",
                                       "fixed_ip_address"),)

    id: Mapped[str] = uuid_pk()
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    floating_network_id: Mapped[str] = mapped_column(ForeignKey("networks.id"))
    floating_port_id: Mapped[str] = mapped_column(ForeignKey("ports.id"))
    floating_ip_address: Mapped[str] = mapped_column(String(64))
    fixed_port_id: Mapped[str | None] = mapped_column(ForeignKey("ports.id"), index=True)
    fixed_ip_address: Mapped[str | None] = mapped_column(String(64))
    router_id: Mapped[str | None] = mapped_column(ForeignKey("routers.id"), index=True)
    revision_number: Mapped[int] = mapped_column(Integer, default=1)
