"""Security groups on this host: what the ports plugged here may receive and send,
from their groups' rules, as Neutron's firewall drivers enforce them.

Where: conntrack does not run in nftables' bridge family on these kernels (no
nf_conntrack_bridge), so each network's bridge hands its IPv4/IPv6 frames to the inet
hooks (br_netfilter's per-bridge ``nf_call_iptables``/``nf_call_ip6tables``; the
host-wide switch stays off) and the network gets its own table ``inet
pocketstack-sg-<network id>``. In the forward hook a guest's traffic is known by the
bridge and the address: ``iifname`` is the bridge, and the anti-spoofing rules of
``port_security`` (bridge family, before this) already guarantee that only the port
sends from its addresses. So ``egress4/6`` map a source address to the port's
``out-<port>`` chain (returns when a rule allows, drops otherwise) and ``ingress4/6`` a
destination address to its ``in-<port>`` chain (accepts or drops).

Stateful: established and related packets pass, invalid ones are dropped, each network
in its own conntrack zone (overlapping tenant addresses never share connections).
Ports whose groups are stateless (``stateful`` false) are not tracked (``notrack``), so
their replies need rules of their own, as in Neutron.

``remote_group_id`` becomes the named sets ``sg-<group>-v4/v6`` of the member ports'
addresses, on whichever hosts they are. DHCP, DHCPv6 and IPv6 neighbour discovery are
always allowed, as Neutron allows them.

Each change replaces the network's whole table in one ``nft -f`` transaction (add,
delete, add again, fill): the kernel swaps it atomically, so a guest never sees a
moment without filtering, and the table is a pure function of what the network API
says (``ruleset``), which makes a restarted agent rebuild exactly the same one.

How changes arrive: the agent reconciles every ``[agent]
security_group_refresh_interval`` (1 s) — three reads of the network API per network
(its ports, their groups, the remote groups' members) and a swap only when the
generated table differs from the last one applied. A notification fan-out from the
network service would save the reads, but a lost message would leave a host stale
until some full resync; reconciling is the same code path as a restart, needs no new
wire contract between controller and agents, and keeps every host within about a
second of the API (``docs/benchmarks.md``, "Security groups").
"""
import hashlib
import ipaddress
import json
import logging
import uuid

from agent.network import bridge, port_security
from contract import security_group_rules as sg_rules

LOG = logging.getLogger(__name__)

FAMILY = "inet"
TABLE_PREFIX = "pocketstack-sg-"
FORWARD_CHAIN = "guests"
RAW_CHAIN = "zones"
# Before conntrack (-200) to set the zone; the filter priority for the rules.
RAW_PRIORITY = -300
FILTER_PRIORITY = 0
ACCEPT = {"accept": None}
DROP = {"drop": None}
RETURN = {"return": None}
ADDRESS_TYPES = {"IPv4": "ipv4_addr", "IPv6": "ipv6_addr"}
FAMILIES = {"IPv4": ("ip", "4"), "IPv6": ("ip6", "6")}
# What every port may receive and send whatever its groups say (Neutron's defaults).
ICMPV6_ALWAYS_IN = ("nd-router-advert", "nd-neighbor-solicit", "nd-neighbor-advert",
                    "mld-listener-query")
ICMPV6_ALWAYS_OUT = ("nd-router-solicit", "nd-neighbor-solicit", "nd-neighbor-advert",
                     "mld-listener-report", "mld2-listener-report")


def table_name(network_id):
    return TABLE_PREFIX + network_id


def zone_of(network_id):
    """A conntrack zone (1–65535) for the network, the same on every host."""
    return uuid.UUID(network_id).int % 65535 + 1


def set_name(group_id, ethertype):
    return f"sg-{group_id}-v{FAMILIES[ethertype][1]}"


# --- pure: rules → nftables JSON ---------------------------------------------------------

def _match(left, right, op="=="):
    return {"match": {"op": op, "left": left, "right": right}}


def _payload(protocol, field):
    return {"payload": {"protocol": protocol, "field": field}}


def _meta(key):
    return {"meta": {"key": key}}


def _address(value):
    network = ipaddress.ip_network(value, strict=False)
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return {"prefix": {"addr": str(network.network_address), "len": network.prefixlen}}


