"""Port security: what a guest may send into its network, enforced on this host as
Neutron's agents enforce it (anti-spoofing, on unless ``[network] port_security`` is
off).

A frame entering a bridge from a guest's tap must carry the port's MAC. IPv4 and ARP
must come from one of the port's addresses (0.0.0.0 only to ask for a lease or to probe
an address); IPv6 from the MAC's EUI-64 link-local address or one of the port's v6
addresses (:: only for duplicate address detection and listener reports), and a
neighbour advertisement may only announce those. A guest may not answer as a DHCP or
DHCPv6 server nor advertise itself as an IPv6 router. Every other frame is dropped,
other ethertypes and VLAN-tagged frames included. Without that, a guest could take a
neighbour's address and read the neighbour's metadata, which the metadata service
hands out by source address.

The rules live in the kernel, in nftables' bridge family (br_netfilter stays off): the
table ``bridge pocketstack`` has a base chain on the bridge's prerouting hook that sends
a tap's frames, by interface name, through the verdict map ``ports`` to the port's own
chain ``net-<network id>-port-<port id>``. Matching by name lets the rules exist before
libvirt creates the tap, so a guest never sends an unfiltered frame; rules outlive the
agent, so guests stay confined while it is down. Other bridge ports (the DHCP
namespace's veth, VXLAN devices, physical interfaces) have no entry in the map and
pass untouched.

``nft`` runs with its JSON syntax (``nft -j``): addresses and names are data, never
text to quote, and each change to a network's ports is one ``nft -f`` transaction.
(python3-nftables would speak the same JSON, but it is a binding for Debian's own
Python, out of reach of the agent's virtualenv.)
"""
import ipaddress
import json
import logging
import subprocess

import netaddr
from oslo_concurrency import lockutils

from agent.network import bridge

LOG = logging.getLogger(__name__)

NFT = "nft"
# Every agent (and test) on this host changes the one table under this lock (a file in
# /run), so that the last network's removal can delete the table without racing
# another's additions.
LOCK_PATH = "/run"
NFT_TIMEOUT = 30
FAMILY = "bridge"
TABLE = "pocketstack"
BASE_CHAIN = "from-guests"
PORTS_MAP = "ports"
# Bridge prerouting at the filter priority: before the bridge forwards or delivers.
BASE_PRIORITY = -200
CHAIN_PREFIX = "net-"
CHAIN_SEPARATOR = "-port-"

DHCP_SERVER_PORT = 67
DHCP_CLIENT_PORT = 68
DHCPV6_SERVER_PORT = 547
UNSPECIFIED_IPV4 = "0.0.0.0"
UNSPECIFIED_IPV6 = "::"
# What a host sends from :: before it owns an address: duplicate address detection and
# multicast listener reports.
ICMPV6_FROM_UNSPECIFIED = ("nd-neighbor-solicit", "mld-listener-report",
                           "mld2-listener-report")
# The target address of a neighbour advertisement: 128 bits after ICMPv6's type, code,
# checksum and flags (nft 1.0.6 has no name for it).
NA_TARGET = {"payload": {"base": "th", "offset": 64, "len": 128}}
ALLOWED_ETHERTYPES = ("arp", "ip", "ip6")
# nft reads ARP's addresses at Ethernet/IPv4 offsets: an ARP packet declaring other
# sizes would have its real sender address elsewhere, so only this kind passes.
ARP_ETHERNET_IPV4 = (("htype", 1), ("ptype", "ip"), ("hlen", 6), ("plen", 4))

DROP = {"drop": None}
ACCEPT = {"accept": None}


class PortSecurityError(Exception):
    """The rules could not be read or changed."""


class NftMissing(PortSecurityError):
    """This host has no nft."""


# --- the rules: pure ----------------------------------------------------------------

def chain_name(network_id, port_id):
    return f"{CHAIN_PREFIX}{network_id}{CHAIN_SEPARATOR}{port_id}"


