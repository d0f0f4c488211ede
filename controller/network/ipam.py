"""Address management without a database: which IPv4 addresses a subnet may hand out,
which one a port gets next, and the MAC addresses ports get.

The callers keep the used addresses; the database's unique (subnet, address) constraint
is what finally stops two ports sharing one, these functions only choose.
"""
import dataclasses
import ipaddress
import random
import re

# Neutron's default base MAC: fa:16:3e, then three random bytes.
MAC_PREFIX = "fa:16:3e"
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


class IpamError(ValueError):
    """Bad subnet or address input: ``error_type`` is the Neutron exception name and
    ``status`` the HTTP status Neutron answers it with."""

    error_type = "InvalidInput"
    status = 400

    def __init__(self, message, error_type=None, status=None):
        super().__init__(message)
        self.error_type = error_type or self.error_type
        self.status = status or self.status


class AddressExhausted(IpamError):
    """No free address is left in the subnet's allocation pools."""

    error_type = "IpAddressGenerationFailure"
    status = 409


@dataclasses.dataclass(frozen=True)
class Pool:
    start: ipaddress.IPv4Address
    end: ipaddress.IPv4Address

    def as_dict(self):
        return {"start": str(self.start), "end": str(self.end)}

    def __contains__(self, address):
        return self.start <= address <= self.end


def parse_cidr(cidr):
    """An IPv4 network from its CIDR; host bits must be zero and room left for hosts."""
    try:
        network = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        raise IpamError(f"'{cidr}' is not a valid IP subnet.") from None
    if network.version != 4:
        raise IpamError("Only IPv4 subnets are supported.")
    if str(network) != str(cidr):
        raise IpamError(f"'{cidr}' isn't a recognized IP subnet cidr, '{network}' is "
                        f"recommended.")
    if network.prefixlen > 30:
        raise IpamError(f"Subnet {cidr} is too small: the prefix must be /30 or shorter.")
    return network


def parse_address(value, what="IP address"):
    try:
        address = ipaddress.ip_address(str(value))
    except ValueError:
        raise IpamError(f"'{value}' is not a valid {what}.") from None
    if address.version != 4:
        raise IpamError(f"'{value}' is not a valid IPv4 {what}.")
    return address


def host_range(network):
    """First and last usable address: not the network nor the broadcast address."""
    return network.network_address + 1, network.broadcast_address - 1


def default_gateway(network):
    return host_range(network)[0]


def check_gateway(network, gateway):
    """The gateway must be a usable address of the subnet."""
    first, last = host_range(network)
    if not first <= gateway <= last:
        raise IpamError(f"Gateway IP {gateway} is not a usable address of subnet "
                        f"{network}.")
    return gateway


def default_pools(network, gateway):
    """The whole usable range, split around the gateway."""
    first, last = host_range(network)
    if gateway is None or not first <= gateway <= last:
        return [Pool(first, last)]
    pools = []
    if gateway > first:
        pools.append(Pool(first, gateway - 1))
    if gateway < last:
        pools.append(Pool(gateway + 1, last))
    return pools


def parse_pools(network, pools, gateway):
    """Given allocation pools, checked: inside the usable range, start <= end, no overlap,
    gateway outside them. Returned in address order."""
    first, last = host_range(network)
    parsed = []
    for pool in pools:
        if not isinstance(pool, dict) or set(pool) != {"start", "end"}:
            raise IpamError("An allocation pool needs exactly 'start' and 'end'.")
        start = parse_address(pool["start"])
        end = parse_address(pool["end"])
        if start > end:
            raise IpamError(f"Allocation pool {start}-{end} starts after it ends.")
        if not (first <= start and end <= last):
            raise IpamError(f"The allocation pool {start}-{end} spans beyond the "
                            f"usable addresses of subnet {network}.",
                            "OutOfBoundsAllocationPool")
        parsed.append(Pool(start, end))
    parsed.sort(key=lambda p: p.start)
    for before, after in zip(parsed, parsed[1:]):
        if after.start <= before.end:
            raise IpamError(f"Found overlapping allocation pools: {before.start}-"
                            f"{before.end} and {after.start}-{after.end}.",
                            "OverlappingAllocationPools")
    if gateway is not None and any(gateway in pool for pool in parsed):
        raise IpamError(f"Gateway ip {gateway} conflicts with allocation pool.",
                        "GatewayConflictWithAllocationPools", 409)
    return parsed


def pools_from_dicts(pools):
    return [Pool(parse_address(p["start"]), parse_address(p["end"])) for p in pools]


def next_free(pools, used):
    """The lowest pool address not in ``used`` (a set of strings)."""
    for pool in pools:
        address = pool.start
        while address <= pool.end:
            if str(address) not in used:
                return str(address)
            address += 1
    raise AddressExhausted("No more IP addresses available on the subnet.")


def check_fixed_address(network, gateway, value):
    """An address asked for explicitly: inside the subnet's usable range, not its gateway.
    It may lie outside the pools, as in Neutron."""
    address = parse_address(value)
    first, last = host_range(network)
    if not first <= address <= last:
        raise IpamError(f"IP address {address} is not a valid IP for the specified "
                        f"subnet {network}.", "InvalidIpForSubnet")
    if gateway is not None and address == gateway:
        raise IpamError(f"IP address {address} is the gateway of subnet {network}.",
                        "InvalidIpForSubnet")
    return str(address)


def generate_mac(rng=random):
    """A random MAC under the fa:16:3e prefix; collisions are caught by the database."""
    return MAC_PREFIX + "".join(f":{rng.randrange(256):02x}" for _ in range(3))


def parse_mac(value):
    """A unicast MAC in lower-case colon form."""
    text = str(value).strip().lower().replace("-", ":")
    if not _MAC.match(text):
        raise IpamError(f"'{value}' is not a valid MAC address.")
    if int(text[:2], 16) & 1 or text == "00:00:00:00:00:00":
        raise IpamError(f"'{value}' is not a valid unicast MAC address.")
    return text
