"""The networking API over real HTTP: IPAM under concurrency, the DHCP port, bindings,
filters and pagination, project isolation, Neutron's error format, and the
NetworkClient that compute and the agents use."""
import concurrent.futures
import ipaddress

import pytest
import requests

from contract.clients.network import NetworkApiError, NetworkClient
from tests.lib.cloud import Cloud

DEMO_PASSWORD = "demo-secret"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("network-api"), roles=["api"], with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def admin(cloud):
    return NetworkClient(cloud.url + "/networking", cloud.admin_token())


@pytest.fixture(scope="module")
def demo(cloud):
    """A client of project demo, whose user is a plain member."""
    cloud.add_member_project("demo", DEMO_PASSWORD)
    token = cloud.user_token("demo", DEMO_PASSWORD, "demo")
    return NetworkClient(cloud.url + "/networking", token)


def api(client, method, path, body=None, **params):
    """A raw request, for status codes and bodies the client does not expose."""
    return client.session.request(method, client.base + path, json=body, params=params,
                                  timeout=30)


def clone(client):
    """Another client with the same token: a requests session per thread."""
    return NetworkClient(client.base[:-len("/v2.0")], client.session.headers["X-Auth-Token"])


def make_network(client, cidr=None, **subnet):
    network = api(client, "POST", "/networks", {"network": {"name": "n"}}).json()["network"]
    if cidr:
        body = {"subnet": {"network_id": network["id"], "cidr": cidr, "ip_version": 4,
                           **subnet}}
        response = api(client, "POST", "/subnets", body)
        assert response.status_code == 201, response.text
        return network, response.json()["subnet"]
    return network, None


def test_version_discovery_is_public(cloud):
    root = requests.get(cloud.url + "/networking", timeout=10).json()
    assert root["versions"][0]["id"] == "v2.0"
    assert root["versions"][0]["links"][0]["href"].endswith("/networking/v2.0/")
    v2 = requests.get(cloud.url + "/networking/v2.0", timeout=10).json()
    assert {r["collection"] for r in v2["resources"]} == {
        "networks", "subnets", "ports", "routers", "floatingips"}


def test_extensions_are_listed_and_shown(admin):
    aliases = {ext["alias"] for ext in api(admin, "GET", "/extensions").json()["extensions"]}
    assert {"binding", "provider", "external-net", "network-mtu", "pagination"} <= aliases
    assert api(admin, "GET", "/extensions/binding").json()["extension"]["alias"] == "binding"
    missing = api(admin, "GET", "/extensions/qos")
    assert missing.status_code == 404
    assert missing.json()["NeutronError"]["type"] == "ExtensionNotFound"


def test_tokens_are_required(cloud):
    response = requests.get(cloud.url + "/networking/v2.0/networks", timeout=10)
    assert response.status_code == 401
    assert response.json()["NeutronError"]["type"] == "Unauthorized"


def test_vxlan_networks_get_distinct_vnis_and_mtu_1450(admin):
    first, _ = make_network(admin)
    second, _ = make_network(admin)
    assert first["provider:network_type"] == second["provider:network_type"] == "vxlan"
    assert first["provider:segmentation_id"] != second["provider:segmentation_id"]
    assert first["mtu"] == 1450 and first["status"] == "ACTIVE"
    assert first["router:external"] is False


def test_admin_chooses_segments_and_conflicts_are_409(admin):
    vni = api(admin, "POST", "/networks", {"network": {
        "provider:network_type": "vxlan", "provider:segmentation_id": 777}})
    assert vni.status_code == 201 and vni.json()["network"]["provider:segmentation_id"] == 777
    again = api(admin, "POST", "/networks", {"network": {
        "provider:network_type": "vxlan", "provider:segmentation_id": 777}})
    assert again.status_code == 409
    assert again.json()["NeutronError"]["type"] == "TunnelIdInUse"
    flat = api(admin, "POST", "/networks", {"network": {
        "provider:network_type": "flat", "provider:physical_network": "physnet-api"}})
    assert flat.status_code == 201 and flat.json()["network"]["mtu"] == 1500
    no_physnet = api(admin, "POST", "/networks",
                     {"network": {"provider:network_type": "flat"}})
    assert no_physnet.status_code == 400


def test_members_cannot_set_provider_attributes_nor_see_them(demo):
    refused = api(demo, "POST", "/networks", {"network": {"provider:network_type": "flat"}})
    assert refused.status_code == 403
    network, _ = make_network(demo)
    assert "provider:segmentation_id" not in network
    assert network["mtu"] == 1450


