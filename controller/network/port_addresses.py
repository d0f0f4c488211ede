"""Addresses and MAC addresses of ports in the database: the IPAM choices of ``ipam``
applied to the rows a transaction sees, and the network's DHCP port, which holds one
address on each DHCP-enabled subnet.

These run inside a caller's transaction (the network core's ``run``); the unique
constraints on (subnet, address) and (network, MAC) settle races, so the caller's retry
sees the winner's row and picks again.
"""
import ipaddress

from sqlalchemy import select

from controller.api import errors
from controller.network import ipam
from controller.network.models import IPAllocation, Port

DHCP_OWNER = "network:dhcp"


def ipam_call(function, *args):
    """Run an ipam/segments check, turning its error into the API's."""
    try:
        return function(*args)
    except ipam.IpamError as exc:
        raise api_error(exc) from None


def api_error(exc):
    """The API error (Neutron's type and status) for an ``ipam.IpamError``."""
    error = errors.ApiError(str(exc), exc.error_type)
    error.status = exc.status
    return error


def add_dhcp_address(session, network, subnet):
    """Give the network's DHCP port (created with the first DHCP-enabled subnet) an
    address on ``subnet``, the first free one, as Neutron's DHCP agent takes."""
    port = session.scalars(select(Port).where(Port.network_id == network.id,
                                              Port.device_owner == DHCP_OWNER)).first()
    address = next_address(session, subnet, set())
    allocation = IPAllocation(subnet_id=subnet.id, network_id=network.id,
                              ip_address=address)
    if port is None:
        session.add(Port(project_id=network.project_id, network=network,
                         mac_address=new_mac(session, network.id),
                         device_owner=DHCP_OWNER, device_id=f"dhcp-{network.id}",
                         binding_profile={}, fixed_ips=[allocation]))
    else:
        port.fixed_ips.append(allocation)
        port.revision_number += 1
    session.flush()


def remove_dhcp_address(session, subnet):
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


def new_mac(session, network_id):
    """A random Neutron-style MAC that no port on the network has yet."""
    used = set(session.scalars(select(Port.mac_address)
                               .where(Port.network_id == network_id)))
    while True:
        mac = ipam.generate_mac()
        if mac not in used:
            return mac


def used_addresses(session, subnet_id):
    return set(session.scalars(select(IPAllocation.ip_address)
                               .where(IPAllocation.subnet_id == subnet_id)))


def next_address(session, subnet, taken):
    pools = ipam.pools_from_dicts(subnet.allocation_pools)
    return ipam_call(ipam.next_free, pools, used_addresses(session, subnet.id) | taken)


def allocate(session, network, requested, current):
    """The port's allocations for ``requested`` fixed IPs: the ``current`` ones still
    asked for are kept, new ones taken from the pools or as given."""
    subnets = {subnet.id: subnet for subnet in network.subnets}
    if requested is None:
        for subnet in network.subnets:
            try:
                address = next_address(session, subnet, set())
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
        subnet = _subnet_for(network, subnets, entry)
        address = entry.get("ip_address")
        if address is not None:
            gateway = subnet.gateway_ip and ipaddress.ip_address(subnet.gateway_ip)
            address = ipam_call(ipam.check_fixed_address,
                                ipaddress.ip_network(subnet.cidr), gateway, address)
        kept = next((ip for ip in spare if ip.subnet_id == subnet.id
                     and (address is None or ip.ip_address == address)), None)
        if kept is not None:
            spare.remove(kept)
            allocation = kept
        else:
            if address is None:
                address = next_address(session, subnet, taken.get(subnet.id, set()))
            elif address in (used_addresses(session, subnet.id)
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


def _subnet_for(network, subnets, entry):
    if "subnet_id" in entry:
        subnet = subnets.get(entry["subnet_id"])
        if subnet is None:
            raise errors.BadRequest(f"Invalid input for operation: Failed to create "
                                    f"port on network {network.id}, because fixed_ips "
                                    f"included invalid subnet {entry['subnet_id']}.",
                                    "InvalidInput")
        return subnet
    address = ipam_call(ipam.parse_address, entry.get("ip_address"))
    for subnet in network.subnets:
        if address in ipaddress.ip_network(subnet.cidr):
            return subnet
    raise errors.BadRequest(f"Invalid input for operation: IP address {address} is "
                            f"not a valid IP for any of the subnets on the specified "
                            f"network.", "InvalidInput")
