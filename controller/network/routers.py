"""Routers in the database: what Neutron's L3 plugin (l3_db, ext-gw-mode, extraroute)
does, each operation one transaction of the network core.

A router's interfaces are ports on its device_id with device_owner
``network:router_interface``; its gateway is a port on an external network owned by no
project (``network:router_gateway``), as in Neutron. Checks that only the whole router
can answer (overlapping subnets, floating IPs or routes that need an interface) run in
the transaction that makes the change.
"""
import ipaddress
import uuid

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from controller.api import errors
from controller.network import port_addresses, quotas
from controller.network.l3_models import FloatingIP, Router
from controller.network.l3_rules import ROUTER_GATEWAY, ROUTER_INTERFACE
from controller.network.models import IPAllocation, Port, Subnet

MAX_ROUTES = 30


def router_not_found(router_id):
    return errors.NotFound(f"Router {router_id} could not be found", "RouterNotFound")


def bad_request(resource, message):
    """Neutron's generic 400 (``Bad <resource> request: ...``)."""
    return errors.BadRequest(f"Bad {resource} request: {message}.", "BadRequest")


def service_port(session, network, project_id, owner, device_id, fixed_ips):
    """A port the L3 service makes for itself (gateway, interface, floating IP): no
    quota, as Neutron's plugins create them below the API."""
    port = Port(project_id=project_id, network=network,
                mac_address=port_addresses.new_mac(session, network.id),
                device_owner=owner, device_id=device_id, binding_profile={}, fixed_ips=[])
    port.fixed_ips = port_addresses.allocate(session, network, fixed_ips, [])
    session.add(port)
    session.flush()
    return port


