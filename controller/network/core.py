"""Networks and subnets in the database, and the transaction and visibility rules that
ports, routers and floating IPs share: what Neutron's core plugin does.

Every change runs in one transaction. The database's unique constraints decide races
for an address, a MAC or a VNI: the losing transaction fails with an IntegrityError and
is run again, now seeing the winner's row, so it picks another value or reports the
conflict. Callers check policy first; this module checks that what they ask for is
consistent (addresses inside subnets, nothing deleted while in use).
"""
import dataclasses
import ipaddress
import logging
import random
import time

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload
from controller.api import errors
from controller.network import ipam, l3_rules, quotas, segments
from controller.network.l3_models import FloatingIP
from controller.network.models import IPAllocation, Network, Port, Subnet
from controller.network.port_addresses import (DHCP_OWNER, add_dhcp_address, ipam_call,
                                               remove_dhcp_address)

LOG = logging.getLogger(__name__)

MAX_DNS_NAMESERVERS = 5
MAX_HOST_ROUTES = 20
_ATTEMPTS = 40
# Marks an argument the caller did not give, where None is a meaningful value.
UNSET = object()


@dataclasses.dataclass(frozen=True)
class Scope:
    """Which rows a caller may look at: those of one project (plus shared networks and
    their subnets, and the DHCP port of every network it can see), or all of them."""

    project_id: str | None
    all_projects: bool = False


def not_found(kind, resource_id):
    """Neutron's 404 for a network, subnet or port that is missing or not visible."""
    return errors.NotFound(f"{kind.capitalize()} {resource_id} could not be found.",
                           f"{kind.capitalize()}NotFound")



def _delete_disassociated_floating_ips(session, network_id):
    """An external network goes with the floating IPs it holds that are on no port,
    as Neutron deletes them (``delete_disassociated_floatingips``)."""
    for fip in session.scalars(select(FloatingIP).where(
            FloatingIP.floating_network_id == network_id,
            FloatingIP.fixed_port_id.is_(None))):
        port = session.get(Port, fip.floating_port_id)
        session.delete(fip)
        session.flush()
        if port is not None:
            session.delete(port)
    session.flush()


