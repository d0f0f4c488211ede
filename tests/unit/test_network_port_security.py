"""Port security rules as data: a port dict in, nft JSON commands out."""
from types import SimpleNamespace

import pytest

from agent.network import filters, port_security

NETWORK = "4f0c6a1e-0d0b-4c55-9c1e-0a7d2b7c9e11"
OTHER_NETWORK = "9a1b2c3d-0000-4000-8000-000000000001"
PORT = {"id": "5d2b1f8e-7c6a-4e2b-9f3d-1a2b3c4d5e6f", "mac_address": "FA:16:3E:00:00:01",
        "fixed_ips": [{"subnet_id": "s4", "ip_address": "10.0.0.5"},
                      {"subnet_id": "s6", "ip_address": "2001:db8::5"}]}
LINK_LOCAL = "fe80::f816:3eff:fe00:1"   # EUI-64 of fa:16:3e:00:00:01 (U/L bit flipped)


def readable(expr):
    """A rule as (field, op, value) matches and a verdict, close to nft's text."""
    parts = []
    for item in expr:
        if "match" in item:
            match = item["match"]
            payload = match["left"]["payload"]
            field = (f"{payload['protocol']} {payload['field']}" if "protocol" in payload
                     else f"@{payload['base']},{payload['offset']},{payload['len']}")
            right = match["right"]
            value = frozenset(right["set"]) if isinstance(right, dict) else right
            parts.append((field, match["op"], value))
        else:
            parts.append(next(iter(item)))
    return parts


def rules(port):
    return [readable(expr) for expr in port_security.port_rules(port)]


def test_sources_are_the_mac_its_link_local_address_and_the_fixed_ips():
    mac, ipv4, ipv6 = port_security.allowed_sources(PORT)
    assert mac == "fa:16:3e:00:00:01"
    assert ipv4 == ["10.0.0.5"]
    assert ipv6 == [LINK_LOCAL, "2001:db8::5"]


@pytest.mark.parametrize("port", [
    {**PORT, "mac_address": "fa:16:3e:00:00"},
    {**PORT, "mac_address": None},
    {**PORT, "fixed_ips": [{"subnet_id": "s4", "ip_address": "10.0.0.500"}]},
])
def test_a_malformed_address_builds_no_rule(port):
    with pytest.raises(ValueError):
        port_security.port_rules(port)


def test_any_other_mac_and_any_other_ethertype_are_dropped_first():
    first, second = rules(PORT)[:2]
    assert first == [("ether saddr", "!=", "fa:16:3e:00:00:01"), "drop"]
    assert second == [("ether type", "!=", frozenset({"arp", "ip", "ip6"})), "drop"]
    assert rules(PORT)[-1] == ["drop"]


def test_arp_only_for_the_mac_and_the_port_addresses_or_a_probe():
    arp = next(rule for rule in rules(PORT) if ("arp htype", "==", 1) in rule)
    assert ("arp hlen", "==", 6) in arp and ("arp plen", "==", 4) in arp
    assert ("arp ptype", "==", "ip") in arp
    assert ("arp saddr ether", "==", "fa:16:3e:00:00:01") in arp
    assert ("arp saddr ip", "==", frozenset({"0.0.0.0", "10.0.0.5"})) in arp
    assert arp[-1] == "accept"


def test_ipv4_from_the_fixed_ips_only():
    accepted = [rule for rule in rules(PORT)
                if rule[-1] == "accept" and rule[0][0] == "ip saddr"]
    assert accepted == [
        [("ip saddr", "==", "0.0.0.0"), ("udp sport", "==", 68), ("udp dport", "==", 67),
         "accept"],
        [("ip saddr", "==", frozenset({"10.0.0.5"})), "accept"]]


def test_dhcp_discovery_from_zero_passes_but_no_guest_answers_dhcp():
    port_rules = rules(PORT)
    discovery = [("ip saddr", "==", "0.0.0.0"), ("udp sport", "==", 68),
                 ("udp dport", "==", 67), "accept"]
    server = [("udp sport", "==", frozenset({67, 547})), "drop"]
    assert discovery in port_rules and server in port_rules
    # The server rule comes before any rule accepting the guest's own addresses.
    assert port_rules.index(server) < port_rules.index(discovery)
    assert port_rules.index(server) < port_rules.index(
        [("ip saddr", "==", frozenset({"10.0.0.5"})), "accept"])


