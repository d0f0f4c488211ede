"""Compute's floating IP proxy (fake virt driver): addFloatingIp/removeFloatingIp up to
microversion 2.43 (openstacksdk's calls), /os-floating-ips up to 2.35, and the server's
addresses with OS-EXT-IPS:type floating."""
import openstack
import pytest

from tests.lib.cloud import ADMIN_PASSWORD


@pytest.fixture(scope="module")
def topology(cloud):
    """public (external), a private network joined to it by a router, and a server."""
    cloud.openstack("network", "create", "public", "--external",
                    "--provider-network-type", "flat", "--provider-physical-network",
                    "public")
    cloud.openstack("subnet", "create", "public-subnet", "--network", "public",
                    "--subnet-range", "203.0.113.0/24", "--no-dhcp")
    cloud.openstack("network", "create", "private")
    cloud.openstack("subnet", "create", "private-subnet", "--network", "private",
                    "--subnet-range", "10.70.0.0/24")
    cloud.openstack("router", "create", "router1")
    cloud.openstack("router", "set", "router1", "--external-gateway", "public",
                    parse=False)
    cloud.openstack("router", "add", "subnet", "router1", "private-subnet", parse=False)
    cloud.blank_image("tiny", "--public")
    cloud.openstack("flavor", "create", "--vcpus", "1", "--ram", "64", "--disk", "1",
                    "m1.nano")
    server = cloud.openstack("server", "create", "--image", "tiny", "--flavor", "m1.nano",
                             "--network", "private", "--wait", "vm1")
    return server


def old(compute_session, version):
    return compute_session(microversion=version)


def test_os_floating_ips_proxy_until_2_35(cloud, compute_session, topology):
    api = old(compute_session, "2.35")
    created = api.post("/os-floating-ips", {"pool": "public"})
    assert created.status_code == 200, created.text
    fip = created.json()["floating_ip"]
    assert set(fip) == {"id", "ip", "fixed_ip", "instance_id", "pool"}
    assert fip["pool"] == "public" and fip["fixed_ip"] is None and fip["instance_id"] is None
    default = api.post("/os-floating-ips").json()["floating_ip"]
    assert default["pool"] == "public"      # [compute] default_floating_pool
    listed = api.get("/os-floating-ips").json()["floating_ips"]
    assert {f["id"] for f in listed} == {fip["id"], default["id"]}
    assert api.get(f"/os-floating-ips/{fip['id']}").json()["floating_ip"] == fip
    missing = api.post("/os-floating-ips", {"pool": "nowhere"})
    assert missing.status_code == 404
    assert missing.json()["itemNotFound"]["message"] == "Floating IP pool not found."
    assert api.get("/os-floating-ips/" + "0" * 32).status_code == 404
    assert api.delete(f"/os-floating-ips/{default['id']}").status_code == 202
    assert api.get(f"/os-floating-ips/{default['id']}").status_code == 404
    # Gone from 2.36, as in Nova.
    assert old(compute_session, "2.36").get("/os-floating-ips").status_code == 404
    assert api.delete(f"/os-floating-ips/{fip['id']}").status_code == 202


def test_add_and_remove_floating_ip_actions(cloud, compute_session, topology):
    server_id = topology["id"]
    api = old(compute_session, "2.43")
    fip = cloud.openstack("floating", "ip", "create", "public")
    address = fip["floating_ip_address"]
    added = api.post(f"/servers/{server_id}/action", {"addFloatingIp": {"address": address}})
    assert added.status_code == 202, added.text
    shown = cloud.openstack("floating", "ip", "show", fip["id"])
    assert shown["port_id"] and shown["fixed_ip_address"].startswith("10.70.0.")
    addresses = api.get(f"/servers/{server_id}").json()["server"]["addresses"]["private"]
    assert [(a["addr"], a["OS-EXT-IPS:type"]) for a in addresses] == [
        (shown["fixed_ip_address"], "fixed"), (address, "floating")]
    assert addresses[0]["OS-EXT-IPS-MAC:mac_addr"] == addresses[1]["OS-EXT-IPS-MAC:mac_addr"]
    listed = old(compute_session, "2.35").get("/os-floating-ips").json()["floating_ips"]
    assert [(f["ip"], f["instance_id"]) for f in listed] == [(address, server_id)]

    wrong = api.post(f"/servers/{server_id}/action",
                     {"addFloatingIp": {"address": address, "fixed_address": "10.70.0.250"}})
    assert wrong.status_code == 400
    assert "Specified fixed address not assigned to instance" in wrong.text
    unknown = api.post(f"/servers/{server_id}/action",
                       {"addFloatingIp": {"address": "198.51.100.77"}})
    assert unknown.status_code == 404
    gone = compute_session().post(f"/servers/{server_id}/action",
                                  {"addFloatingIp": {"address": address}})
    assert gone.status_code == 400 and "There is no such action" in gone.text

    removed = api.post(f"/servers/{server_id}/action",
                       {"removeFloatingIp": {"address": address}})
    assert removed.status_code == 202, removed.text
    assert cloud.openstack("floating", "ip", "show", fip["id"])["port_id"] is None
    addresses = api.get(f"/servers/{server_id}").json()["server"]["addresses"]["private"]
    assert [a["OS-EXT-IPS:type"] for a in addresses] == ["fixed"]
    again = api.post(f"/servers/{server_id}/action",
                     {"removeFloatingIp": {"address": address}})
    assert again.status_code == 409 and "is not associated with instance" in again.text
    cloud.openstack("floating", "ip", "delete", fip["id"], parse=False)