def rule_expressions(rule, table_sets):
    """The match expressions of one security group rule in its port's chain, or None
    when it can match nothing here (a remote group with no set)."""
    ethertype = rule["ethertype"]
    ip_family, _ = FAMILIES[ethertype]
    remote_field = "saddr" if rule["direction"] == "ingress" else "daddr"
    exprs = [_match(_meta("nfproto"), "ipv4" if ethertype == "IPv4" else "ipv6")]
    if rule.get("remote_ip_prefix"):
        network = ipaddress.ip_network(rule["remote_ip_prefix"], strict=False)
        if network.prefixlen:
            exprs.append(_match(_payload(ip_family, remote_field),
                                _address(rule["remote_ip_prefix"])))
    elif rule.get("remote_group_id"):
        name = set_name(rule["remote_group_id"], ethertype)
        if name not in table_sets:
            return None
        exprs.append(_match(_payload(ip_family, remote_field), f"@{name}"))
    number = sg_rules.protocol_number(rule.get("protocol"))
    if number is None:
        return exprs
    if number in sg_rules.ICMP_PROTOCOLS and ethertype == "IPv6":
        number = sg_rules.ICMPV6
    exprs.append(_match(_meta("l4proto"), number))
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    if number in sg_rules.PORT_PROTOCOLS and low is not None:
        exprs.append(_match(_payload("th", "dport"), low if low == high
                            else {"range": [low, high]}))
    elif number in sg_rules.ICMP_PROTOCOLS and low is not None:
        icmp = "icmp" if number == 1 else "icmpv6"
        exprs.append(_match(_payload(icmp, "type"), low))
        if high is not None:
            exprs.append(_match(_payload(icmp, "code"), high))
    return exprs


def _always_allowed(direction):
    """DHCP, DHCPv6 and neighbour discovery, whatever the groups say."""
    if direction == "ingress":
        dhcp = [(67, 68), (547, 546)]
        icmpv6 = ICMPV6_ALWAYS_IN
    else:
        dhcp = [(68, 67), (546, 547)]
        icmpv6 = ICMPV6_ALWAYS_OUT
    rules = [[_match(_meta("l4proto"), 17), _match(_payload("udp", "sport"), sport),
              _match(_payload("udp", "dport"), dport)] for sport, dport in dhcp]
    rules.append([_match(_meta("l4proto"), sg_rules.ICMPV6),
                  _match(_payload("icmpv6", "type"), {"set": list(icmpv6)})])
    return rules


def port_chain_rules(port, groups, direction, table_sets):
    """Each rule (list of expressions with verdict) of the port's ``in-``/``out-``
    chain: allowed traffic accepted (ingress) or returned to the base chain (egress,
    which then checks the receiver's ingress), the rest dropped."""
    verdict = ACCEPT if direction == "ingress" else RETURN
    rules = [[*exprs, verdict] for exprs in _always_allowed(direction)]
    seen = []
    for group_id in port["security_groups"]:
        for rule in groups.get(group_id, {}).get("security_group_rules", ()):
            if rule["direction"] != direction:
                continue
            exprs = rule_expressions(rule, table_sets)
            if exprs is not None and exprs not in seen:
                seen.append(exprs)
                rules.append([*exprs, verdict])
    rules.append([DROP])
    return rules


def _addresses(port, ethertype):
    version = 4 if ethertype == "IPv4" else 6
    return sorted({ip["ip_address"] for ip in port["fixed_ips"]
                   if ipaddress.ip_address(ip["ip_address"]).version == version})


def filtered_ports(ports):
    """The ports security groups apply to: port security on and some group."""
    return [port for port in ports
            if port.get("port_security_enabled", True) and port.get("security_groups")]


