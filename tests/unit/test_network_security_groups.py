"""Security group rules → nftables JSON (agent side) and rule checks (API side), pure."""
import pytest

from agent.network import security_groups as firewall
from controller.api import errors
from controller.network import sg_rules

NETWORK = "0b8d3f0e-1111-4c2a-9c1e-5d6f7a8b9c0d"
GROUP = "5a1e0c9b-2222-4d3e-8f4a-1b2c3d4e5f60"
REMOTE = "7c3e5a1b-3333-4e5f-9a6b-2c3d4e5f6a70"
PORT = {"id": "p1", "fixed_ips": [{"subnet_id": "s", "ip_address": "10.0.0.5"},
                                  {"subnet_id": "s6", "ip_address": "fd00::5"}],
        "security_groups": [GROUP], "port_security_enabled": True}


def rule(direction="ingress", ethertype="IPv4", **fields):
    return {"direction": direction, "ethertype": ethertype, "protocol": None,
            "port_range_min": None, "port_range_max": None, "remote_ip_prefix": None,
            "remote_group_id": None, **fields}


def group(*rules, stateful=True):
    return {"stateful": stateful, "security_group_rules": list(rules)}


def chain(commands, name):
    return [c["add"]["rule"]["expr"] for c in commands
            if "rule" in c.get("add", {}) and c["add"]["rule"]["chain"] == name]


def added(commands, kind):
    return {c["add"][kind]["name"]: c["add"][kind] for c in commands
            if kind in c.get("add", {})}


def test_tcp_port_range_from_a_prefix():
    exprs = firewall.rule_expressions(rule(protocol="tcp", port_range_min=22,
                                           port_range_max=25,
                                           remote_ip_prefix="192.0.2.7/24"), set())
    assert exprs == [
        {"match": {"op": "==", "left": {"meta": {"key": "nfproto"}}, "right": "ipv4"}},
        {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                   "right": {"prefix": {"addr": "192.0.2.0", "len": 24}}}},
        {"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}, "right": 6}},
        {"match": {"op": "==", "left": {"payload": {"protocol": "th", "field": "dport"}},
                   "right": {"range": [22, 25]}}}]


def test_egress_matches_the_destination_and_single_ports_are_values():
    exprs = firewall.rule_expressions(rule("egress", "IPv6", protocol="17",
                                           port_range_min=53, port_range_max=53,
                                           remote_ip_prefix="2001:db8::1/128"), set())
    assert exprs[1]["match"]["left"] == {"payload": {"protocol": "ip6", "field": "daddr"}}
    assert exprs[1]["match"]["right"] == "2001:db8::1"
    assert exprs[-1]["match"]["right"] == 53


def test_icmp_type_and_code_and_icmp_on_ipv6_is_icmpv6():
    exprs = firewall.rule_expressions(rule(protocol="icmp", port_range_min=8,
                                           port_range_max=0), set())
    assert [e["match"]["left"] for e in exprs[-2:]] == [
        {"payload": {"protocol": "icmp", "field": "type"}},
        {"payload": {"protocol": "icmp", "field": "code"}}]
    v6 = firewall.rule_expressions(rule(ethertype="IPv6", protocol="icmp"), set())
    assert v6[-1]["match"]["right"] == 58


def test_any_prefix_and_any_protocol_match_the_family_only():
    assert firewall.rule_expressions(rule(remote_ip_prefix="0.0.0.0/0"), set()) == [
        {"match": {"op": "==", "left": {"meta": {"key": "nfproto"}}, "right": "ipv4"}}]


def test_remote_group_is_a_named_set_and_without_it_matches_nothing():
    name = firewall.set_name(REMOTE, "IPv4")
    exprs = firewall.rule_expressions(rule(remote_group_id=REMOTE), {name})
    assert exprs[-1]["match"]["right"] == f"@{name}"
    assert firewall.rule_expressions(rule(remote_group_id=REMOTE), set()) is None


def test_port_chains_allow_dhcp_and_nd_then_rules_then_drop():
    groups = {GROUP: group(rule(protocol="icmp"), rule("egress"))}
    inbound = firewall.port_chain_rules(PORT, groups, "ingress", set())
    outbound = firewall.port_chain_rules(PORT, groups, "egress", set())
    assert inbound[-1] == [{"drop": None}] and outbound[-1] == [{"drop": None}]
    assert inbound[-2][-1] == {"accept": None} and outbound[-2][-1] == {"return": None}
    assert len(inbound) == 3 + 1 + 1 and len(outbound) == 3 + 1 + 1
    # DHCP replies in, requests out.
    assert inbound[0][1]["match"]["right"] == 67 and outbound[0][1]["match"]["right"] == 68


def test_duplicate_rules_of_two_groups_appear_once():
    other = "9e9e9e9e-4444-4f5f-8a6b-2c3d4e5f6a70"
    port = {**PORT, "security_groups": [GROUP, other]}
    groups = {GROUP: group(rule(protocol="tcp")), other: group(rule(protocol="tcp"))}
    assert len(firewall.port_chain_rules(port, groups, "ingress", set())) == 3 + 1 + 1


