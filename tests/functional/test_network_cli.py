"""The stock ``openstack`` CLI against pocketstack's networking service."""
import pytest

from tests.lib.cloud import Cloud

DEMO_PASSWORD = "demo-secret"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    """Identity and networking APIs without an agent."""
    instance = Cloud(tmp_path_factory.mktemp("network-cli"), roles=["api"], with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()


def demo(cloud, *args, **kwargs):
    return cloud.openstack(*args, user="demo", password=DEMO_PASSWORD, project="demo",
                           **kwargs)


def test_network_subnet_port_lifecycle(cloud):
    network = cloud.openstack("network", "create", "cli-net")
    assert network["status"] == "ACTIVE" and network["mtu"] == 1450
    assert network["provider:network_type"] == "vxlan"
    subnet = cloud.openstack("subnet", "create", "cli-subnet", "--network", "cli-net",
                             "--subnet-range", "10.50.0.0/24",
                             "--dns-nameserver", "192.0.2.53",
                             "--allocation-pool", "start=10.50.0.10,end=10.50.0.20")
    assert subnet["gateway_ip"] == "10.50.0.1"
    assert subnet["allocation_pools"] == [{"start": "10.50.0.10", "end": "10.50.0.20"}]
    assert subnet["dns_nameservers"] == ["192.0.2.53"]

    port = cloud.openstack("port", "create", "cli-port", "--network", "cli-net",
                           "--fixed-ip", "subnet=cli-subnet,ip-address=10.50.0.15")
    assert port["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "10.50.0.15"}]
    assert port["mac_address"].startswith("fa:16:3e:") and port["status"] == "DOWN"
    auto = cloud.openstack("port", "create", "cli-auto", "--network", "cli-net")
    # The DHCP port took the pool's first address.
    assert auto["fixed_ips"][0]["ip_address"] == "10.50.0.11"

    listed = cloud.openstack("port", "list", "--network", "cli-net")
    assert {p["ID"] for p in listed} >= {port["id"], auto["id"]}
    assert len(listed) == 3                                   # with the DHCP port
    shown = cloud.openstack("port", "show", "cli-port")
    assert shown["id"] == port["id"] and shown["network_id"] == network["id"]
    listed = {n["Name"]: n for n in cloud.openstack("network", "list")}
    assert listed["cli-net"]["Subnets"] == [subnet["id"]]

    refused = cloud.openstack("subnet", "delete", "cli-subnet", check=False, parse=False)
    assert refused.returncode != 0 and "409" in refused.stderr
    refused = cloud.openstack("network", "delete", "cli-net", check=False, parse=False)
    assert refused.returncode != 0 and "409" in refused.stderr

    cloud.openstack("port", "delete", "cli-port", "cli-auto", parse=False)
    cloud.openstack("subnet", "delete", "cli-subnet", parse=False)
    cloud.openstack("network", "delete", "cli-net", parse=False)
    gone = cloud.openstack("network", "show", network["id"], check=False, parse=False)
    assert gone.returncode != 0 and "No Network found" in gone.stderr


def test_projects_see_their_own_and_shared_networks(cloud):
    cloud.add_member_project("demo", DEMO_PASSWORD)
    private = cloud.openstack("network", "create", "admin-private")
    shared = cloud.openstack("network", "create", "--share", "admin-shared")
    mine = demo(cloud, "network", "create", "demo-net")
    seen = {n["ID"] for n in demo(cloud, "network", "list")}
    assert {shared["id"], mine["id"]} <= seen and private["id"] not in seen
    # Provider details are for admins only.
    assert mine["provider:network_type"] is None
    assert cloud.openstack("network", "show", mine["id"])["provider:network_type"] == "vxlan"