def ruleset(network_id, ports, groups, members):
    """The commands that make the network's table exactly this (one transaction).

    ``ports``: the network's ports on this host (id, fixed_ips, security_groups,
    port_security_enabled); ``groups``: {group id: {"stateful", "security_group_rules"}}
    for their groups; ``members``: {group id: addresses of its member ports} for each
    group a rule names as remote. Returns [] when no port here has a group: then the
    table goes (``removal``)."""
    ports = sorted(filtered_ports(ports), key=lambda p: p["id"])
    if not ports:
        return []
    table = table_name(network_id)
    bridge_name = bridge.bridge_name(network_id)

    def obj(kind, **fields):
        return {kind: {"family": FAMILY, "table": table, **fields}}

    commands = [{"add": {"table": {"family": FAMILY, "name": table}}},
                {"delete": {"table": {"family": FAMILY, "name": table}}},
                {"add": {"table": {"family": FAMILY, "name": table}}}]
    table_sets = set()
    for group_id in sorted(members):
        for ethertype, address_type in ADDRESS_TYPES.items():
            name = set_name(group_id, ethertype)
            table_sets.add(name)
            elements = sorted({address for address in members[group_id]
                               if f"IPv{ipaddress.ip_address(address).version}" == ethertype})
            fields = {"name": name, "type": address_type}
            if elements:
                fields["elem"] = elements
            commands.append({"add": obj("set", **fields)})
    stateless = {"IPv4": [], "IPv6": []}
    maps = {(direction, ethertype): [] for direction in ("ingress", "egress")
            for ethertype in ADDRESS_TYPES}
    for port in ports:
        stateful = all(groups.get(g, {}).get("stateful", True)
                       for g in port["security_groups"])
        for direction, prefix in (("ingress", "in-"), ("egress", "out-")):
            chain = prefix + port["id"]
            commands.append({"add": obj("chain", name=chain)})
            commands += [{"add": obj("rule", chain=chain, expr=expr)}
                         for expr in port_chain_rules(port, groups, direction, table_sets)]
            for ethertype in ADDRESS_TYPES:
                maps[(direction, ethertype)] += [[address, {"jump": {"target": chain}}]
                                                for address in _addresses(port, ethertype)]
        if not stateful:
            for ethertype in ADDRESS_TYPES:
                stateless[ethertype] += _addresses(port, ethertype)
    for (direction, ethertype), elements in sorted(maps.items()):
        fields = {"name": f"{direction}{FAMILIES[ethertype][1]}",
                  "type": ADDRESS_TYPES[ethertype], "map": "verdict"}
        if elements:
            fields["elem"] = sorted(elements, key=lambda e: e[0])
        commands.append({"add": obj("map", **fields)})
    on_bridge = _match(_meta("iifname"), bridge_name)
    commands.append({"add": obj("chain", name=RAW_CHAIN, type="filter",
                                hook="prerouting", prio=RAW_PRIORITY, policy="accept")})
    commands.append({"add": obj("rule", chain=RAW_CHAIN, expr=[
        on_bridge, {"mangle": {"key": {"ct": {"key": "zone"}},
                               "value": zone_of(network_id)}}])})
    for ethertype, addresses in sorted(stateless.items()):
        ip_family = FAMILIES[ethertype][0]
        for field in ("saddr", "daddr"):
            if addresses:
                commands.append({"add": obj("rule", chain=RAW_CHAIN, expr=[
                    on_bridge, _match(_payload(ip_family, field), {"set": addresses}),
                    {"notrack": None}])})
    commands.append({"add": obj("chain", name=FORWARD_CHAIN, type="filter",
                                hook="forward", prio=FILTER_PRIORITY, policy="accept")})
    base = [
        [_match(_meta("iifname"), bridge_name, "!="), ACCEPT],
        [_match({"ct": {"key": "state"}}, ["established", "related"], "in"), ACCEPT],
        [_match({"ct": {"key": "state"}}, "invalid", "in"), DROP],
    ]
    for direction in ("egress", "ingress"):
        field = "saddr" if direction == "egress" else "daddr"
        for ethertype in ADDRESS_TYPES:
            ip_family, version = FAMILIES[ethertype]
            base.append([{"vmap": {"key": _payload(ip_family, field),
                                   "data": f"@{direction}{version}"}}])
    commands += [{"add": obj("rule", chain=FORWARD_CHAIN, expr=expr)} for expr in base]
    return commands


def removal(network_id):
    """The commands that remove the network's table, wherever it is."""
    table = {"family": FAMILY, "name": table_name(network_id)}
    return [{"add": {"table": table}}, {"delete": {"table": table}}]


def digest(commands):
    return hashlib.sha256(json.dumps(commands, sort_keys=True).encode()).hexdigest()


# --- gathering what the rules need from the network API --------------------------------

def gather(client, ports):
    """(groups, members) for ``ruleset``: the ports' groups with their rules, and the
    addresses of the member ports of each group their rules name as remote, on any
    host. ``client``: a NetworkClient."""
    group_ids = sorted({g for port in filtered_ports(ports) for g in port["security_groups"]})
    if not group_ids:
        return {}, {}
    groups = {group["id"]: group for group in client.list_security_groups(id=group_ids)}
    remote_ids = sorted({rule["remote_group_id"] for group in groups.values()
                         for rule in group["security_group_rules"]
                         if rule.get("remote_group_id")})
    members = {group_id: [] for group_id in remote_ids}
    if remote_ids:
        for port in client.list_ports(security_groups=remote_ids):
            for group_id in set(port["security_groups"]) & set(remote_ids):
                members[group_id] += [ip["ip_address"] for ip in port["fixed_ips"]]
    return groups, members


# --- applying ------------------------------------------------------------------------------

def enable_bridge_hooks(network_id):
    """Let the network's bridge pass IPv4/IPv6 frames through the inet hooks (this
    bridge only, not the host-wide br_netfilter switch)."""
    bridge.set_netfilter_hooks(bridge.bridge_name(network_id), True)


def apply(network_id, commands):
    """Make the network's table ``commands`` (from ``ruleset``; [] removes it)."""
    if commands:
        enable_bridge_hooks(network_id)
        port_security.run_nft_commands(commands)
        LOG.debug("network %s: security group table replaced", network_id)
    else:
        remove(network_id)


def remove(network_id):
    """Remove the network's table; nothing to do without nft or without the table."""
    try:
        port_security.run_nft_commands(removal(network_id))
    except port_security.NftMissing:
        return
