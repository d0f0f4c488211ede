"""The L3 agent's sync without the kernel: which routers it builds, re-applies, tears
down, and which ports it plugs and unplugs, from the network API's view."""
import pytest

from agent.l3 import agent as l3_agent
from agent.l3 import plan

ROUTER = {"id": "r1", "admin_state_up": True, "routes": [],
          "external_gateway_info": {"network_id": "pub", "enable_snat": True}}
SUBNETS = [{"id": "priv", "cidr": "10.0.0.0/24", "gateway_ip": "10.0.0.1"},
           {"id": "pubsub", "cidr": "203.0.113.0/24", "gateway_ip": "203.0.113.1"}]


def port(port_id, owner, subnet, address, router="r1"):
    return {"id": port_id, "device_id": router, "device_owner": owner,
            "network_id": "net-" + subnet, "mac_address": "fa:16:3e:00:00:01",
            "fixed_ips": [{"subnet_id": subnet, "ip_address": address}]}


class FakeClient:
    def __init__(self):
        self.routers = [dict(ROUTER)]
        self.ports = [port("qr1", plan.ROUTER_INTERFACE, "priv", "10.0.0.1"),
                      port("qg1", plan.ROUTER_GATEWAY, "pubsub", "203.0.113.10")]
        self.fips = []

    def list_routers(self):
        return self.routers

    def list_ports(self, device_owner):
        return [p for p in self.ports if p["device_owner"] == device_owner]

    def list_subnets(self):
        return SUBNETS

    def list_floating_ips(self):
        return self.fips


class FakePlugger:
    def __init__(self):
        self.plugged, self.unplugged = [], []

    def plug(self, port, client):
        self.plugged.append(port["id"])
        return {"bridge": "brq" + port["network_id"][:11], "mtu": 1450}

    def unplug(self, port_id):
        self.unplugged.append(port_id)


@pytest.fixture
def kernel(monkeypatch):
    """What the agent asked of the kernel: plans applied, namespaces destroyed."""
    calls = {"applied": [], "destroyed": []}
    monkeypatch.setattr(l3_agent.namespace, "apply",
                        lambda p, bridges: calls["applied"].append((p, dict(bridges))))
    monkeypatch.setattr(l3_agent.namespace, "destroy",
                        lambda name: calls["destroyed"].append(name))
    return calls


@pytest.fixture
def agent(tmp_path):
    conf = type("Conf", (), {"state_path": str(tmp_path)})()
    return l3_agent.L3Agent(conf, plugger=FakePlugger())


def test_builds_each_router_once_until_it_changes(agent, kernel):
    client = FakeClient()
    agent.sync(client)
    [(applied, bridges)] = kernel["applied"]
    assert applied.namespace == "qrouter-r1" and applied.snat_address == "203.0.113.10"
    assert bridges == {"qr1": ("brqnet-priv", 1450), "qg1": ("brqnet-pubsub", 1450)}
    assert sorted(agent.plugger.plugged) == ["qg1", "qr1"]
    agent.sync(client)
    assert len(kernel["applied"]) == 1 and len(agent.plugger.plugged) == 2
    client.fips = [{"router_id": "r1", "floating_ip_address": "203.0.113.20",
                    "fixed_ip_address": "10.0.0.5"}]
    agent.sync(client)
    assert kernel["applied"][-1][0].floating_ips == (("203.0.113.20", "10.0.0.5"),)


def test_a_removed_interface_is_unplugged(agent, kernel):
    client = FakeClient()
    agent.sync(client)
    client.ports = client.ports[1:]
    agent.sync(client)
    assert agent.plugger.unplugged == ["qr1"]
    assert kernel["applied"][-1][0].interfaces == ()


def test_a_deleted_router_goes_with_its_ports_also_after_a_restart(agent, kernel, tmp_path):
    client = FakeClient()
    agent.sync(client)
    restarted = l3_agent.L3Agent(agent.conf, plugger=FakePlugger())
    client.routers, client.ports = [], []
    restarted.sync(client)
    assert kernel["destroyed"] == ["qrouter-r1"]
    assert sorted(restarted.plugger.unplugged) == ["qg1", "qr1"]
    assert restarted.built_routers() == set()


def test_a_router_set_down_is_taken_down(agent, kernel):
    client = FakeClient()
    agent.sync(client)
    client.routers[0]["admin_state_up"] = False
    agent.sync(client)
    assert kernel["destroyed"] == ["qrouter-r1"]
    # Its ports stay wired (bound here: ACTIVE), and it stays down at the next sync.
    assert agent.plugger.unplugged == []
    agent.sync(client)
    assert kernel["destroyed"] == ["qrouter-r1"]


def test_a_router_created_down_has_its_ports_wired_and_no_namespace(agent, kernel):
    client = FakeClient()
    client.routers[0]["admin_state_up"] = False
    agent.sync(client)
    assert sorted(agent.plugger.plugged) == ["qg1", "qr1"]
    assert kernel["applied"] == [] and kernel["destroyed"] == []
    client.routers[0]["admin_state_up"] = True
    agent.sync(client)
    assert [p.router_id for p, _ in kernel["applied"]] == ["r1"]


def test_a_failing_router_is_retried_and_others_still_built(agent, kernel, monkeypatch):
    client = FakeClient()
    client.routers.append({**ROUTER, "id": "r2"})
    client.ports.append(port("qr2", plan.ROUTER_INTERFACE, "priv", "10.0.0.1", "r2"))
    failing = {"r1"}

    def apply(p, bridges):
        if p.router_id in failing:
            raise RuntimeError("nft failed")
        kernel["applied"].append((p, bridges))

    monkeypatch.setattr(l3_agent.namespace, "apply", apply)
    agent.sync(client)
    assert [p.router_id for p, _ in kernel["applied"]] == ["r2"]
    failing.clear()
    agent.sync(client)
    assert [p.router_id for p, _ in kernel["applied"]] == ["r2", "r1"]
