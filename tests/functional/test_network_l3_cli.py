"""Routers, external networks and floating IPs with the stock ``openstack`` CLI and
openstacksdk, errors included (Neutron's router, ext-gw-mode, extraroute and
external-net extensions)."""
import openstack
import pytest

from tests.lib.cloud import ADMIN_PASSWORD, Cloud

DEMO = "l3demo"
DEMO_PASSWORD = "l3demo-secret"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("network-l3"), roles=["api"], with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def public(cloud):
    """An admin's external flat network with a subnet for gateways and floating IPs."""
    network = cloud.openstack("network", "create", "public", "--external",
                              "--provider-network-type", "flat",
                              "--provider-physical-network", "public")
    subnet = cloud.openstack("subnet", "create", "public-subnet", "--network", "public",
                             "--subnet-range", "203.0.113.0/24", "--no-dhcp",
                             "--allocation-pool", "start=203.0.113.10,end=203.0.113.20")
    return network, subnet


@pytest.fixture(scope="module")
def project(cloud):
    return cloud.add_member_project(DEMO, DEMO_PASSWORD)


def demo(cloud, *args, **kwargs):
    return cloud.openstack(*args, user=DEMO, password=DEMO_PASSWORD, project=DEMO,
                           **kwargs)


def refused(cloud, *args, status, text=None, as_demo=True):
    run = demo if as_demo else cloud.openstack
    result = run(cloud, *args, check=False, parse=False) if as_demo else run(
        *args, check=False, parse=False)
    assert result.returncode != 0, result.stdout
    assert str(status) in result.stderr, result.stderr
    if text:
        assert text in result.stderr, result.stderr
    return result.stderr


def private(cloud, name, cidr):
    network = demo(cloud, "network", "create", name)
    subnet = demo(cloud, "subnet", "create", f"{name}-subnet", "--network", name,
                  "--subnet-range", cidr)
    return network, subnet


def test_external_network_fields_and_admin_only(cloud, public, project):
    network, _ = public
    assert network["router:external"] is True
    assert network["provider:network_type"] == "flat"
    assert network["provider:physical_network"] == "public"
    # Every project sees an external network, without its provider attributes.
    seen = demo(cloud, "network", "show", "public")
    assert seen["router:external"] is True and seen["provider:network_type"] is None
    assert "public" in {n["Name"] for n in demo(cloud, "network", "list", "--external")}
    refused(cloud, "network", "create", "ext2", "--external", status=403)
    own = demo(cloud, "network", "create", "internal-only")
    assert own["router:external"] is False and own["shared"] is False
    refused(cloud, "network", "set", "internal-only", "--external", status=403)
    demo(cloud, "network", "delete", "internal-only", parse=False)


