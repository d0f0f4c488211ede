"""``/v2.0/agents`` with the stock CLI: the network agents of the cloud's hosts (its
fake-driver agent), what admins and others see, descriptions, and the L3 agent of the
host router ports are bound to."""
import time

import pytest
import requests

DEMO_PASSWORD = "demo-secret"
EVERY_HOST = {"Linux bridge agent", "DHCP agent", "Metadata agent"}


@pytest.fixture(scope="module")
def agents(cloud):
    """The agents listed once the cloud's agent has reported."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = cloud.openstack("network", "agent", "list", "--long")
        if listed:
            return listed
        time.sleep(0.5)
    raise AssertionError("no network agent was listed within 60 s")


@pytest.fixture(scope="module")
def host(cloud):
    return cloud.sections["DEFAULT"]["host"]


def test_every_host_has_its_l2_dhcp_and_metadata_agents(cloud, agents, host):
    mine = {a["Agent Type"]: a for a in agents if a["Host"] == host}
    assert set(mine) == EVERY_HOST                        # no router yet: no L3 agent
    assert all(a["Alive"] and a["State"] for a in mine.values())
    assert {a["Binary"] for a in mine.values()} == {
        "neutron-linuxbridge-agent", "neutron-dhcp-agent", "neutron-metadata-agent"}
    assert mine["DHCP agent"]["Availability Zone"] == "nova"
    dhcp = cloud.openstack("network", "agent", "show", mine["DHCP agent"]["ID"])
    assert dhcp["topic"] == "dhcp_agent"
    assert dhcp["configuration"]["dhcp_driver"] == "dnsmasq"
    assert dhcp["last_heartbeat_at"][4] == "-" and dhcp["last_heartbeat_at"][10] == " "
    # The same id in every listing: it is derived from the host and the type.
    again = cloud.openstack("network", "agent", "list", "--host", host)
    assert {a["ID"] for a in again} == {a["ID"] for a in mine.values()}
    dhcp_only = cloud.openstack("network", "agent", "list", "--agent-type", "dhcp")
    assert [a["ID"] for a in dhcp_only] == [mine["DHCP agent"]["ID"]]


def test_description_is_kept_and_admin_state_cannot_go_down(cloud, agents, host):
    agent_id = next(a["ID"] for a in agents if a["Agent Type"] == "Linux bridge agent")
    cloud.openstack("network", "agent", "set", "--description", "rack 4", agent_id,
                    parse=False)
    assert cloud.openstack("network", "agent", "show", agent_id)["description"] == "rack 4"
    refused = cloud.openstack("network", "agent", "set", "--disable", agent_id,
                              parse=False, check=False)
    assert refused.returncode != 0 and "cannot be disabled" in refused.stderr
    cloud.openstack("network", "agent", "delete", agent_id, parse=False)
    # Its host still reports: listed again, its description forgotten.
    shown = cloud.openstack("network", "agent", "show", agent_id)
    assert shown["description"] is None and shown["alive"] in (True, ":-)")


def test_others_see_no_agents(cloud, agents):
    cloud.add_member_project("demo", DEMO_PASSWORD)
    assert cloud.openstack("network", "agent", "list", user="demo",
                           password=DEMO_PASSWORD, project="demo") == []
    token = requests.post(cloud.auth_url + "/auth/tokens", timeout=30, json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "demo", "domain": {"id": "default"}, "password": DEMO_PASSWORD}}},
        "scope": {"project": {"name": "demo", "domain": {"id": "default"}}}}}
    ).headers["X-Subject-Token"]
    shown = requests.get(f"{cloud.url}/networking/v2.0/agents/{agents[0]['ID']}",
                         headers={"X-Auth-Token": token}, timeout=30)
    assert shown.status_code == 404


def test_the_host_router_ports_are_bound_to_has_an_l3_agent(cloud, agents, host):
    cloud.openstack("network", "create", "agents-net")
    cloud.openstack("subnet", "create", "agents-subnet", "--network", "agents-net",
                    "--subnet-range", "10.77.0.0/24")
    cloud.openstack("router", "create", "agents-router")
    cloud.openstack("router", "add", "subnet", "agents-router", "agents-subnet",
                    parse=False)
    port = cloud.openstack("port", "list", "--router", "agents-router")[0]
    # What the L3 role of a host does when it plugs the router's port.
    cloud.openstack("port", "set", "--host", host, port["ID"], parse=False)
    l3 = cloud.openstack("network", "agent", "list", "--agent-type", "l3")
    assert [a["Host"] for a in l3] == [host]
    shown = cloud.openstack("network", "agent", "show", l3[0]["ID"])
    assert shown["topic"] == "l3_agent" and shown["alive"] in (True, ":-)")
    cloud.openstack("router", "remove", "subnet", "agents-router", "agents-subnet",
                    parse=False)
    assert cloud.openstack("network", "agent", "list", "--agent-type", "l3") == []


def test_agent_extension_is_announced(cloud):
    aliases = {e["Alias"] for e in cloud.openstack("extension", "list", "--network")}
    assert "agent" in aliases