def allowed_sources(port):
    """(MAC, IPv4 addresses, IPv6 addresses) ``port`` may send from; the IPv6 ones
    start with the MAC's EUI-64 link-local address. Raises ValueError on a malformed
    address, so that no rule is built from it."""
    try:
        mac = netaddr.EUI(port["mac_address"])
    except (netaddr.AddrFormatError, TypeError) as exc:
        raise ValueError(f"port {port['id']}: bad MAC {port['mac_address']!r}") from exc
    ipv4, ipv6 = [], [str(mac.ipv6_link_local())]
    for fixed_ip in port["fixed_ips"]:
        address = ipaddress.ip_address(fixed_ip["ip_address"])
        (ipv4 if address.version == 4 else ipv6).append(str(address))
    return mac.format(netaddr.mac_unix_expanded), ipv4, ipv6


def _match(protocol, field, value, op="=="):
    right = {"set": list(value)} if isinstance(value, (list, tuple)) else value
    return {"match": {"op": op, "left": {"payload": {"protocol": protocol, "field": field}},
                      "right": right}}


def port_rules(port):
    """The expressions of each rule of ``port``'s chain, in order; a port with
    ``port_security_enabled`` false may send anything, as in Neutron."""
    if port.get("port_security_enabled") is False:
        return [[ACCEPT]]
    mac, ipv4, ipv6 = allowed_sources(port)
    arp = [_match("arp", field, value) for field, value in ARP_ETHERNET_IPV4]
    rules = [
        [_match("ether", "saddr", mac, "!="), DROP],
        # Read from the frame as sent, so a VLAN tag shows here (0x8100) and drops it.
        [_match("ether", "type", ALLOWED_ETHERTYPES, "!="), DROP],
        [*arp, _match("arp", "saddr ether", mac),
         _match("arp", "saddr ip", [UNSPECIFIED_IPV4, *ipv4]), ACCEPT],
        [_match("udp", "sport", (DHCP_SERVER_PORT, DHCPV6_SERVER_PORT)), DROP],
        [_match("ip", "saddr", UNSPECIFIED_IPV4), _match("udp", "sport", DHCP_CLIENT_PORT),
         _match("udp", "dport", DHCP_SERVER_PORT), ACCEPT],
    ]
    if ipv4:
        rules.append([_match("ip", "saddr", ipv4), ACCEPT])
    na_targets = [hex(int(ipaddress.IPv6Address(address))) for address in ipv6]
    rules += [
        [_match("icmpv6", "type", "nd-router-advert"), DROP],
        [_match("icmpv6", "type", "nd-neighbor-advert"),
         {"match": {"op": "!=", "left": NA_TARGET, "right": {"set": na_targets}}}, DROP],
        [_match("ip6", "saddr", UNSPECIFIED_IPV6),
         _match("icmpv6", "type", ICMPV6_FROM_UNSPECIFIED), ACCEPT],
        [_match("ip6", "saddr", ipv6), ACCEPT],
        [DROP],
    ]
    return rules


def _object(kind, **fields):
    return {kind: {"family": FAMILY, "table": TABLE, **fields}}


def _base_commands():
    """The table, the map and the base chain with its one rule. Flushing and adding
    the rule again keeps it single however often (and concurrently) this runs."""
    return [
        {"add": {"table": {"family": FAMILY, "name": TABLE}}},
        {"add": _object("map", name=PORTS_MAP, type="ifname", map="verdict")},
        {"add": _object("chain", name=BASE_CHAIN, type="filter", hook="prerouting",
                        prio=BASE_PRIORITY, policy="accept")},
        {"flush": _object("chain", name=BASE_CHAIN)},
        {"add": _object("rule", chain=BASE_CHAIN, expr=[
            {"vmap": {"key": {"meta": {"key": "iifname"}}, "data": f"@{PORTS_MAP}"}}])},
    ]


def _removal_commands(chains):
    """Remove ``chains`` ({name: taps mapped to it}) and their map entries."""
    commands = []
    for name, taps in sorted(chains.items()):
        if taps:
            commands.append({"delete": _object("element", name=PORTS_MAP, elem=sorted(taps))})
        commands += [{"flush": _object("chain", name=name)},
                     {"delete": _object("chain", name=name)}]
    return commands