class NetworkCore:
    def __init__(self, db, conf):
        self.db = db
        self.conf = conf.network
        self.vni_ranges = ipam_call(segments.parse_vni_ranges, self.conf.vni_ranges)

    # --- transactions -------------------------------------------------------------

    def run(self, work):
        """Run ``work(session)`` in a transaction, again when it loses a uniqueness race."""
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                with self.db.session() as session:
                    return work(session)
            except IntegrityError as exc:
                if attempt == _ATTEMPTS:
                    LOG.warning("giving up after %d conflicting attempts: %s", attempt, exc)
                    raise errors.Conflict("The request conflicted with concurrent "
                                          "requests; try again.") from None
                time.sleep(random.uniform(0, 0.005 * attempt))

    # --- queries ------------------------------------------------------------------

    @staticmethod
    def _visible_networks(scope):
        query = select(Network).options(selectinload(Network.subnets))
        if not scope.all_projects:
            query = query.where(or_(Network.project_id == scope.project_id,
                                    Network.shared.is_(True),
                                    Network.router_external.is_(True)))
        return query

    @staticmethod
    def _visible_subnets(scope):
        query = select(Subnet).join(Subnet.network).options(contains_eager(Subnet.network))
        if not scope.all_projects:
            query = query.where(or_(Network.project_id == scope.project_id,
                                    Network.shared.is_(True)))
        return query

    @staticmethod
    def _visible_ports(scope):
        query = (select(Port).join(Port.network)
                 .options(contains_eager(Port.network), selectinload(Port.fixed_ips),
                          selectinload(Port.security_group_bindings)))
        if not scope.all_projects:
            network_visible = or_(Network.project_id == scope.project_id,
                                  Network.shared.is_(True))
            query = query.where(or_(Port.project_id == scope.project_id,
                                    and_(Port.device_owner == DHCP_OWNER, network_visible)))
        return query

    def list_networks(self, scope):
        with self.db.session() as session:
            return list(session.scalars(self._visible_networks(scope)
                                        .order_by(Network.created_at, Network.id)))

    def list_subnets(self, scope):
        with self.db.session() as session:
            return list(session.scalars(self._visible_subnets(scope)
                                        .order_by(Subnet.created_at, Subnet.id)))

    def list_ports(self, scope, network_id=None, device_ids=None):
        """Ports, narrowed in SQL by the two filters callers use most (compute asks the
        ports of the servers it shows by their ``device_id``s)."""
        query = self._visible_ports(scope).order_by(Port.created_at, Port.id)
        if network_id is not None:
            query = query.where(Port.network_id == network_id)
        if device_ids is not None:
            query = query.where(Port.device_id.in_(device_ids))
        with self.db.session() as session:
            return list(session.scalars(query))

    def get_network(self, network_id, scope, session=None):
        if session is None:
            with self.db.session() as session:
                return self.get_network(network_id, scope, session)
        network = session.scalars(self._visible_networks(scope)
                                  .where(Network.id == network_id)).first()
        if network is None:
            raise not_found("network", network_id)
        return network

    def get_subnet(self, subnet_id, scope, session=None):
        if session is None:
            with self.db.session() as session:
                return self.get_subnet(subnet_id, scope, session)
        subnet = session.scalars(self._visible_subnets(scope)
                                 .where(Subnet.id == subnet_id)).first()
        if subnet is None:
            raise not_found("subnet", subnet_id)
        return subnet

    def get_port(self, port_id, scope, session=None):
        if session is None:
            with self.db.session() as session:
                return self.get_port(port_id, scope, session)
        port = session.scalars(self._visible_ports(scope).where(Port.id == port_id)).first()
        if port is None:
            raise not_found("port", port_id)
        return port

    # --- networks -----------------------------------------------------------------

    def create_network(self, project_id, *, name="", description="", admin_state_up=True,
                       shared=False, router_external=False, network_type=None,
                       segmentation_id=None, physical_network=None, mtu=None):
        network_type = ipam_call(segments.check_network_type,
                                  network_type or self.conf.default_network_type)
        segmentation_id, physical_network = ipam_call(
            segments.check_segment, network_type, segmentation_id, physical_network)
        max_mtu = segments.mtu_for(network_type, self.conf.global_physnet_mtu)
        if mtu is None:
            mtu = max_mtu
        elif not 68 <= mtu <= max_mtu:
            raise errors.BadRequest(f"Invalid input for operation: Requested MTU {mtu} "
                                    f"is outside 68..{max_mtu} for {network_type} "
                                    f"networks.", "InvalidInput")

        def work(session):
            quotas.check_room(session, self.conf, project_id, "network")
            vni = segmentation_id
            if network_type == "vxlan":
                used = set(session.scalars(select(Network.segmentation_id).where(
                    Network.network_type == "vxlan")))
                if vni is None:
                    vni = ipam_call(segments.next_free_vni, self.vni_ranges, used)
                elif vni in used:
                    raise errors.Conflict(f"Unable to create the network. The tunnel ID "
                                          f"{vni} is in use.", "TunnelIdInUse")
            elif session.scalar(select(exists().where(
                    Network.network_type == "flat",
                    Network.physical_network == physical_network))):
                raise errors.Conflict(f"Unable to create the flat network. Physical "
                                      f"network {physical_network} is in use.",
                                      "FlatNetworkInUse")
            network = Network(project_id=project_id, name=name, description=description,
                              admin_state_up=admin_state_up, shared=shared,
                              router_external=router_external,
                              mtu=mtu, network_type=network_type, segmentation_id=vni,
                              physical_network=physical_network, subnets=[])
            session.add(network)
            session.flush()
            return network

        return self.run(work)

    def update_network(self, network_id, scope, changes):
        """``changes``: name, description, admin_state_up, shared, router_external,
        mtu."""
        def work(session):
            network = self.get_network(network_id, scope, session)
            l3_rules.check_external_change(session, network, changes)
            if "mtu" in changes:
                max_mtu = segments.mtu_for(network.network_type,
                                           self.conf.global_physnet_mtu)
                if not 68 <= changes["mtu"] <= max_mtu:
                    raise errors.BadRequest(f"Invalid input for operation: Requested MTU "
                                            f"{changes['mtu']} is outside 68..{max_mtu}.",
                                            "InvalidInput")
            if changes.get("shared") is False and network.shared and session.scalar(
                    select(exists().where(Port.network_id == network.id,
                                          Port.project_id != network.project_id,
                                          Port.device_owner != DHCP_OWNER))):
                raise errors.Conflict(f"Unable to reconfigure sharing settings for network "
                                      f"{network.id}. Multiple tenants are using it.",
                                      "InvalidSharedSetting")
            for key, value in changes.items():
                setattr(network, key, value)
            network.revision_number += 1
            return network

        return self.run(work)

    def delete_network(self, network_id, scope):
        def work(session):
            network = self.get_network(network_id, scope, session)
            _delete_disassociated_floating_ips(session, network.id)
            ports = list(session.scalars(select(Port).where(Port.network_id == network.id)))
            if any(port.device_owner != DHCP_OWNER for port in ports):
                raise errors.Conflict(f"Unable to complete operation on network "
                                      f"{network.id}. There are one or more ports still "
                                      f"in use on the network.", "NetworkInUse")
            for port in ports:
                session.delete(port)
            session.flush()
            session.delete(network)

        self.run(work)

    # --- subnets ------------------------------------------------------------------

    def create_subnet(self, project_id, network_id, scope, *, cidr, name="",
                      description="", gateway_ip=UNSET, allocation_pools=None,
                      dns_nameservers=(), host_routes=(), enable_dhcp=True):
        net = ipam_call(ipam.parse_cidr, cidr)
        gateway = self._gateway(net, gateway_ip)
        if allocation_pools is None:
            pools = ipam.default_pools(net, gateway)
        else:
            pools = ipam_call(ipam.parse_pools, net, allocation_pools, gateway)
        dns = self._nameservers(dns_nameservers)
        routes = self._host_routes(host_routes)

        def work(session):
            network = self.get_network(network_id, scope, session)
            quotas.check_room(session, self.conf, project_id, "subnet")
            for other in network.subnets:
                if ipaddress.ip_network(other.cidr).overlaps(net):
                    raise errors.BadRequest(
                        f"Invalid input for operation: Requested subnet with cidr: {net} "
                        f"for network: {network.id} overlaps with another subnet.",
                        "InvalidInput")
            subnet = Subnet(project_id=project_id, network=network, cidr=str(net),
                            name=name, description=description,
                            gateway_ip=None if gateway is None else str(gateway),
                            allocation_pools=[pool.as_dict() for pool in pools],
                            dns_nameservers=dns, host_routes=routes,
                            enable_dhcp=enable_dhcp)
            session.add(subnet)
            session.flush()
            if enable_dhcp:
                add_dhcp_address(session, network, subnet)
            return subnet

        return self.run(work)

    def update_subnet(self, subnet_id, scope, changes):
        """``changes``: name, description, gateway_ip, allocation_pools, dns_nameservers,
        host_routes, enable_dhcp."""
        def work(session):
            subnet = self.get_subnet(subnet_id, scope, session)
            net = ipaddress.ip_network(subnet.cidr)
            gateway = (self._gateway(net, changes["gateway_ip"]) if "gateway_ip" in changes
                       else subnet.gateway_ip and ipaddress.ip_address(subnet.gateway_ip))
            if "allocation_pools" in changes:
                pools = ipam_call(ipam.parse_pools, net, changes["allocation_pools"],
                                   gateway)
                subnet.allocation_pools = [pool.as_dict() for pool in pools]
            elif "gateway_ip" in changes:
                ipam_call(ipam.parse_pools, net, subnet.allocation_pools, gateway)
            if "gateway_ip" in changes:
                if gateway is not None and session.scalar(select(exists().where(
                        IPAllocation.subnet_id == subnet.id,
                        IPAllocation.ip_address == str(gateway)))):
                    raise errors.Conflict(f"Gateway ip {gateway} is already allocated to "
                                          f"a port.", "GatewayIpInUse")
                subnet.gateway_ip = None if gateway is None else str(gateway)
            if "dns_nameservers" in changes:
                subnet.dns_nameservers = self._nameservers(changes["dns_nameservers"])
            if "host_routes" in changes:
                subnet.host_routes = self._host_routes(changes["host_routes"])
            for key in ("name", "description"):
                if key in changes:
                    setattr(subnet, key, changes[key])
            if "enable_dhcp" in changes and changes["enable_dhcp"] != subnet.enable_dhcp:
                subnet.enable_dhcp = changes["enable_dhcp"]
                if subnet.enable_dhcp:
                    add_dhcp_address(session, subnet.network, subnet)
                else:
                    remove_dhcp_address(session, subnet)
            subnet.revision_number += 1
            return subnet

        return self.run(work)

    def delete_subnet(self, subnet_id, scope):
        def work(session):
            subnet = self.get_subnet(subnet_id, scope, session)
            in_use = session.scalar(select(exists().where(
                IPAllocation.subnet_id == subnet.id,
                IPAllocation.port_id == Port.id,
                Port.device_owner != DHCP_OWNER)))
            if in_use:
                raise errors.Conflict(f"Unable to complete operation on subnet "
                                      f"{subnet.id}: One or more ports have an IP "
                                      f"allocation from this subnet.", "SubnetInUse")
            remove_dhcp_address(session, subnet)
            session.flush()
            session.delete(subnet)

        self.run(work)

    @staticmethod
    def _gateway(net, gateway_ip):
        if gateway_ip is UNSET:
            return ipam.default_gateway(net)
        if gateway_ip is None:
            return None
        address = ipam_call(ipam.parse_address, gateway_ip, "gateway IP")
        return ipam_call(ipam.check_gateway, net, address)

    @staticmethod
    def _nameservers(values):
        if len(values) > MAX_DNS_NAMESERVERS:
            raise errors.BadRequest(f"Number of DNS nameservers exceeds the limit "
                                    f"{MAX_DNS_NAMESERVERS}.", "DNSNameServersExhausted")
        servers = [str(ipam_call(ipam.parse_address, value, "DNS nameserver"))
                   for value in values]
        if len(set(servers)) != len(servers):
            raise errors.BadRequest("Duplicate DNS nameserver.", "InvalidInput")
        return servers

    @staticmethod
    def _host_routes(values):
        if len(values) > MAX_HOST_ROUTES:
            raise errors.BadRequest(f"Number of host routes exceeds the limit "
                                    f"{MAX_HOST_ROUTES}.", "HostRoutesExhausted")
        routes = []
        for route in values:
            if not isinstance(route, dict) or set(route) != {"destination", "nexthop"}:
                raise errors.BadRequest("A host route needs exactly 'destination' and "
                                        "'nexthop'.", "InvalidInput")
            try:
                destination = ipaddress.ip_network(str(route["destination"]))
            except ValueError:
                raise errors.BadRequest(f"'{route['destination']}' is not a valid "
                                        f"destination CIDR.", "InvalidInput") from None
            nexthop = ipam_call(ipam.parse_address, route["nexthop"], "nexthop")
            routes.append({"destination": str(destination), "nexthop": str(nexthop)})
        return routes