def test_a_port_without_ipv4_sends_ipv4_only_to_ask_for_a_lease():
    port = {**PORT, "fixed_ips": [{"subnet_id": "s6", "ip_address": "2001:db8::5"}]}
    accepted = [rule for rule in rules(port)
                if rule[-1] == "accept" and rule[0][0] == "ip saddr"]
    assert accepted == [[("ip saddr", "==", "0.0.0.0"), ("udp sport", "==", 68),
                         ("udp dport", "==", 67), "accept"]]
    arp = next(rule for rule in rules(port) if ("arp htype", "==", 1) in rule)
    assert ("arp saddr ip", "==", frozenset({"0.0.0.0"})) in arp


def test_ipv6_from_link_local_and_fixed_ips_and_no_router_advertisements():
    port_rules = rules(PORT)
    advertisement = [("icmpv6 type", "==", "nd-router-advert"), "drop"]
    own = [("ip6 saddr", "==", frozenset({LINK_LOCAL, "2001:db8::5"})), "accept"]
    assert advertisement in port_rules and own in port_rules
    assert port_rules.index(advertisement) < port_rules.index(own)
    unspecified = next(rule for rule in port_rules if ("ip6 saddr", "==", "::") in rule)
    assert unspecified == [("ip6 saddr", "==", "::"), (
        "icmpv6 type", "==", frozenset(port_security.ICMPV6_FROM_UNSPECIFIED)), "accept"]


def test_neighbour_advertisements_only_for_the_port_addresses():
    advert = next(rule for rule in rules(PORT)
                  if ("icmpv6 type", "==", "nd-neighbor-advert") in rule)
    assert advert == [("icmpv6 type", "==", "nd-neighbor-advert"), (
        "@th,64,128", "!=", frozenset({"0xfe80000000000000f8163efffe000001",
                                       "0x20010db8000000000000000000000005"})), "drop"]


def commands_of(commands, verb, kind):
    return [command[verb][kind] for command in commands
            if verb in command and kind in command[verb]]


def test_protect_fills_each_chain_anew_and_maps_the_tap_to_it():
    commands = port_security.protect_commands(NETWORK, [PORT], {})
    chain = port_security.chain_name(NETWORK, PORT["id"])
    assert chain == f"net-{NETWORK}-port-{PORT['id']}"
    flushes = [c["name"] for c in commands_of(commands, "flush", "chain")]
    assert flushes == [port_security.BASE_CHAIN, chain]
    chain_rules = [rule["expr"] for rule in commands_of(commands, "add", "rule")
                   if rule["chain"] == chain]
    assert chain_rules == port_security.port_rules(PORT)
    # The flush comes before the chain's rules, so a new address replaces the old one.
    flush_at = commands.index({"flush": {"chain": {
        "family": "bridge", "table": "pocketstack", "name": chain}}})
    assert all(commands.index({"add": {"rule": {
        "family": "bridge", "table": "pocketstack", "chain": chain, "expr": expr}}})
        > flush_at for expr in chain_rules)
    assert commands_of(commands, "add", "element") == [{
        "family": "bridge", "table": "pocketstack", "name": "ports",
        "elem": [["tap5d2b1f8e-7c", {"jump": {"target": chain}}]]}]
    assert not [command for command in commands if "delete" in command]


def test_the_base_chain_sends_guest_taps_through_the_map_from_prerouting():
    commands = port_security.protect_commands(NETWORK, [PORT], {})
    base = [c for c in commands_of(commands, "add", "chain")
            if c["name"] == port_security.BASE_CHAIN]
    assert base[0]["hook"] == "prerouting" and base[0]["policy"] == "accept"
    vmap = [rule["expr"] for rule in commands_of(commands, "add", "rule")
            if rule["chain"] == port_security.BASE_CHAIN]
    assert vmap == [[{"vmap": {"key": {"meta": {"key": "iifname"}}, "data": "@ports"}}]]