def network_chains(listing, network_id):
    """{chain name: taps mapped to it} of the network's ports in ``listing`` (the
    ``nftables`` list of ``nft -j list table``)."""
    prefix = chain_name(network_id, "")
    chains = {item["chain"]["name"]: [] for item in listing
              if "chain" in item and item["chain"]["name"].startswith(prefix)}
    for item in listing:
        if item.get("map", {}).get("name") != PORTS_MAP:
            continue
        for tap, verdict in item["map"].get("elem", ()):
            target = verdict.get("jump", {}).get("target")
            if target in chains:
                chains[target].append(tap)
    return chains


def protect_commands(network_id, ports, existing):
    """One transaction making the network's rules those of ``ports`` exactly, given the
    chains it has now (``network_chains``): each port's chain is filled anew, so its
    addresses may have changed, and the chains of ports gone are removed."""
    commands = _base_commands()
    kept = set()
    for port in sorted(ports, key=lambda p: p["id"]):
        name = chain_name(network_id, port["id"])
        kept.add(name)
        commands += [{"add": _object("chain", name=name)},
                     {"flush": _object("chain", name=name)}]
        commands += [{"add": _object("rule", chain=name, expr=expr)}
                     for expr in port_rules(port)]
        commands.append({"add": _object("element", name=PORTS_MAP, elem=[
            [bridge.tap_name(port["id"]), {"jump": {"target": name}}]])})
    gone = {name: taps for name, taps in existing.items() if name not in kept}
    return commands + _removal_commands(gone)


# --- applying them ------------------------------------------------------------------

def _nft(*args, stdin=None):
    try:
        result = subprocess.run([NFT, *args], input=stdin, capture_output=True, text=True,
                                timeout=NFT_TIMEOUT, check=False)
    except FileNotFoundError:
        raise NftMissing(
            f"{NFT} not found: port security needs nftables (Debian package nftables), "
            "or set [network] port_security = false") from None
    if result.returncode != 0:
        raise PortSecurityError(f"nft {' '.join(args[:3])} failed: {result.stderr.strip()}")
    return result.stdout


def _table_lock():
    return lockutils.lock("port-security", lock_file_prefix="pocketstack-", external=True,
                          lock_path=LOCK_PATH)


def _listing():
    """The table's contents (``nft -j`` items), or None when there is no table."""
    tables = json.loads(_nft("-j", "list", "tables", FAMILY))["nftables"]
    if not any(item.get("table", {}).get("name") == TABLE for item in tables):
        return None
    return json.loads(_nft("-j", "list", "table", FAMILY, TABLE))["nftables"]


def only_base_left(listing):
    """True when no port chain is left in the table (``listing``): it can go."""
    return not any(item["chain"]["name"] != BASE_CHAIN for item in listing
                   if "chain" in item)


def _apply(commands):
    _nft("-j", "-f", "-", stdin=json.dumps({"nftables": commands}))


def run_nft_commands(commands):
    """Run ``commands`` (nft JSON) as one transaction: all of them or none."""
    _apply(commands)


def protect(network_id, ports):
    """Make the rules of ``network_id`` on this host those of ``ports`` (dicts with id,
    mac_address, fixed_ips), in one transaction."""
    with _table_lock():
        listing = _listing()
        existing = network_chains(listing, network_id) if listing else {}
        _apply(protect_commands(network_id, ports, existing))
    LOG.debug("network %s: port security for %d ports", network_id, len(ports))


def remove(network_id):
    """Remove every rule of ``network_id``, and the table with the host's last port
    chain. Nothing to do without nft: then no rule can have been made."""
    with _table_lock():
        try:
            listing = _listing()
        except NftMissing:
            return
        if listing is None:
            return
        chains = network_chains(listing, network_id)
        if chains:
            _apply(_removal_commands(chains))
            LOG.info("network %s: port security rules removed", network_id)
            listing = _listing()
        if only_base_left(listing):
            _apply([{"delete": {"table": {"family": FAMILY, "name": TABLE}}}])
            LOG.info("no port security rules left on this host: table %s removed", TABLE)
