"""Floating IPs in the database (Neutron's l3_db floating IP half), each operation one
transaction of the network core.

A floating IP holds its address through a port on its external network owned by no
project (``network:floatingip``). Associating it with a port's fixed IP needs a router
that has an interface on that fixed IP's subnet and its gateway on the floating IP's
network: that router is stored with the association, and is where the address is
translated.
"""
import ipaddress
import uuid

from sqlalchemy import select

from controller.api import errors
from controller.network import quotas
from controller.network.l3_models import FloatingIP, Router
from controller.network.l3_rules import FLOATINGIP, ROUTER_INTERFACE
from controller.network.models import IPAllocation, Port
from controller.network.routers import bad_request, service_port

UNSET = object()


def floating_ip_not_found(floating_ip_id):
    return errors.NotFound(f"Floating IP {floating_ip_id} could not be found",
                           "FloatingIPNotFound")


class FloatingIpOperations:
    def __init__(self, core, notifier):
        """``notifier``: a ``nova_notifier.NovaNotifier``, told of the ports whose
        floating IPs changed."""
        self.core = core
        self.notifier = notifier

    @staticmethod
    def _visible(scope):
        query = select(FloatingIP)
        if not scope.all_projects:
            query = query.where(FloatingIP.project_id == scope.project_id)
        return query

    def list_floating_ips(self, scope):
        with self.core.db.session() as session:
            return list(session.scalars(self._visible(scope).order_by(
                FloatingIP.created_at, FloatingIP.id)))

    def get_floating_ip(self, floating_ip_id, scope, session=None):
        if session is None:
            with self.core.db.session() as session:
                return self.get_floating_ip(floating_ip_id, scope, session)
        row = session.scalars(self._visible(scope)
                              .where(FloatingIP.id == floating_ip_id)).first()
        if row is None:
            raise floating_ip_not_found(floating_ip_id)
        return row

    def create_floating_ip(self, project_id, scope, *, floating_network_id,
                           subnet_id=None, floating_ip_address=None, port_id=None,
                           fixed_ip_address=None, description=""):
        if fixed_ip_address is not None and port_id is None:
            raise _fixed_without_port()

        def work(session):
            network = self.core.get_network(floating_network_id, scope, session)
            if not network.router_external:
                raise bad_request("floatingip", f"Network {network.id} is not a valid "
                                                f"external network")
            quotas.check_room(session, self.core.conf, project_id, "floatingip")
            wanted = {}
            if subnet_id is not None:
                wanted["subnet_id"] = subnet_id
            if floating_ip_address is not None:
                wanted["ip_address"] = floating_ip_address
            row_id = str(uuid.uuid4())
            port = service_port(session, network, "", FLOATINGIP, row_id,
                                [wanted] if wanted else None)
            if not port.fixed_ips:
                raise bad_request("floatingip", f"No IPs available for external network "
                                                f"{network.id}")
            row = FloatingIP(id=row_id, project_id=project_id, description=description,
                             floating_network_id=network.id, floating_port_id=port.id,
                             floating_ip_address=port.fixed_ips[0].ip_address)
            session.add(row)
            session.flush()
            changed.clear()
            if port_id is not None:
                changed.append(self._associate(session, scope, row, port_id,
                                               fixed_ip_address))
            return row

        changed = []
        row = self.core.run(work)
        self.notifier.network_changed(changed)
        return row

    def update_floating_ip(self, floating_ip_id, scope, *, port_id=UNSET,
                           fixed_ip_address=None, description=None):
        """``port_id``: a port to associate with, None to disassociate, UNSET to keep."""
        if fixed_ip_address is not None and port_id in (None, UNSET):
            raise _fixed_without_port()

        def work(session):
            row = self.get_floating_ip(floating_ip_id, scope, session)
            changed[:] = [_device(session, row.fixed_port_id)]
            if port_id is None:
                row.fixed_port_id = row.fixed_ip_address = row.router_id = None
            elif port_id is not UNSET:
                changed.append(self._associate(session, scope, row, port_id,
                                               fixed_ip_address))
            if description is not None:
                row.description = description
            row.revision_number += 1
            session.flush()
            return row

        changed = []
        row = self.core.run(work)
        if port_id is not UNSET:
            self.notifier.network_changed(changed)
        return row

    def delete_floating_ip(self, floating_ip_id, scope):
        def work(session):
            row = self.get_floating_ip(floating_ip_id, scope, session)
            changed[:] = [_device(session, row.fixed_port_id)]
            port = session.get(Port, row.floating_port_id)
            session.delete(row)
            session.flush()
            if port is not None:
                session.delete(port)

        changed = []
        self.core.run(work)
        self.notifier.network_changed(changed)

    # --- association ----------------------------------------------------------------

    def _associate(self, session, scope, row, port_id, fixed_ip_address):
        port = self.core.get_port(port_id, scope, session)
        if not scope.all_projects and port.project_id != row.project_id:
            raise bad_request("floatingip", f"Cannot create floating IP and bind it to "
                                            f"Port {port.id}, since that port is owned by "
                                            f"a different tenant")
        fixed = _fixed_ip(port, fixed_ip_address)
        router_id = self._router_for(session, row, port, fixed)
        taken = session.scalars(select(FloatingIP).where(
            FloatingIP.floating_network_id == row.floating_network_id,
            FloatingIP.fixed_port_id == port.id,
            FloatingIP.fixed_ip_address == fixed.ip_address,
            FloatingIP.id != row.id)).first()
        if taken is not None:
            raise errors.Conflict(
                f"Cannot associate floating IP {row.floating_ip_address} ({row.id}) with "
                f"port {port.id} using fixed IP {fixed.ip_address}, as that fixed IP "
                f"already has a floating IP on external network "
                f"{row.floating_network_id}.", "FloatingIPPortAlreadyAssociated")
        row.fixed_port_id, row.fixed_ip_address = port.id, fixed.ip_address
        row.router_id = router_id
        return port.id, port.device_id, port.device_owner

    @staticmethod
    def _router_for(session, row, port, fixed):
        """The router joining the fixed IP's subnet to the floating IP's network."""
        router_id = session.scalars(
            select(Router.id)
            .join(Port, (Port.device_id == Router.id)
                  & (Port.device_owner == ROUTER_INTERFACE))
            .join(IPAllocation, IPAllocation.port_id == Port.id)
            .where(IPAllocation.subnet_id == fixed.subnet_id,
                   Router.gw_port.has(Port.network_id == row.floating_network_id))
            .order_by(Router.created_at, Router.id)).first()
        if router_id is None:
            raise errors.NotFound(
                f"External network {row.floating_network_id} is not reachable from "
                f"subnet {fixed.subnet_id}.  Therefore, cannot associate Port {port.id} "
                f"with a Floating IP.", "ExternalGatewayForFloatingIPNotFound")
        return router_id


def _device(session, port_id):
    """(id, device_id, device_owner) of the port a floating IP is on, for the notifier."""
    port = session.get(Port, port_id) if port_id else None
    return (port.id, port.device_id, port.device_owner) if port else (None, None, None)


def _fixed_ip(port, address):
    """The port's fixed IP a floating IP is to map to."""
    if address is not None:
        for fixed in port.fixed_ips:
            if fixed.ip_address == address:
                return fixed
        raise bad_request("floatingip", f"Port {port.id} does not have fixed ip {address}")
    ipv4 = [fixed for fixed in port.fixed_ips
            if ipaddress.ip_address(fixed.ip_address).version == 4]
    if not ipv4:
        raise bad_request("floatingip", f"Cannot add floating IP to port {port.id} that "
                                        f"has no fixed IPv4 addresses")
    if len(ipv4) > 1:
        raise bad_request("floatingip", f"Port {port.id} has multiple fixed IPv4 "
                                        f"addresses. Must provide a specific IPv4 address "
                                        f"when assigning a floating IP")
    return ipv4[0]


def _fixed_without_port():
    return bad_request("floatingip", "fixed_ip_address cannot be specified without a "
                                     "port_id")
