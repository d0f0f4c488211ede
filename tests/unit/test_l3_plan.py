"""A router's namespace plan and its nftables ruleset, computed from the network API's
view without touching the kernel."""
import json
import shutil
import subprocess

import pytest

from agent.l3 import plan

ROUTER_ID = "11111111-2222-3333-4444-555555555555"
SUBNETS = {
    "priv": {"id": "priv", "cidr": "10.0.0.0/24", "gateway_ip": "10.0.0.1"},
    "priv2": {"id": "priv2", "cidr": "10.1.0.0/24", "gateway_ip": "10.1.0.1"},
    "pub": {"id": "pub", "cidr": "203.0.113.0/24", "gateway_ip": "203.0.113.1"},
}


def port(port_id, owner, subnet, address, network="net-" + "x" * 30):
    return {"id": port_id, "device_owner": owner, "network_id": network,
            "mac_address": "fa:16:3e:00:00:01",
            "fixed_ips": [{"subnet_id": subnet, "ip_address": address}]}


def router(snat=True, gateway=True, routes=()):
    return {"id": ROUTER_ID, "routes": list(routes),
            "external_gateway_info": {"network_id": "public", "enable_snat": snat}
            if gateway else None}


PORTS = [port("aaaaaaaaaaaa-qr", plan.ROUTER_INTERFACE, "priv", "10.0.0.1"),
         port("bbbbbbbbbbbb-qr", plan.ROUTER_INTERFACE, "priv2", "10.1.0.1"),
         port("cccccccccccc-qg", plan.ROUTER_GATEWAY, "pub", "203.0.113.10")]
FIP = {"floating_ip_address": "203.0.113.20", "fixed_ip_address": "10.0.0.5"}


def test_plan_has_interfaces_gateway_routes_and_nat_addresses():
    result = plan.plan_router(router(routes=[{"destination": "192.0.2.0/24",
                                              "nexthop": "10.1.0.9"}]),
                              PORTS, SUBNETS, [FIP])
    assert result.namespace == "qrouter-" + ROUTER_ID
    assert [(d.name, d.root_name, d.addresses) for d in result.interfaces] == [
        ("qr-aaaaaaaaaaa", "ri-aaaaaaaaaaa", ("10.0.0.1/24",)),
        ("qr-bbbbbbbbbbb", "ri-bbbbbbbbbbb", ("10.1.0.1/24",))]
    # Device names fit the kernel's 15 characters.
    assert all(len(d.name) <= 15 and len(d.root_name) <= 15 for d in result.devices)
    assert result.gateway.name == "qg-cccccccccccc"[:14]
    assert result.gateway.addresses == ("203.0.113.10/24", "203.0.113.20/32")
    assert result.routes == (("0.0.0.0/0", "203.0.113.1"), ("192.0.2.0/24", "10.1.0.9"))
    assert result.internal_cidrs == ("10.0.0.0/24", "10.1.0.0/24")
    assert result.snat_address == "203.0.113.10"
    assert result.floating_ips == (("203.0.113.20", "10.0.0.5"),)


def test_without_gateway_no_default_route_snat_or_floating_ips():
    result = plan.plan_router(router(gateway=False), PORTS[:2], SUBNETS, [FIP])
    assert result.gateway is None and result.snat_address is None
    assert result.routes == () and result.floating_ips == ()
    commands = plan.nat_commands(result)
    assert not [c for c in commands if "rule" in c.get("add", {})]


def test_disabled_snat_keeps_floating_ips():
    result = plan.plan_router(router(snat=False), PORTS, SUBNETS, [FIP])
    assert result.snat_address is None and result.floating_ips
    rules = [c["add"]["rule"] for c in plan.nat_commands(result) if "rule" in c.get("add", {})]
    snat_targets = [e["snat"]["addr"] for r in rules for e in r["expr"] if "snat" in e]
    assert snat_targets == ["203.0.113.20"]


def test_ruleset_replaces_the_table_in_one_transaction():
    commands = plan.nat_commands(plan.plan_router(router(), PORTS, SUBNETS, [FIP]))
    table = {"table": {"family": "ip", "name": plan.NAT_TABLE}}
    assert commands[:3] == [{"add": table}, {"delete": table}, {"add": table}]
    rules = [(c["add"]["rule"]["chain"], c["add"]["rule"]["expr"]) for c in commands
             if "rule" in c.get("add", {})]
    dnat = [(chain, expr[-1]["dnat"]["addr"]) for chain, expr in rules
            if "dnat" in expr[-1]]
    assert dnat == [("prerouting", "10.0.0.5"), ("output", "10.0.0.5")]
    snat = [(expr[-1]["snat"]["addr"], expr) for chain, expr in rules
            if chain == "postrouting"]
    # The floating IP's 1:1 SNAT comes before the router's SNAT for the subnets.
    assert [address for address, _ in snat] == ["203.0.113.20", "203.0.113.10",
                                                "203.0.113.10"]
    subnets = snat[1][1][1]["match"]["right"]["set"]
    assert subnets == [{"prefix": {"addr": "10.0.0.0", "len": 24}},
                       {"prefix": {"addr": "10.1.0.0", "len": 24}}]


def test_floating_ips_without_fixed_address_are_ignored():
    result = plan.plan_router(router(), PORTS, SUBNETS,
                              [{"floating_ip_address": "203.0.113.30",
                                "fixed_ip_address": None}])
    assert result.floating_ips == () and result.gateway.addresses == ("203.0.113.10/24",)


@pytest.mark.skipif(shutil.which("nft") is None, reason="needs nft")
def test_nft_accepts_the_ruleset():
    """``nft --check`` parses the JSON without changing anything."""
    commands = plan.nat_commands(plan.plan_router(router(), PORTS, SUBNETS, [FIP]))
    result = subprocess.run(["nft", "--check", "-j", "-f", "-"], capture_output=True,
                            text=True, input=json.dumps({"nftables": commands}))
    if "Operation not permitted" in result.stderr:
        pytest.skip("nft --check needs CAP_NET_ADMIN")
    assert result.returncode == 0, result.stderr