def test_protect_removes_the_chains_and_map_entries_of_ports_gone():
    gone_chain = port_security.chain_name(NETWORK, "gone-port")
    existing = {port_security.chain_name(NETWORK, PORT["id"]): ["tap5d2b1f8e-7c"],
                gone_chain: ["tapgone-port"]}
    commands = port_security.protect_commands(NETWORK, [PORT], existing)
    assert commands_of(commands, "delete", "element") == [{
        "family": "bridge", "table": "pocketstack", "name": "ports",
        "elem": ["tapgone-port"]}]
    assert [c["name"] for c in commands_of(commands, "delete", "chain")] == [gone_chain]
    # The map entry goes before its chain: a chain still jumped to cannot be deleted.
    delete_element = next(i for i, c in enumerate(commands)
                          if "delete" in c and "element" in c["delete"])
    delete_chain = next(i for i, c in enumerate(commands)
                        if "delete" in c and "chain" in c["delete"])
    assert delete_element < delete_chain


def listing():
    """``nft -j list table bridge pocketstack`` with ports of two networks."""
    def chain(name):
        return {"chain": {"family": "bridge", "table": "pocketstack", "name": name,
                          "handle": 7}}
    mine, other = (port_security.chain_name(NETWORK, "p1"),
                   port_security.chain_name(OTHER_NETWORK, "p2"))
    return [
        {"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
        {"table": {"family": "bridge", "name": "pocketstack", "handle": 3}},
        {"map": {"family": "bridge", "name": "ports", "table": "pocketstack",
                 "type": "ifname", "handle": 1, "map": "verdict",
                 "elem": [["tapp1", {"jump": {"target": mine}}],
                          ["tapp2", {"jump": {"target": other}}]]}},
        chain("from-guests"), chain(mine), chain(other),
        {"rule": {"family": "bridge", "table": "pocketstack", "chain": mine,
                  "handle": 9, "expr": [{"drop": None}]}},
    ]


def test_only_the_network_chains_are_read_as_its_own():
    assert port_security.network_chains(listing(), NETWORK) == {
        port_security.chain_name(NETWORK, "p1"): ["tapp1"]}
    assert port_security.network_chains(listing(), "unknown") == {}


def test_an_empty_map_is_listed_without_elements():
    items = [item for item in listing() if "map" not in item]
    items.append({"map": {"family": "bridge", "name": "ports", "table": "pocketstack",
                          "type": "ifname", "handle": 1, "map": "verdict"}})
    assert port_security.network_chains(items, NETWORK) == {
        port_security.chain_name(NETWORK, "p1"): []}


def test_without_nft_plugging_fails_with_a_clear_error_and_removal_has_nothing_to_do(
        monkeypatch, tmp_path):
    monkeypatch.setattr(port_security, "NFT", str(tmp_path / "nft"))
    with pytest.raises(port_security.NftMissing, match="nftables.*port_security = false"):
        port_security.protect(NETWORK, [PORT])
    port_security.remove(NETWORK)


def test_the_table_can_go_once_only_the_base_chain_is_left():
    base = {"chain": {"name": port_security.BASE_CHAIN}}
    port_chain = {"chain": {"name": port_security.chain_name("net", "port")}}
    assert port_security.only_base_left([{"table": {}}, base, {"map": {}}])
    assert not port_security.only_base_left([base, port_chain])


@pytest.mark.parametrize("enabled, plugged, at_start", [
    (True, [("protect", NETWORK, [PORT])], [("protect", NETWORK, [PORT])]),
    # Turned off: plugging adds no rules, and a start removes those left from before.
    (False, [], [("remove", NETWORK)]),
])
def test_port_filters_follow_network_port_security(monkeypatch, enabled, plugged,
                                                   at_start):
    calls = []
    monkeypatch.setattr(port_security, "protect",
                        lambda network_id, ports: calls.append(("protect", network_id,
                                                                ports)))
    monkeypatch.setattr(port_security, "remove",
                        lambda network_id: calls.append(("remove", network_id)))
    port_filters = filters.PortFilters(SimpleNamespace(
        network=SimpleNamespace(port_security=enabled)))
    port_filters.apply(NETWORK, [PORT])
    assert calls == plugged
    calls.clear()
    port_filters.reconcile(NETWORK, [PORT])
    assert calls == at_start
    calls.clear()
    port_filters.remove(NETWORK)
    assert calls == [("remove", NETWORK)]