def test_openstacksdk_adds_and_removes_a_floating_ip(cloud, topology):
    conn = openstack.connect(auth_url=cloud.auth_url, username="admin",
                             password=ADMIN_PASSWORD, project_name="admin",
                             user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne", load_yaml_config=False,
                             load_envvars=False, compute_api_version="2.43")
    try:
        public = conn.network.find_network("public")
        fip = conn.network.create_ip(floating_network_id=public.id)
        server = conn.compute.get_server(topology["id"])
        conn.compute.add_floating_ip_to_server(server, fip.floating_ip_address)
        assert conn.network.get_ip(fip.id).port_id is not None
        conn.compute.remove_floating_ip_from_server(server, fip.floating_ip_address)
        assert conn.network.get_ip(fip.id).port_id is None
        conn.network.delete_ip(fip)
    finally:
        conn.close()


def _addresses(compute_session, server_id):
    server = compute_session().get(f"/servers/{server_id}").json()["server"]
    return [(a["addr"], a["OS-EXT-IPS:type"]) for a in server["addresses"]["private"]]


def test_floating_ip_attached_through_the_network_api_shows_in_the_server(
        cloud, compute_session, topology):
    """The network service tells compute (network-changed) and the server's addresses
    follow, whichever stock command attached the floating IP."""
    server_id = topology["id"]
    fixed = _addresses(compute_session, server_id)[0][0]
    fip = cloud.openstack("floating", "ip", "create", "public")
    address = fip["floating_ip_address"]
    cloud.openstack("server", "add", "floating", "ip", "vm1", address, parse=False)
    assert _addresses(compute_session, server_id) == [(fixed, "fixed"),
                                                      (address, "floating")]
    shown = cloud.openstack("server", "show", "vm1")
    assert sorted(shown["addresses"]["private"]) == sorted([fixed, address])
    cloud.openstack("server", "remove", "floating", "ip", "vm1", address, parse=False)
    assert _addresses(compute_session, server_id) == [(fixed, "fixed")]

    port = cloud.openstack("port", "list", "--server", "vm1")[0]["ID"]
    cloud.openstack("floating", "ip", "set", "--port", port, fip["id"], parse=False)
    assert (address, "floating") in _addresses(compute_session, server_id)
    cloud.openstack("floating", "ip", "unset", "--port", fip["id"], parse=False)
    assert _addresses(compute_session, server_id) == [(fixed, "fixed")]
    cloud.openstack("floating", "ip", "set", "--port", port, fip["id"], parse=False)
    cloud.openstack("floating", "ip", "delete", fip["id"], parse=False)
    assert _addresses(compute_session, server_id) == [(fixed, "fixed")]


def test_server_external_events(cloud, compute_session, topology):
    server_id = topology["id"]
    api = compute_session()
    ok = api.post("/os-server-external-events", {"events": [
        {"name": "network-changed", "server_uuid": server_id, "tag": "a-port"}]})
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"events": [{"name": "network-changed", "server_uuid": server_id,
                                     "tag": "a-port", "status": "completed",
                                     "code": 200}]}
    missing = "8f4b9a6c-0000-4000-8000-000000000000"
    mixed = api.post("/os-server-external-events", {"events": [
        {"name": "network-vif-plugged", "server_uuid": server_id, "status": "failed"},
        {"name": "network-changed", "server_uuid": missing}]})
    assert mixed.status_code == 207, mixed.text
    assert [(e["status"], e["code"]) for e in mixed.json()["events"]] == [
        ("failed", 200), ("failed", 404)]
    none = api.post("/os-server-external-events", {"events": [
        {"name": "network-changed", "server_uuid": missing}]})
    assert none.status_code == 404
    assert none.json()["itemNotFound"]["message"] == "No instances found for any event"
    for bad in ({"events": []}, {"events": [{"name": "reboot", "server_uuid": server_id}]},
                {"events": [{"name": "network-changed", "server_uuid": "nope"}]},
                {"events": [{"name": "network-changed", "server_uuid": server_id,
                             "status": "done"}]}):
        assert api.post("/os-server-external-events", bad).status_code == 400, bad
    extended = {"events": [{"name": "volume-extended", "server_uuid": server_id}]}
    assert compute_session(microversion="2.50").post(
        "/os-server-external-events", extended).status_code == 400
    assert compute_session(microversion="2.51").post(
        "/os-server-external-events", extended).status_code == 200

    cloud.add_member_project("events-member", "secret-events")
    member = compute_session(user="events-member", password="secret-events",
                             project="events-member")
    refused = member.post("/os-server-external-events", {"events": [
        {"name": "network-changed", "server_uuid": server_id}]})
    assert refused.status_code == 403