def test_ruleset_replaces_the_table_in_one_transaction():
    groups = {GROUP: group(rule(remote_group_id=REMOTE), rule("egress"))}
    members = {REMOTE: ["10.0.0.9", "10.0.0.5", "fd00::9"]}
    commands = firewall.ruleset(NETWORK, [PORT], groups, members)
    table = {"family": "inet", "name": firewall.table_name(NETWORK)}
    assert commands[:3] == [{"add": {"table": table}}, {"delete": {"table": table}},
                            {"add": {"table": table}}]
    sets = added(commands, "set")
    assert sets[firewall.set_name(REMOTE, "IPv4")]["elem"] == ["10.0.0.5", "10.0.0.9"]
    assert sets[firewall.set_name(REMOTE, "IPv6")]["elem"] == ["fd00::9"]
    maps = added(commands, "map")
    assert maps["ingress4"]["elem"] == [["10.0.0.5", {"jump": {"target": "in-p1"}}]]
    assert maps["egress6"]["elem"] == [["fd00::5", {"jump": {"target": "out-p1"}}]]
    base = chain(commands, firewall.FORWARD_CHAIN)
    assert base[0][0]["match"] == {"op": "!=", "left": {"meta": {"key": "iifname"}},
                                   "right": "brq0b8d3f0e-11"}
    assert base[1][0]["match"]["right"] == ["established", "related"]
    assert base[2] == [{"match": {"op": "in", "left": {"ct": {"key": "state"}},
                                  "right": "invalid"}}, {"drop": None}]
    zones = chain(commands, firewall.RAW_CHAIN)
    assert zones == [[{"match": {"op": "==", "left": {"meta": {"key": "iifname"}},
                                 "right": "brq0b8d3f0e-11"}},
                      {"mangle": {"key": {"ct": {"key": "zone"}},
                                  "value": firewall.zone_of(NETWORK)}}]]
    # The same inputs give the same commands: a restart rebuilds the same table.
    assert firewall.digest(commands) == firewall.digest(
        firewall.ruleset(NETWORK, [dict(PORT)], dict(groups), dict(members)))


def test_stateless_ports_are_not_tracked():
    commands = firewall.ruleset(NETWORK, [PORT], {GROUP: group(stateful=False)}, {})
    notrack = [expr for expr in chain(commands, firewall.RAW_CHAIN)
               if {"notrack": None} in expr]
    assert [expr[1]["match"]["right"] for expr in notrack] == [
        {"set": ["10.0.0.5"]}, {"set": ["10.0.0.5"]}, {"set": ["fd00::5"]},
        {"set": ["fd00::5"]}]


def test_ports_without_groups_or_port_security_leave_no_table():
    assert firewall.ruleset(NETWORK, [{**PORT, "security_groups": []}], {}, {}) == []
    assert firewall.ruleset(NETWORK, [{**PORT, "port_security_enabled": False}],
                            {GROUP: group()}, {}) == []
    assert firewall.removal(NETWORK)[-1] == {"delete": {"table": {
        "family": "inet", "name": firewall.table_name(NETWORK)}}}


# --- the API's checks ---------------------------------------------------------------------

@pytest.mark.parametrize("fields, error_type", [
    ({"protocol": "tcp", "port_range_min": 5, "port_range_max": 4},
     "SecurityGroupInvalidPortRange"),
    ({"protocol": "tcp", "port_range_min": 0, "port_range_max": 4},
     "SecurityGroupInvalidPortValue"),
    ({"protocol": "icmp", "port_range_max": 3}, "SecurityGroupMissingIcmpType"),
    ({"protocol": "icmp", "port_range_min": 300}, "SecurityGroupInvalidIcmpValue"),
    ({"protocol": "gre", "port_range_min": 1, "port_range_max": 1},
     "SecurityGroupInvalidProtocolForPort"),
    ({"port_range_min": 1, "port_range_max": 1}, "SecurityGroupProtocolRequiredWithPorts"),
    ({"remote_ip_prefix": "::/0"}, "SecurityGroupRuleParameterConflict"),
    ({"protocol": "ipv6-icmp"}, "SecurityGroupEthertypeConflictWithProtocol"),
    ({"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": REMOTE},
     "SecurityGroupRemoteGroupAndRemoteIpPrefix"),
])
def test_contradicting_rules_are_400(fields, error_type):
    with pytest.raises(errors.BadRequest) as caught:
        sg_rules.check(rule(**fields))
    assert caught.value.error_type == error_type


def test_protocols_convert_as_neutron_stores_them():
    assert sg_rules.convert_protocol("p", "TCP") == "tcp"
    assert sg_rules.convert_protocol("p", 6) == "6"
    assert sg_rules.convert_protocol("p", "any") is None
    with pytest.raises(errors.BadRequest):
        sg_rules.convert_protocol("p", "256")


def test_the_same_rule_however_written():
    assert sg_rules.same_rule(rule(protocol="tcp", remote_ip_prefix="10.1.2.3/8"),
                              rule(protocol="6", remote_ip_prefix="10.0.0.0/8"))
    assert sg_rules.same_rule(rule(remote_ip_prefix="0.0.0.0/0"), rule())
    assert not sg_rules.same_rule(rule(protocol="tcp"), rule(protocol="udp"))
    assert not sg_rules.same_rule(rule(), rule("egress"))