def test_router_lifecycle_with_gateway_interfaces_and_routes(cloud, public, project):
    pub_net, pub_subnet = public
    net, subnet = private(cloud, "rnet", "10.60.0.0/24")
    router = demo(cloud, "router", "create", "r1")
    assert router["status"] == "ACTIVE" and router["external_gateway_info"] is None
    assert router["routes"] == [] and router["project_id"] == project

    demo(cloud, "router", "set", "r1", "--external-gateway", "public", parse=False)
    router = demo(cloud, "router", "show", "r1")
    gateway = router["external_gateway_info"]
    assert gateway["network_id"] == pub_net["id"] and gateway["enable_snat"] is True
    [external_ip] = gateway["external_fixed_ips"]
    assert external_ip["subnet_id"] == pub_subnet["id"]
    assert external_ip["ip_address"].startswith("203.0.113.")
    # SNAT and the gateway's address are an admin's to choose.
    refused(cloud, "router", "set", "r1", "--external-gateway", "public", "--disable-snat",
            status=403)
    cloud.openstack("router", "set", "r1", "--external-gateway", "public",
                    "--disable-snat", "--fixed-ip",
                    "subnet=public-subnet,ip-address=203.0.113.20", parse=False)
    gateway = cloud.openstack("router", "show", "r1")["external_gateway_info"]
    assert gateway["enable_snat"] is False
    assert gateway["external_fixed_ips"][0]["ip_address"] == "203.0.113.20"

    demo(cloud, "router", "add", "subnet", "r1", "rnet-subnet", parse=False)
    ports = {p["Device Owner"]: p for p in cloud.openstack(
        "port", "list", "--router", "r1", "--long")}
    assert set(ports) == {"network:router_interface", "network:router_gateway"}
    interface = cloud.openstack("port", "show", ports["network:router_interface"]["ID"])
    assert interface["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "10.60.0.1"}]
    assert interface["device_id"] == router["id"]
    # A second interface by port, on another network.
    _, other_subnet = private(cloud, "rnet2", "10.61.0.0/24")
    port = demo(cloud, "port", "create", "rport", "--network", "rnet2")
    demo(cloud, "router", "add", "port", "r1", "rport", parse=False)
    assert demo(cloud, "port", "show", "rport")["device_owner"] == "network:router_interface"

    demo(cloud, "router", "set", "r1", "--route",
         f"destination=192.0.2.0/24,gateway={port['fixed_ips'][0]['ip_address'][:-1]}9",
         parse=False)
    assert demo(cloud, "router", "show", "r1")["routes"] == [
        {"destination": "192.0.2.0/24", "nexthop": "10.61.0.9"}]
    refused(cloud, "router", "set", "r1", "--route",
            "destination=198.51.100.0/24,gateway=172.16.0.1", status=400,
            text="the nexthop is not connected with router")
    # The interface the route goes through stays while the route does.
    refused(cloud, "router", "remove", "port", "r1", "rport", status=409)
    demo(cloud, "router", "unset", "r1", "--route",
         "destination=192.0.2.0/24,gateway=10.61.0.9", parse=False)

    # Subnets and ports in use by the router refuse deletion; so does the router.
    refused(cloud, "subnet", "delete", "rnet-subnet", status=409)
    refused(cloud, "port", "delete", "rport", status=409,
            text="cannot be deleted directly via the port API")
    refused(cloud, "router", "delete", "r1", status=409)

    demo(cloud, "router", "remove", "port", "r1", "rport", parse=False)
    demo(cloud, "router", "remove", "subnet", "r1", "rnet-subnet", parse=False)
    assert [p["Device Owner"] for p in cloud.openstack("port", "list", "--router", "r1",
                                                        "--long")] == [
        "network:router_gateway"]
    demo(cloud, "router", "unset", "r1", "--external-gateway", parse=False)
    assert demo(cloud, "router", "show", "r1")["external_gateway_info"] is None
    demo(cloud, "router", "delete", "r1", parse=False)
    refused(cloud, "router", "show", "r1", status="No Router found")
    assert other_subnet["cidr"] == "10.61.0.0/24"


def test_router_bad_input(cloud, public, project):
    private(cloud, "bnet", "10.62.0.0/24")
    private(cloud, "bnet2", "10.62.0.128/25")
    nogw = demo(cloud, "network", "create", "bnet3")
    demo(cloud, "subnet", "create", "bnet3-subnet", "--network", "bnet3",
         "--subnet-range", "10.63.0.0/24", "--gateway", "none")
    demo(cloud, "router", "create", "rb")
    demo(cloud, "router", "add", "subnet", "rb", "bnet-subnet", parse=False)
    refused(cloud, "router", "add", "subnet", "rb", "bnet2-subnet", status=400,
            text="overlaps with cidr 10.62.0.0/24")
    refused(cloud, "router", "add", "subnet", "rb", "bnet-subnet", status=400,
            text="Router already has a port on subnet")
    refused(cloud, "router", "add", "subnet", "rb", "bnet3-subnet", status=400,
            text="Subnet for router interface must have a gateway IP")
    refused(cloud, "router", "set", "rb", "--external-gateway", "bnet", status=400,
            text="is not an external network")
    refused(cloud, "router", "remove", "subnet", "rb", "bnet3-subnet", status=404,
            text="has no interface on subnet")
    assert nogw["router:external"] is False
    demo(cloud, "router", "remove", "subnet", "rb", "bnet-subnet", parse=False)
    demo(cloud, "router", "delete", "rb", parse=False)


def test_floating_ip_lifecycle(cloud, public, project):
    pub_net, _ = public
    net, subnet = private(cloud, "fnet", "10.64.0.0/24")
    demo(cloud, "router", "create", "rf")
    demo(cloud, "router", "set", "rf", "--external-gateway", "public", parse=False)
    port_a = demo(cloud, "port", "create", "fa", "--network", "fnet")
    port_b = demo(cloud, "port", "create", "fb", "--network", "fnet")

    fip = demo(cloud, "floating", "ip", "create", "public")
    assert fip["status"] == "DOWN" and fip["port_id"] is None
    assert fip["floating_network_id"] == pub_net["id"]
    # Not routed yet: the subnet has no router with a gateway on public.
    refused(cloud, "floating", "ip", "set", "--port", "fa", fip["floating_ip_address"],
            status=404, text=f"External network {pub_net['id']} is not reachable from "
                             f"subnet {subnet['id']}")
    demo(cloud, "router", "add", "subnet", "rf", "fnet-subnet", parse=False)
    demo(cloud, "floating", "ip", "set", "--port", "fa", fip["floating_ip_address"],
         parse=False)
    shown = demo(cloud, "floating", "ip", "show", fip["id"])
    assert shown["port_id"] == port_a["id"] and shown["status"] == "ACTIVE"
    assert shown["fixed_ip_address"] == port_a["fixed_ips"][0]["ip_address"]
    router_id = demo(cloud, "router", "show", "rf")["id"]
    assert shown["router_id"] == router_id

    listed = demo(cloud, "floating", "ip", "list", "--port", "fa")
    assert [f["ID"] for f in listed] == [fip["id"]]
    assert [f["ID"] for f in demo(cloud, "floating", "ip", "list", "--network",
                                  "public", "--status", "ACTIVE")] == [fip["id"]]
    assert demo(cloud, "floating", "ip", "list", "--port", "fb") == []

    # A second floating IP for the same fixed IP is refused; the interface it needs too.
    second = demo(cloud, "floating", "ip", "create", "public")
    refused(cloud, "floating", "ip", "set", "--port", "fa", second["id"], status=409,
            text="already has a floating IP on external network")
    refused(cloud, "router", "remove", "subnet", "rf", "fnet-subnet", status=409,
            text="required by one or more floating IPs")
    refused(cloud, "router", "unset", "rf", "--external-gateway", status=409)
    refused(cloud, "floating", "ip", "set", "--port", "fb", "--fixed-ip-address",
            "10.64.0.250", second["id"], status=400, text="does not have fixed ip")
    refused(cloud, "floating", "ip", "create", "fnet", status=400,
            text="is not a valid external network")
    refused(cloud, "floating", "ip", "create", "public", "--floating-ip-address",
            "203.0.113.19", status=403)

    # Reassociation moves it; deleting the port disassociates it.
    demo(cloud, "floating", "ip", "set", "--port", "fb", fip["id"], parse=False)
    assert demo(cloud, "floating", "ip", "show", fip["id"])["port_id"] == port_b["id"]
    demo(cloud, "floating", "ip", "unset", "--port", fip["id"], parse=False)
    shown = demo(cloud, "floating", "ip", "show", fip["id"])
    assert shown["port_id"] is None and shown["status"] == "DOWN"
    demo(cloud, "floating", "ip", "set", "--port", "fb", fip["id"], parse=False)
    demo(cloud, "port", "delete", "fb", parse=False)
    assert demo(cloud, "floating", "ip", "show", fip["id"])["port_id"] is None

    given = cloud.openstack("floating", "ip", "create", "public", "--project", DEMO,
                            "--floating-ip-address", "203.0.113.19")
    assert given["floating_ip_address"] == "203.0.113.19"
    refused(cloud, "network", "delete", "public", status=409, as_demo=False)
    demo(cloud, "floating", "ip", "delete", fip["id"], second["id"], given["id"],
         parse=False)
    refused(cloud, "floating", "ip", "show", fip["id"], status="No FloatingIP found")
    demo(cloud, "port", "delete", "fa", parse=False)
    demo(cloud, "router", "remove", "subnet", "rf", "fnet-subnet", parse=False)
    demo(cloud, "router", "delete", "rf", parse=False)


def test_quotas_count_routers_and_floating_ips(cloud, public, project):
    quota = {row["Resource"]: row["Limit"]
             for row in cloud.openstack("quota", "show", DEMO, "--network")}
    assert quota["routers"] == 10 and quota["floating_ips"] == 50
    cloud.openstack("quota", "set", "--routers", "1", "--floating-ips", "1", DEMO,
                    parse=False)
    try:
        demo(cloud, "router", "create", "q1")
        refused(cloud, "router", "create", "q2", status=409, text="Quota exceeded")
        demo(cloud, "floating", "ip", "create", "public")
        refused(cloud, "floating", "ip", "create", "public", status=409,
                text="Quota exceeded")
    finally:
        cloud.openstack("quota", "set", "--routers", "10", "--floating-ips", "50", DEMO,
                        parse=False)
    for fip in demo(cloud, "floating", "ip", "list"):
        demo(cloud, "floating", "ip", "delete", fip["ID"], parse=False)
    demo(cloud, "router", "delete", "q1", parse=False)


def test_extensions_are_listed(cloud):
    aliases = {e["Alias"] for e in cloud.openstack("extension", "list", "--network")}
    assert {"router", "ext-gw-mode", "extraroute", "external-net"} <= aliases


def test_openstacksdk(cloud, public, project):
    pub_net, _ = public
    conn = openstack.connect(auth_url=cloud.auth_url, username=DEMO,
                             password=DEMO_PASSWORD, project_name=DEMO,
                             user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne", load_yaml_config=False,
                             load_envvars=False)
    try:
        net = conn.network.create_network(name="sdk-net")
        subnet = conn.network.create_subnet(network_id=net.id, ip_version=4,
                                            cidr="10.65.0.0/24")
        router = conn.network.create_router(
            name="sdk-router", external_gateway_info={"network_id": pub_net["id"]})
        assert router.external_gateway_info["network_id"] == pub_net["id"]
        conn.network.add_interface_to_router(router, subnet_id=subnet.id)
        port = conn.network.create_port(network_id=net.id)
        fip = conn.network.create_ip(floating_network_id=pub_net["id"], port_id=port.id)
        assert fip.fixed_ip_address == port.fixed_ips[0]["ip_address"]
        assert fip.router_id == router.id
        assert [ip.id for ip in conn.network.ips(port_id=port.id)] == [fip.id]
        fip = conn.network.update_ip(fip, port_id=None)
        assert fip.port_id is None
        with pytest.raises(openstack.exceptions.ConflictException):
            conn.network.delete_router(router)
        conn.network.delete_ip(fip)
        conn.network.remove_interface_from_router(router, subnet_id=subnet.id)
        conn.network.update_router(router, external_gateway_info={})
        assert conn.network.get_router(router.id).external_gateway_info is None
        conn.network.delete_router(router)
        with pytest.raises(openstack.exceptions.NotFoundException):
            conn.network.get_router(router.id)
        conn.network.delete_port(port)
        conn.network.delete_network(net)
    finally:
        conn.close()