class RouterOperations:
    def __init__(self, core):
        self.core = core

    # --- queries ------------------------------------------------------------------

    @staticmethod
    def _visible(scope):
        query = select(Router).options(
            selectinload(Router.gw_port).selectinload(Port.fixed_ips))
        if not scope.all_projects:
            query = query.where(Router.project_id == scope.project_id)
        return query

    def list_routers(self, scope):
        with self.core.db.session() as session:
            return list(session.scalars(self._visible(scope)
                                        .order_by(Router.created_at, Router.id)))

    def get_router(self, router_id, scope, session=None):
        if session is None:
            with self.core.db.session() as session:
                return self.get_router(router_id, scope, session)
        router = session.scalars(self._visible(scope).where(Router.id == router_id)).first()
        if router is None:
            raise router_not_found(router_id)
        return router

    @staticmethod
    def _ports(session, router, owners=(ROUTER_INTERFACE,)):
        return list(session.scalars(
            select(Port).options(selectinload(Port.fixed_ips))
            .where(Port.device_id == router.id, Port.device_owner.in_(owners))
            .order_by(Port.created_at, Port.id)))

    @staticmethod
    def _subnets(session, ports):
        ids = {ip.subnet_id for port in ports for ip in port.fixed_ips}
        return list(session.scalars(select(Subnet).where(Subnet.id.in_(ids))))

    # --- routers ------------------------------------------------------------------

    def create_router(self, project_id, scope, *, name="", description="",
                      admin_state_up=True, external_gateway_info=None):
        def work(session):
            quotas.check_room(session, self.core.conf, project_id, "router")
            router = Router(id=str(uuid.uuid4()), project_id=project_id, name=name,
                            description=description, admin_state_up=admin_state_up,
                            enable_snat=True, routes=[])
            session.add(router)
            session.flush()
            if external_gateway_info:
                self._set_gateway(session, router, scope, external_gateway_info)
            return self.get_router(router.id, scope, session)

        return self.core.run(work)

    def update_router(self, router_id, scope, changes):
        """``changes``: name, description, admin_state_up, external_gateway_info,
        routes."""
        def work(session):
            router = self.get_router(router_id, scope, session)
            if "external_gateway_info" in changes:
                self._set_gateway(session, router, scope, changes["external_gateway_info"])
            if "routes" in changes:
                router.routes = self._check_routes(session, router, changes["routes"])
            for key in ("name", "description", "admin_state_up"):
                if key in changes:
                    setattr(router, key, changes[key])
            router.revision_number += 1
            session.flush()
            session.expire(router)
            return self.get_router(router.id, scope, session)

        return self.core.run(work)

    def delete_router(self, router_id, scope):
        def work(session):
            router = self.get_router(router_id, scope, session)
            if self._ports(session, router):
                raise errors.Conflict(f"Router {router.id} still has ports",
                                      "RouterInUse")
            self._clear_gateway(session, router)
            session.delete(router)

        self.core.run(work)

    # --- the gateway --------------------------------------------------------------

    def _set_gateway(self, session, router, scope, info):
        """``info``: None/{} clears the gateway, else {"network_id", "enable_snat"?,
        "external_fixed_ips"?}."""
        if not info:
            self._clear_gateway(session, router)
            return
        network = self.core.get_network(info["network_id"], scope, session)
        if not network.router_external:
            raise bad_request("router", f"Network {network.id} is not an external network")
        if router.gw_port is not None and router.gw_port.network_id != network.id:
            self._clear_gateway(session, router)
        fixed_ips = info.get("external_fixed_ips")
        if router.gw_port is None:
            port = service_port(session, network, "", ROUTER_GATEWAY,
                                router.id, fixed_ips or None)
            if not port.fixed_ips:
                raise bad_request("router", f"No IPs available for external network "
                                            f"{network.id}")
            router.gw_port_id = port.id
            session.flush()
            session.refresh(router)
        elif fixed_ips is not None:
            port = router.gw_port
            port.fixed_ips = port_addresses.allocate(session, network, fixed_ips,
                                                     list(port.fixed_ips))
            port.revision_number += 1
        self._check_overlap(session, router, self._subnets(session, [router.gw_port]),
                            exclude_port=router.gw_port)
        router.enable_snat = info.get("enable_snat", True)
        session.flush()

    def _clear_gateway(self, session, router):
        if router.gw_port is None:
            return
        in_use = session.scalars(select(FloatingIP.id)
                                 .where(FloatingIP.router_id == router.id)).first()
        if in_use:
            raise errors.Conflict(f"Gateway cannot be updated for router {router.id}, "
                                  f"since a gateway to external network "
                                  f"{router.gw_port.network_id} is required by one or "
                                  f"more floating IPs.",
                                  "RouterExternalGatewayInUseByFloatingIp")
        port = router.gw_port
        router.gw_port_id = None
        session.flush()
        session.delete(port)
        session.flush()
        session.refresh(router)

    # --- extra routes ---------------------------------------------------------------

    def _check_routes(self, session, router, routes):
        if len(routes) > MAX_ROUTES:
            raise errors.BadRequest(f"Unable to complete operation for {router.id}. The "
                                    f"number of routes exceeds the maximum {MAX_ROUTES}.",
                                    "RoutesExhausted")
        ports = self._ports(session, router, (ROUTER_INTERFACE, ROUTER_GATEWAY))
        cidrs = [ipaddress.ip_network(subnet.cidr)
                 for subnet in self._subnets(session, ports)]
        own = {ip.ip_address for port in ports for ip in port.fixed_ips}
        for route in routes:
            nexthop = ipaddress.ip_address(route["nexthop"])
            if not any(nexthop in cidr for cidr in cidrs):
                raise _invalid_routes(routes, "the nexthop is not connected with router")
            if str(nexthop) in own:
                raise _invalid_routes(routes, "the nexthop is used by router")
        return routes

    # --- interfaces -----------------------------------------------------------------

    def add_interface(self, router_id, scope, *, subnet_id=None, port_id=None):
        """Plug a subnet (a new port on its gateway address) or an unused port in.
        Returns the interface info Neutron answers with."""
        if subnet_id is None and port_id is None:
            raise bad_request("router", "Either subnet_id or port_id must be specified")
        if subnet_id is not None and port_id is not None:
            raise bad_request("router", "Cannot specify both subnet-id and port-id")

        def work(session):
            router = self.get_router(router_id, scope, session)
            if port_id is not None:
                port = self.core.get_port(port_id, scope, session)
                if port.device_id or port.device_owner:
                    raise errors.Conflict(
                        f"Unable to complete operation on port {port.id} for network "
                        f"{port.network_id}. Port already has an attached device "
                        f"{port.device_id}.", "PortInUse")
                if not port.fixed_ips:
                    raise bad_request("router", "Router port must have at least one "
                                                "fixed IP")
                subnets = self._subnets(session, [port])
                if len(subnets) > 1:
                    raise bad_request("router", "Cannot have multiple IPv4 subnets on "
                                                "router port")
                self._check_overlap(session, router, subnets)
                port.device_id, port.device_owner = router.id, ROUTER_INTERFACE
                port.revision_number += 1
            else:
                subnet = self.core.get_subnet(subnet_id, scope, session)
                if not subnet.gateway_ip:
                    raise bad_request("router", "Subnet for router interface must have a "
                                                "gateway IP")
                self._check_overlap(session, router, [subnet])
                port = self._gateway_address_port(session, router, subnet)
            router.revision_number += 1
            session.flush()
            return interface_info(router, port)

        return self.core.run(work)

    def remove_interface(self, router_id, scope, *, subnet_id=None, port_id=None):
        if subnet_id is None and port_id is None:
            raise bad_request("router", "Either subnet_id or port_id must be specified")

        def work(session):
            router = self.get_router(router_id, scope, session)
            ports = self._ports(session, router)
            if port_id is not None:
                port = next((p for p in ports if p.id == port_id), None)
                if port is None:
                    raise errors.NotFound(f"Router {router.id} does not have an interface "
                                          f"with id {port_id}", "RouterInterfaceNotFound")
                if subnet_id is not None and subnet_id not in {
                        ip.subnet_id for ip in port.fixed_ips}:
                    raise _no_interface_on(router, subnet_id)
            else:
                port = next((p for p in ports
                             if subnet_id in {ip.subnet_id for ip in p.fixed_ips}), None)
                if port is None:
                    raise _no_interface_on(router, subnet_id)
            info = interface_info(router, port)
            for subnet in self._subnets(session, [port]):
                self._check_unused(session, router, subnet)
            session.delete(port)
            router.revision_number += 1
            session.flush()
            return info

        return self.core.run(work)

    def _gateway_address_port(self, session, router, subnet):
        """The interface on ``subnet``: a port holding the subnet's gateway address,
        which IPAM gives no other port."""
        if subnet.gateway_ip in port_addresses.used_addresses(session, subnet.id):
            raise errors.Conflict(f"IP address {subnet.gateway_ip} already allocated in "
                                  f"subnet {subnet.id}", "IpAddressAlreadyAllocated")
        port = service_port(session, subnet.network, subnet.project_id,
                            ROUTER_INTERFACE, router.id, [])
        port.fixed_ips = [IPAllocation(subnet_id=subnet.id, network_id=subnet.network_id,
                                       ip_address=subnet.gateway_ip)]
        session.flush()
        return port

    @staticmethod
    def _check_unused(session, router, subnet):
        """An interface stays while a floating IP or an extra route goes through it."""
        if session.scalars(select(FloatingIP.id).join(
                IPAllocation, (IPAllocation.port_id == FloatingIP.fixed_port_id)
                & (IPAllocation.ip_address == FloatingIP.fixed_ip_address))
                .where(FloatingIP.router_id == router.id,
                       IPAllocation.subnet_id == subnet.id)).first():
            raise errors.Conflict(f"Router interface for subnet {subnet.id} on router "
                                  f"{router.id} cannot be deleted, as it is required by "
                                  f"one or more floating IPs.",
                                  "RouterInterfaceInUseByFloatingIP")
        cidr = ipaddress.ip_network(subnet.cidr)
        if any(ipaddress.ip_address(route["nexthop"]) in cidr for route in router.routes):
            raise errors.Conflict(f"Router interface for subnet {subnet.id} on router "
                                  f"{router.id} cannot be deleted, as it is required by "
                                  f"one or more routes.", "RouterInterfaceInUseByRoute")

    def _check_overlap(self, session, router, new_subnets, exclude_port=None):
        """No two of the router's ports (gateway included) on overlapping subnets."""
        ports = [port for port in self._ports(session, router,
                                              (ROUTER_INTERFACE, ROUTER_GATEWAY))
                 if port is not exclude_port]
        for existing in self._subnets(session, ports):
            for new in new_subnets:
                if new.id == existing.id:
                    raise bad_request("router", f"Router already has a port on subnet "
                                                f"{new.id}")
                if ipaddress.ip_network(new.cidr).overlaps(
                        ipaddress.ip_network(existing.cidr)):
                    raise bad_request("router", f"Cidr {new.cidr} of subnet {new.id} "
                                                f"overlaps with cidr {existing.cidr} of "
                                                f"subnet {existing.id}")


def interface_info(router, port):
    subnet_ids = [ip.subnet_id for ip in port.fixed_ips]
    return {"id": router.id, "tenant_id": router.project_id,
            "project_id": router.project_id, "port_id": port.id,
            "network_id": port.network_id,
            "subnet_id": subnet_ids[0] if subnet_ids else None, "subnet_ids": subnet_ids}


def _no_interface_on(router, subnet_id):
    return errors.NotFound(f"Router {router.id} has no interface on subnet {subnet_id}",
                           "RouterInterfaceNotFoundForSubnet")


def _invalid_routes(routes, reason):
    return errors.BadRequest(f"Invalid format for routes: {routes}, {reason}.",
                             "InvalidRoutes")