def test_subnet_defaults_and_the_dhcp_port(admin):
    network, subnet = make_network(admin, "10.20.0.0/24", dns_nameservers=["192.0.2.53"])
    assert subnet["gateway_ip"] == "10.20.0.1"
    assert subnet["allocation_pools"] == [{"start": "10.20.0.2", "end": "10.20.0.254"}]
    assert subnet["enable_dhcp"] is True and subnet["dns_nameservers"] == ["192.0.2.53"]
    dhcp = admin.list_ports(network_id=network["id"], device_owner="network:dhcp")
    assert len(dhcp) == 1
    assert dhcp[0]["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "10.20.0.2"}]
    assert dhcp[0]["status"] == "ACTIVE"
    # The network can be deleted with only its DHCP port on it.
    assert api(admin, "DELETE", f"/networks/{network['id']}").status_code == 204
    assert admin.list_ports(network_id=network["id"]) == []


def test_subnet_without_gateway_and_with_pools_and_routes(admin):
    network, subnet = make_network(
        admin, "10.21.0.0/28", gateway_ip=None, enable_dhcp=False,
        allocation_pools=[{"start": "10.21.0.5", "end": "10.21.0.6"}],
        host_routes=[{"destination": "192.168.0.0/16", "nexthop": "10.21.0.9"}])
    assert subnet["gateway_ip"] is None
    assert subnet["host_routes"] == [{"destination": "192.168.0.0/16",
                                      "nexthop": "10.21.0.9"}]
    assert admin.list_ports(network_id=network["id"]) == []      # no DHCP, no DHCP port
    got = [admin.create_port(network["id"], "dev", "compute:nova")["fixed_ips"][0]
           ["ip_address"] for _ in range(2)]
    assert got == ["10.21.0.5", "10.21.0.6"]
    with pytest.raises(NetworkApiError) as info:
        admin.create_port(network["id"], "dev", "compute:nova")
    assert (info.value.status, info.value.error_type) == (409, "IpAddressGenerationFailure")


@pytest.mark.parametrize("subnet,error_type", [
    ({"cidr": "10.22.0.1/24"}, "InvalidInput"),
    ({"cidr": "10.22.0.0/24", "gateway_ip": "10.23.0.1"}, "InvalidInput"),
    ({"cidr": "10.22.0.0/24", "allocation_pools": [{"start": "10.22.0.1",
                                                    "end": "10.22.0.9"}]},
     "GatewayConflictWithAllocationPools"),
    ({"cidr": "10.22.0.0/24", "ip_version": 6}, "InvalidInput"),
    ({"cidr": "10.22.0.0/24", "colour": "red"}, "BadRequest"),
])
def test_bad_subnets_get_neutron_errors_and_change_nothing(admin, subnet, error_type):
    network, _ = make_network(admin)
    response = api(admin, "POST", "/subnets", {"subnet": {"network_id": network["id"],
                                                          **subnet}})
    assert response.status_code in (400, 409)
    error = response.json()["NeutronError"]
    assert error["type"] == error_type and error["message"] and error["detail"] == ""
    assert admin.show_network(network["id"])["subnets"] == []


def test_overlapping_subnets_on_one_network_are_refused(admin):
    network, _ = make_network(admin, "10.24.0.0/24")
    response = api(admin, "POST", "/subnets", {"subnet": {
        "network_id": network["id"], "cidr": "10.24.0.128/25", "ip_version": 4}})
    assert response.status_code == 400


def test_concurrent_port_creation_never_duplicates_an_address(admin):
    network, subnet = make_network(admin, "10.30.0.0/26")
    # 62 usable addresses: .1 is the gateway, .2 the DHCP port, 60 left for ports.

    def create_until_full(_):
        client, addresses = clone(admin), []
        while True:
            try:
                port = client.create_port(network["id"], "dev", "compute:nova")
            except NetworkApiError as exc:
                return addresses, exc
            addresses.append(port["fixed_ips"][0]["ip_address"])

    with concurrent.futures.ThreadPoolExecutor(40) as pool:
        results = list(pool.map(create_until_full, range(40)))
    addresses = [address for got, _ in results for address in got]
    assert len(addresses) == 60
    assert len(set(addresses)) == 60
    network_range = ipaddress.ip_network(subnet["cidr"])
    assert all(ipaddress.ip_address(a) in network_range for a in addresses)
    assert {"10.30.0.1", "10.30.0.2"}.isdisjoint(addresses)
    for _, error in results:
        assert (error.status, error.error_type) == (409, "IpAddressGenerationFailure")
    # Deleting a port frees its address for the next one.
    victim = admin.list_ports(network_id=network["id"], fixed_ips="ip_address=10.30.0.40")
    admin.delete_port(victim[0]["id"])
    again = admin.create_port(network["id"], "dev", "compute:nova")
    assert again["fixed_ips"][0]["ip_address"] == "10.30.0.40"


def test_fixed_ips_given_taken_and_updated(admin):
    network, subnet = make_network(admin, "10.31.0.0/24")
    port = admin.create_port(network["id"], "dev", "compute:nova",
                             fixed_ips=[{"ip_address": "10.31.0.100"}])
    assert port["fixed_ips"] == [{"subnet_id": subnet["id"], "ip_address": "10.31.0.100"}]
    with pytest.raises(NetworkApiError) as info:
        admin.create_port(network["id"], "dev", "compute:nova",
                          fixed_ips=[{"subnet_id": subnet["id"], "ip_address": "10.31.0.100"}])
    assert (info.value.status, info.value.error_type) == (409, "IpAddressAlreadyAllocated")
    with pytest.raises(NetworkApiError) as info:
        admin.create_port(network["id"], "dev", "compute:nova",
                          fixed_ips=[{"ip_address": "10.99.0.5"}])
    assert info.value.status == 400
    moved = admin.update_port(port["id"], fixed_ips=[{"ip_address": "10.31.0.101"}])
    assert moved["fixed_ips"][0]["ip_address"] == "10.31.0.101"
    # The old address is free again.
    reuse = admin.create_port(network["id"], "dev", "compute:nova",
                              fixed_ips=[{"ip_address": "10.31.0.100"}])
    assert reuse["fixed_ips"][0]["ip_address"] == "10.31.0.100"


def test_mac_addresses_generated_given_and_unique(admin):
    network, _ = make_network(admin, "10.32.0.0/24")
    port = admin.create_port(network["id"], "dev", "compute:nova")
    assert port["mac_address"].startswith("fa:16:3e:")
    given = admin.create_port(network["id"], "dev", "compute:nova",
                              mac_address="FA:16:3E:AA:BB:CC")
    assert given["mac_address"] == "fa:16:3e:aa:bb:cc"
    with pytest.raises(NetworkApiError) as info:
        admin.create_port(network["id"], "dev", "compute:nova",
                          mac_address="fa:16:3e:aa:bb:cc")
    assert (info.value.status, info.value.error_type) == (409, "MacAddressInUse")


def test_binding_makes_a_port_active_and_describes_the_segment(demo, admin):
    network, _ = make_network(demo, "10.33.0.0/24")
    port = demo.create_port(network["id"], "server-1", "compute:nova")
    assert (port["status"], port["binding:vif_type"]) == ("DOWN", "unbound")
    # Binding is an admin's (the compute agents' service user's) act, as in Neutron.
    for fields in ({"binding:host_id": "compute-7"}, {"binding:profile": {"a": "b"}}):
        with pytest.raises(NetworkApiError) as info:
            demo.update_port(port["id"], **fields)
        assert info.value.status == 403
    with pytest.raises(NetworkApiError) as info:
        demo.create_port(network["id"], "server-0", "compute:nova", host="compute-7")
    assert info.value.status == 403
    bound = admin.update_port(port["id"], **{"binding:host_id": "compute-7",
                                             "binding:profile": {"local_ip": "192.0.2.7"}})
    assert bound["status"] == "ACTIVE" and bound["binding:vif_type"] == "bridge"
    details = bound["binding:vif_details"]
    assert details["network_type"] == "vxlan" and details["mtu"] == 1450
    assert isinstance(details["segmentation_id"], int)
    assert demo.show_port(port["id"])["binding:profile"] == {"local_ip": "192.0.2.7"}
    bound_here = demo.list_ports(**{"binding:host_id": "compute-7"})
    assert [p["id"] for p in bound_here] == [port["id"]]
    created_bound = admin.create_port(network["id"], "server-2", "compute:nova",
                                      host="compute-8", project_id=network["project_id"])
    assert created_bound["status"] == "ACTIVE"


def test_subnet_and_network_in_use_are_409(admin):
    network, subnet = make_network(admin, "10.34.0.0/24")
    port = admin.create_port(network["id"], "dev", "compute:nova")
    response = api(admin, "DELETE", f"/subnets/{subnet['id']}")
    assert response.status_code == 409
    assert response.json()["NeutronError"]["type"] == "SubnetInUse"
    response = api(admin, "DELETE", f"/networks/{network['id']}")
    assert response.status_code == 409
    assert response.json()["NeutronError"]["type"] == "NetworkInUse"
    admin.delete_port(port["id"])
    assert api(admin, "DELETE", f"/subnets/{subnet['id']}").status_code == 204
    assert admin.list_ports(network_id=network["id"]) == []     # the DHCP port went too
    assert api(admin, "DELETE", f"/networks/{network['id']}").status_code == 204
    missing = api(admin, "GET", f"/networks/{network['id']}")
    assert missing.status_code == 404
    assert missing.json()["NeutronError"]["type"] == "NetworkNotFound"


def test_projects_are_isolated_unless_shared(admin, demo):
    private, _ = make_network(admin, "10.35.0.0/24")
    shared = api(admin, "POST", "/networks", {"network": {"shared": True}}).json()["network"]
    shared_subnet = api(admin, "POST", "/subnets", {"subnet": {
        "network_id": shared["id"], "cidr": "10.36.0.0/24", "ip_version": 4}}).json()["subnet"]
    assert api(demo, "GET", f"/networks/{private['id']}").status_code == 404
    assert private["id"] not in {n["id"] for n in demo.list_networks()}
    with pytest.raises(NetworkApiError) as info:
        demo.create_port(private["id"], "dev", "compute:nova")
    assert info.value.status == 404
    assert demo.show_network(shared["id"])["shared"] is True
    assert demo.show_subnet(shared_subnet["id"])["cidr"] == "10.36.0.0/24"
    mine = demo.create_port(shared["id"], "dev", "compute:nova")
    # On a shared network demo sees its own port and the DHCP port, not admin's ports.
    theirs = admin.create_port(shared["id"], "dev", "compute:nova")
    seen = {p["id"]: p["device_owner"] for p in demo.list_ports(network_id=shared["id"])}
    assert mine["id"] in seen and theirs["id"] not in seen
    assert sorted(seen.values()) == ["compute:nova", "network:dhcp"]
    assert api(demo, "GET", f"/ports/{theirs['id']}").status_code == 404
    # Members may not pick an address on a network they do not own, nor delete it.
    refused = api(demo, "POST", "/ports", {"port": {
        "network_id": shared["id"], "fixed_ips": [{"ip_address": "10.36.0.50"}]}})
    assert refused.status_code == 403
    assert api(demo, "DELETE", f"/networks/{shared['id']}").status_code == 403
    # Admin sees every project's ports.
    assert mine["id"] in {p["id"] for p in admin.list_ports(network_id=shared["id"])}


def test_filters_fields_sorting_and_pagination(admin):
    network, _ = make_network(admin, "10.37.0.0/24")
    ports = [admin.create_port(network["id"], f"dev-{i}", "compute:nova", name=f"p{i % 3}")
             for i in range(7)]
    by_name = admin.list_ports(network_id=network["id"], name=["p0", "p2"])
    assert sorted(p["name"] for p in by_name) == ["p0", "p0", "p0", "p2", "p2"]
    trimmed = api(admin, "GET", "/ports", network_id=network["id"], device_id="dev-3",
                  fields=["id", "name"]).json()["ports"]
    assert trimmed == [{"id": ports[3]["id"], "name": "p0"}]
    ordered = api(admin, "GET", "/ports", network_id=network["id"],
                  device_owner="compute:nova", sort_key="device_id",
                  sort_dir="desc").json()["ports"]
    assert [p["device_id"] for p in ordered] == [f"dev-{i}" for i in reversed(range(7))]
    first = api(admin, "GET", "/ports", network_id=network["id"], limit=3).json()
    assert len(first["ports"]) == 3
    assert [link["rel"] for link in first["ports_links"]] == ["next"]
    # The client follows next links through every page.
    assert len(admin.list_ports(network_id=network["id"], limit=2)) == 8   # 7 + DHCP port
    bad = api(admin, "GET", "/ports", colour="blue")
    assert bad.status_code == 400


def test_malformed_bodies_are_400(admin):
    response = admin.session.post(admin.base + "/networks", data=b"{not json",
                                  headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 400
    assert "NeutronError" in response.json()
    for body in ({"network": {"status": "DOWN"}}, {"network": {"admin_state_up": "maybe"}},
                 {"net": {}}, {"network": {"mtu": 9000}}):
        response = api(admin, "POST", "/networks", body)
        assert response.status_code == 400, body


def test_updates_of_networks_and_subnets(admin, demo):
    network, subnet = make_network(admin, "10.38.0.0/24",
                                   allocation_pools=[{"start": "10.38.0.10",
                                                      "end": "10.38.0.20"}])
    renamed = api(admin, "PUT", f"/networks/{network['id']}",
                  {"network": {"name": "renamed", "shared": True}}).json()["network"]
    assert (renamed["name"], renamed["shared"], renamed["revision_number"]) == (
        "renamed", True, 2)
    assert demo.show_network(network["id"])["name"] == "renamed"
    frozen = api(admin, "PUT", f"/networks/{network['id']}",
                 {"network": {"provider:segmentation_id": 5}})
    assert frozen.status_code == 400

    path = f"/subnets/{subnet['id']}"
    updated = api(admin, "PUT", path, {"subnet": {"dns_nameservers": ["192.0.2.1"],
                                                  "enable_dhcp": False}}).json()["subnet"]
    assert updated["dns_nameservers"] == ["192.0.2.1"] and updated["enable_dhcp"] is False
    assert admin.list_ports(network_id=network["id"], device_owner="network:dhcp") == []
    api(admin, "PUT", path, {"subnet": {"enable_dhcp": True}})
    dhcp = admin.list_ports(network_id=network["id"], device_owner="network:dhcp")
    assert dhcp[0]["fixed_ips"][0]["ip_address"] == "10.38.0.10"

    in_pool = api(admin, "PUT", path, {"subnet": {"gateway_ip": "10.38.0.15"}})
    assert in_pool.json()["NeutronError"]["type"] == "GatewayConflictWithAllocationPools"
    admin.create_port(network["id"], "dev", "compute:nova",
                      fixed_ips=[{"ip_address": "10.38.0.50"}])
    taken = api(admin, "PUT", path, {"subnet": {"gateway_ip": "10.38.0.50"}})
    assert (taken.status_code, taken.json()["NeutronError"]["type"]) == (409, "GatewayIpInUse")
    moved = api(admin, "PUT", path, {"subnet": {"gateway_ip": "10.38.0.254"}})
    assert moved.json()["subnet"]["gateway_ip"] == "10.38.0.254"
    assert api(demo, "PUT", path, {"subnet": {"name": "mine"}}).status_code == 403


def test_bulk_create_is_all_or_nothing(admin, demo):
    """``{"networks": [...]}`` (also subnets, ports) makes every item or none, as
    Neutron's emulated bulk does."""
    made = api(admin, "POST", "/networks", {"networks": [{"name": "bulk-a"},
                                                        {"name": "bulk-b"}]})
    assert made.status_code == 201, made.text
    networks = made.json()["networks"]
    assert [n["name"] for n in networks] == ["bulk-a", "bulk-b"]
    subnets = api(admin, "POST", "/subnets", {"subnets": [
        {"network_id": n["id"], "cidr": cidr, "ip_version": 4}
        for n, cidr in zip(networks, ("10.81.0.0/24", "10.82.0.0/24"))]})
    assert subnets.status_code == 201, subnets.text
    assert [s["cidr"] for s in subnets.json()["subnets"]] == ["10.81.0.0/24",
                                                             "10.82.0.0/24"]
    ports = api(admin, "POST", "/ports", {"ports": [
        {"network_id": networks[0]["id"], "name": "bulk-p1"},
        {"network_id": networks[1]["id"], "name": "bulk-p2"}]})
    assert ports.status_code == 201, ports.text
    assert [p["name"] for p in ports.json()["ports"]] == ["bulk-p1", "bulk-p2"]

    # The second port's address is taken by the first: the first is undone too.
    failed = api(admin, "POST", "/ports", {"ports": [
        {"network_id": networks[0]["id"], "name": "bulk-undone",
         "fixed_ips": [{"ip_address": "10.81.0.200"}]},
        {"network_id": networks[0]["id"], "name": "bulk-undone",
         "fixed_ips": [{"ip_address": "10.81.0.200"}]}]})
    assert failed.status_code == 409, failed.text
    assert failed.json()["NeutronError"]["type"] == "IpAddressAlreadyAllocated"
    assert admin.list_ports(name="bulk-undone") == []
    # A bad item is refused before anything is made.
    refused = api(admin, "POST", "/networks", {"networks": [{"name": "bulk-c"},
                                                           {"name": "x", "bogus": 1}]})
    assert refused.status_code == 400
    assert admin.list_networks(name="bulk-c") == []
    # A member may not make a shared network: none of the bulk is made.
    forbidden = api(demo, "POST", "/networks", {"networks": [{"name": "bulk-d"},
                                                            {"name": "e", "shared": True}]})
    assert forbidden.status_code == 403
    assert demo.list_networks(name="bulk-d") == []
    for empty in ({"networks": []}, {"networks": {}}):
        response = api(admin, "POST", "/networks", empty)
        assert response.status_code == 400
        assert response.json()["NeutronError"]["message"] == "Resources required"
