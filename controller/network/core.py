"""Networks, subnets and ports in the database: what Neutron's core plugin does.

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
from controller.network.security_groups import set_port_groups

LOG = logging.getLogger(__name__)

DHCP_OWNER = "network:dhcp"
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


def _ipam_call(function, *args):
    """Run an ipam/segments check, turning its error into the API's."""
    try:
        return function(*args)
    except ipam.IpamError as exc:
        raise _api_error(exc) from None


def _api_error(exc):
    error = errors.ApiError(str(exc), exc.error_type)
    error.status = exc.status
    return error


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
        self.vni_ranges = _ipam_call(segments.parse_vni_ranges, self.conf.vni_ranges)

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

    def list_ports(self, scope, network_id=None, device_id=None):
        """Ports, narrowed in SQL by the two filters callers use most."""
        query = self._visible_ports(scope).order_by(Port.created_at, Port.id)
        if network_id is not None:
            query = query.where(Port.network_id == network_id)
        if device_id is not None:
            query = query.where(Port.device_id == device_id)
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
        network_type = _ipam_call(segments.check_network_type,
                                  network_type or self.conf.default_network_type)
        segmentation_id, physical_network = _ipam_call(
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
                    vni = _ipam_call(segments.next_free_vni, self.vni_ranges, used)
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
        net = _ipam_call(ipam.parse_cidr, cidr)
        gateway = self._gateway(net, gateway_ip)
        if allocation_pools is None:
            pools = ipam.default_pools(net, gateway)
        else:
            pools = _ipam_call(ipam.parse_pools, net, allocation_pools, gateway)
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
                self._add_dhcp_address(session, network, subnet)
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
                pools = _ipam_call(ipam.parse_pools, net, changes["allocation_pools"],
                                   gateway)
                subnet.allocation_pools = [pool.as_dict() for pool in pools]
            elif "gateway_ip" in changes:
                _ipam_call(ipam.parse_pools, net, subnet.allocation_pools, gateway)
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
                    self._add_dhcp_address(session, subnet.network, subnet)
                else:
                    self._remove_dhcp_address(session, subnet)
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
            self._remove_dhcp_address(session, subnet)
            session.flush()
            session.delete(subnet)

        self.run(work)

    @staticmethod
    def _gateway(net, gateway_ip):
        if gateway_ip is UNSET:
            return ipam.default_gateway(net)
        if gateway_ip is None:
            return None
        address = _ipam_call(ipam.parse_address, gateway_ip, "gateway IP")
        return _ipam_call(ipam.check_gateway, net, address)

    @staticmethod
    def _nameservers(values):
        if len(values) > MAX_DNS_NAMESERVERS:
            raise errors.BadRequest(f"Number of DNS nameservers exceeds the limit "
                                    f"{MAX_DNS_NAMESERVERS}.", "DNSNameServersExhausted")
        servers = [str(_ipam_call(ipam.parse_address, value, "DNS nameserver"))
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
            nexthop = _ipam_call(ipam.parse_address, route["nexthop"], "nexthop")
            routes.append({"destination": str(destination), "nexthop": str(nexthop)})
        return routes

    # --- the DHCP port ------------------------------------------------------------

    def _add_dhcp_address(self, session, network, subnet):
        """Give the network's DHCP port (created with the first DHCP-enabled subnet) an
        address on ``subnet``, the first free one, as Neutron's DHCP agent takes."""
        port = session.scalars(select(Port).where(Port.network_id == network.id,
                                                  Port.device_owner == DHCP_OWNER)).first()
        address = self._next_address(session, subnet, set())
        allocation = IPAllocation(subnet_id=subnet.id, network_id=network.id,
                                  ip_address=address)
        if port is None:
            session.add(Port(project_id=network.project_id, network=network,
                             mac_address=self._new_mac(session, network.id),
                             device_owner=DHCP_OWNER, device_id=f"dhcp-{network.id}",
                             binding_profile={}, fixed_ips=[allocation]))
        else:
            port.fixed_ips.append(allocation)
            port.revision_number += 1
        session.flush()

    @staticmethod
    def _remove_dhcp_address(session, subnet):
        """Take the DHCP port's address on ``subnet`` away; the port goes with its last."""
        port = session.scalars(select(Port).where(Port.network_id == subnet.network_id,
                                                  Port.device_owner == DHCP_OWNER)).first()
        if port is None:
            return
        port.fixed_ips = [ip for ip in port.fixed_ips if ip.subnet_id != subnet.id]
        port.revision_number += 1
        if not port.fixed_ips:
            session.delete(port)
        session.flush()

    # --- ports --------------------------------------------------------------------

    def create_port(self, project_id, network_id, scope, *, name="", description="",
                    admin_state_up=True, mac_address=None, fixed_ips=None, device_id="",
                    device_owner="", binding_host_id="", binding_profile=None,
                    security_groups=None, port_security_enabled=True):
        """``fixed_ips``: None (one address from the first subnet with room) or a list of
        {"subnet_id"?, "ip_address"?}; ``security_groups``: None (the project's default
        group) or a list of ids."""
        if mac_address is not None:
            mac_address = _ipam_call(ipam.parse_mac, mac_address)

        def work(session):
            network = self.get_network(network_id, scope, session)
            quotas.check_room(session, self.conf, project_id, "port")
            if mac_address is None:
                mac = self._new_mac(session, network.id)
            elif session.scalar(select(exists().where(Port.network_id == network.id,
                                                      Port.mac_address == mac_address))):
                raise errors.Conflict(f"Unable to complete operation for network "
                                      f"{network.id}. The mac address {mac_address} is in "
                                      f"use.", "MacAddressInUse")
            else:
                mac = mac_address
            port = Port(project_id=project_id, network=network, mac_address=mac, name=name,
                        description=description, admin_state_up=admin_state_up,
                        device_id=device_id, device_owner=device_owner,
                        binding_host_id=binding_host_id or "",
                        binding_profile=binding_profile or {},
                        port_security_enabled=port_security_enabled, fixed_ips=[])
            port.fixed_ips = self._allocate(session, network, fixed_ips, [])
            set_port_groups(session, port, security_groups, port_security_enabled,
                            creating=True)
            session.add(port)
            session.flush()
            return port

        return self.run(work)

    def update_port(self, port_id, scope, changes):
        """``changes``: name, description, admin_state_up, device_id, device_owner,
        binding_host_id, binding_profile, fixed_ips, security_groups,
        port_security_enabled."""
        def work(session):
            port = self.get_port(port_id, scope, session)
            if "fixed_ips" in changes:
                port.fixed_ips = self._allocate(session, port.network, changes["fixed_ips"],
                                                list(port.fixed_ips))
            if "security_groups" in changes or "port_security_enabled" in changes:
                set_port_groups(
                    session, port, changes.get("security_groups"),
                    changes.get("port_security_enabled", port.port_security_enabled),
                    creating=False)
            for key, value in changes.items():
                if key not in ("fixed_ips", "security_groups"):
                    setattr(port, key, value)
            port.revision_number += 1
            session.flush()
            return port

        return self.run(work)

    def delete_port(self, port_id, scope):
        def work(session):
            port = self.get_port(port_id, scope, session)
            l3_rules.before_port_delete(session, port)
            session.delete(port)

        self.run(work)

    @staticmethod
    def _new_mac(session, network_id):
        used = set(session.scalars(select(Port.mac_address)
                                   .where(Port.network_id == network_id)))
        while True:
            mac = ipam.generate_mac()
            if mac not in used:
                return mac

    @staticmethod
    def _used(session, subnet_id):
        return set(session.scalars(select(IPAllocation.ip_address)
                                   .where(IPAllocation.subnet_id == subnet_id)))

    def _next_address(self, session, subnet, taken):
        pools = ipam.pools_from_dicts(subnet.allocation_pools)
        return _ipam_call(ipam.next_free, pools, self._used(session, subnet.id) | taken)

    def _allocate(self, session, network, requested, current):
        """The port's allocations for ``requested`` fixed IPs: the ``current`` ones still
        asked for are kept, new ones taken from the pools or as given."""
        subnets = {subnet.id: subnet for subnet in network.subnets}
        if requested is None:
            for subnet in network.subnets:
                try:
                    address = self._next_address(session, subnet, set())
                except errors.ApiError:
                    continue
                return [IPAllocation(subnet_id=subnet.id, network_id=network.id,
                                     ip_address=address)]
            if subnets:
                raise errors.Conflict(f"No more IP addresses available on network "
                                      f"{network.id}.", "IpAddressGenerationFailure")
            return []
        spare = list(current)
        result, taken = [], {}
        for entry in requested:
            subnet = self._subnet_for(network, subnets, entry)
            address = entry.get("ip_address")
            if address is not None:
                gateway = subnet.gateway_ip and ipaddress.ip_address(subnet.gateway_ip)
                address = _ipam_call(ipam.check_fixed_address,
                                     ipaddress.ip_network(subnet.cidr), gateway, address)
            kept = next((ip for ip in spare if ip.subnet_id == subnet.id
                         and (address is None or ip.ip_address == address)), None)
            if kept is not None:
                spare.remove(kept)
                allocation = kept
            else:
                if address is None:
                    address = self._next_address(session, subnet,
                                                 taken.get(subnet.id, set()))
                elif address in (self._used(session, subnet.id)
                                 - {ip.ip_address for ip in spare}):
                    raise errors.Conflict(f"IP address {address} already allocated in "
                                          f"subnet {subnet.id}", "IpAddressAlreadyAllocated")
                allocation = IPAllocation(subnet_id=subnet.id, network_id=network.id,
                                          ip_address=address)
            if allocation.ip_address in taken.setdefault(subnet.id, set()):
                raise errors.BadRequest(f"Duplicate IP address {allocation.ip_address} "
                                        f"in fixed_ips.", "InvalidInput")
            taken[subnet.id].add(allocation.ip_address)
            result.append(allocation)
        if spare:
            # Freed addresses go before new ones are inserted, so one may be re-taken.
            for allocation in spare:
                session.delete(allocation)
            session.flush()
        return result

    @staticmethod
    def _subnet_for(network, subnets, entry):
        if "subnet_id" in entry:
            subnet = subnets.get(entry["subnet_id"])
            if subnet is None:
                raise errors.BadRequest(f"Invalid input for operation: Failed to create "
                                        f"port on network {network.id}, because fixed_ips "
                                        f"included invalid subnet {entry['subnet_id']}.",
                                        "InvalidInput")
            return subnet
        address = _ipam_call(ipam.parse_address, entry.get("ip_address"))
        for subnet in network.subnets:
            if address in ipaddress.ip_network(subnet.cidr):
                return subnet
        raise errors.BadRequest(f"Invalid input for operation: IP address {address} is "
                                f"not a valid IP for any of the subnets on the specified "
                                f"network.", "InvalidInput")
