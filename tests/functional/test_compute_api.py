"""The compute API on the wire: version discovery and microversions, Nova's error bodies,
request validation, and the resources the CLI test does not reach (metadata, server
groups, paging, multi-create, no-valid-host faults, deleting what never got a host)."""
import subprocess

import pytest
import requests


@pytest.fixture(scope="module")
def api(compute_session):
    return compute_session()


@pytest.fixture(scope="module")
def image_id(cloud, api, tmp_path_factory):
    path = tmp_path_factory.mktemp("compute-api-image") / "tiny.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(path), "10M"], check=True,
                   capture_output=True, timeout=60)
    images = cloud.url + "/image/v2/images"
    headers = {"X-Auth-Token": api.token}
    image = requests.post(images, headers=headers, timeout=30, json={
        "name": "tiny", "disk_format": "qcow2", "container_format": "bare",
        "visibility": "public", "fake:kind": "test"}).json()
    with open(path, "rb") as data:
        requests.put(f"{images}/{image['id']}/file", data=data, timeout=60, headers=dict(
            headers, **{"Content-Type": "application/octet-stream"})).raise_for_status()
    return image["id"]


@pytest.fixture(scope="module")
def flavor_id(api):
    resp = api.post("/flavors", {"flavor": {"name": "small", "ram": 64, "vcpus": 1,
                                            "disk": 1, "id": "small"}})
    assert resp.status_code == 200, resp.text
    return "small"


def create(api, image_id, flavor_id, name="vm", expect=202, **fields):
    body = {"server": dict({"name": name, "imageRef": image_id, "flavorRef": flavor_id,
                            "networks": "none"}, **fields)}
    resp = api.post("/servers", body)
    assert resp.status_code == expect, resp.text
    return resp.json()


def delete_all(api):
    for server in api.get("/servers").json()["servers"]:
        assert api.delete(f"/servers/{server['id']}").status_code == 204
        api.wait_for_server(server["id"], (None,))


def test_version_discovery(cloud):
    root = requests.get(cloud.url + "/compute/", timeout=10).json()
    assert [v["id"] for v in root["versions"]] == ["v2.1"]
    version = requests.get(cloud.url + "/compute/v2.1", timeout=10).json()["version"]
    assert (version["min_version"], version["version"]) == ("2.1", "2.79")
    assert version["links"][0]["href"] == cloud.url + "/compute/v2.1/"


def test_microversion_headers(api, compute_session):
    resp = api.get("/servers")
    assert resp.headers["OpenStack-API-Version"] == "compute 2.79"
    assert resp.headers["X-OpenStack-Nova-API-Version"] == "2.79"
    assert "OpenStack-API-Version" in resp.headers["Vary"]
    assert resp.headers["X-Openstack-Request-Id"].startswith("req-")
    old = compute_session(microversion=None).get("/servers")
    assert old.headers["OpenStack-API-Version"] == "compute 2.1"
    too_new = api.get("/servers", headers={"OpenStack-API-Version": "compute 2.999"})
    assert too_new.status_code == 406
    assert "maximum is 2.79" in too_new.json()["notAcceptable"]["message"]


def test_errors_use_novas_format(api, image_id, flavor_id):
    missing = api.get("/servers/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.json() == {"itemNotFound": {
        "code": 404,
        "message": "Instance 00000000-0000-0000-0000-000000000000 could not be found."}}
    unauthenticated = requests.get(api.base + "/servers", timeout=10)
    assert unauthenticated.status_code == 401 and "unauthorized" in unauthenticated.json()
    bad = api.post("/servers", {"server": {"name": "x", "flavorRef": flavor_id,
                                           "imageRef": image_id, "networks": "some"}})
    assert bad.status_code == 400
    assert "Invalid input for field/attribute server/networks" in (
        bad.json()["badRequest"]["message"])
    no_networks = api.post("/servers", {"server": {"name": "x", "flavorRef": flavor_id,
                                                   "imageRef": image_id}})
    assert "'networks' is a required property" in no_networks.json()["badRequest"]["message"]
    malformed = api.request("POST", "/servers", data=b"{not json",
                            headers={"Content-Type": "application/json"})
    assert malformed.status_code == 400 and "badRequest" in malformed.json()
    unknown_image = create(api, "11111111-1111-1111-1111-111111111111", flavor_id, expect=400)
    assert "Image 11111111-1111-1111-1111-111111111111 could not be found" in (
        unknown_image["badRequest"]["message"])
    unknown_flavor = create(api, image_id, "nope", expect=400)
    assert unknown_flavor["badRequest"]["message"] == "Flavor nope could not be found."
    duplicate = api.post("/flavors", {"flavor": {"name": "small", "ram": 1, "vcpus": 1,
                                                 "disk": 0}})
    assert duplicate.status_code == 409 and "conflictingRequest" in duplicate.json()
    assert api.get("/servers", params={"marker": "nope"}).status_code == 400


def test_server_view_follows_the_microversion(api, compute_session, image_id, flavor_id):
    server = create(api, image_id, flavor_id, name="viewed", metadata={"a": "1"},
                    description="described")["server"]
    active = api.wait_for_server(server["id"])
    assert active["status"] == "ACTIVE", active.get("fault")
    assert active["flavor"]["original_name"] == "small" and active["description"] == "described"
    assert active["host_status"] == "UP" and active["locked"] is False
    assert active["metadata"] == {"a": "1"} and active["image"]["id"] == image_id
    old = compute_session(microversion="2.1").get(f"/servers/{server['id']}").json()["server"]
    assert old["flavor"]["id"] == flavor_id
    assert not {"description", "locked", "host_status", "tags"} & set(old)
    delete_all(api)


def test_actions_refused_in_the_wrong_state(api, image_id, flavor_id):
    server = create(api, image_id, flavor_id)["server"]
    api.wait_for_server(server["id"])
    refused = api.post(f"/servers/{server['id']}/action", {"os-start": None})
    assert refused.status_code == 409
    assert f"Cannot 'start' instance {server['id']} while it is in vm_state active" in (
        refused.json()["conflictingRequest"]["message"])
    unknown = api.post(f"/servers/{server['id']}/action", {"os-shelve": None})
    assert unknown.status_code == 400
    assert api.post(f"/servers/{server['id']}/action",
                    {"reboot": {"type": "HARD"}}).status_code == 202
    assert api.wait_for_server(server["id"], ("ACTIVE",))["OS-EXT-STS:task_state"] in (
        None, "rebooting_hard")
    output = api.post(f"/servers/{server['id']}/action",
                      {"os-getConsoleOutput": {"length": 1}}).json()["output"]
    assert len(output.splitlines()) == 1
    delete_all(api)


def test_metadata(api, image_id, flavor_id):
    server = create(api, image_id, flavor_id, metadata={"a": "1", "b": "2"})["server"]
    path = f"/servers/{server['id']}/metadata"
    assert api.post(path, {"metadata": {"b": "3", "c": "4"}}).json() == {
        "metadata": {"a": "1", "b": "3", "c": "4"}}
    assert api.put(path, {"metadata": {"z": "9"}}).json() == {"metadata": {"z": "9"}}
    assert api.put(path + "/y", {"meta": {"y": "8"}}).json() == {"meta": {"y": "8"}}
    assert api.get(path + "/y").json() == {"meta": {"y": "8"}}
    assert api.delete(path + "/z").status_code == 204
    assert api.get(path).json() == {"metadata": {"y": "8"}}
    assert api.get(path + "/z").status_code == 404
    assert api.put(path + "/y", {"meta": {"x": "1"}}).status_code == 400
    delete_all(api)


def test_multi_create_names_and_pages(api, image_id, flavor_id):
    body = create(api, image_id, flavor_id, name="many", min_count=3, max_count=3,
                  return_reservation_id=True)
    listed = api.get("/servers/detail",
                     params={"reservation_id": body["reservation_id"]}).json()["servers"]
    assert sorted(s["name"] for s in listed) == ["many-1", "many-2", "many-3"]
    first = api.get("/servers", params={"limit": 2}).json()
    assert len(first["servers"]) == 2
    next_href = first["servers_links"][0]["href"]
    rest = api.session.get(next_href, timeout=30).json()
    assert len(rest["servers"]) == 1 and "servers_links" not in rest
    ids = [s["id"] for s in first["servers"] + rest["servers"]]
    assert sorted(ids) == sorted(s["id"] for s in listed)
    assert [s["name"] for s in api.get("/servers", params={"name": "^many-[12]$"}).json()[
        "servers"]] == ["many-2", "many-1"]
    delete_all(api)


def test_no_valid_host_is_the_fault_and_such_servers_delete_at_once(api, image_id):
    assert api.post("/flavors", {"flavor": {"name": "huge", "ram": 64, "vcpus": 1,
                                            "disk": 5000, "id": "huge"}}).status_code == 200
    server = create(api, image_id, "huge", name="too-big")["server"]
    failed = api.wait_for_server(server["id"])
    assert failed["status"] == "ERROR"
    assert failed["fault"]["message"].startswith("No valid host was found.")
    assert failed["OS-EXT-SRV-ATTR:host"] is None
    events = api.get(f"/servers/{server['id']}/os-instance-actions").json()["instanceActions"]
    detail = api.get(f"/servers/{server['id']}/os-instance-actions/"
                     f"{events[0]['request_id']}").json()["instanceAction"]
    assert [(e["event"], e["result"]) for e in detail["events"]] == [
        ("api_validate_token", "Success"), ("compute_api_create", "Success"),
        ("compute__schedule_instances", "Error")]
    assert api.delete(f"/servers/{server['id']}").status_code == 204
    assert api.get(f"/servers/{server['id']}").status_code == 404


def test_server_group_anti_affinity_needs_another_host(api, image_id, flavor_id):
    group = api.post("/os-server-groups", {"server_group": {
        "name": "apart", "policy": "anti-affinity"}}).json()["server_group"]
    hints = {"group": group["id"]}
    first = api.post("/servers", {"server": {"name": "a1", "imageRef": image_id,
                                             "flavorRef": flavor_id, "networks": "none"},
                                  "os:scheduler_hints": hints}).json()["server"]
    assert api.wait_for_server(first["id"])["status"] == "ACTIVE"
    second = api.post("/servers", {"server": {"name": "a2", "imageRef": image_id,
                                              "flavorRef": flavor_id, "networks": "none"},
                                   "os:scheduler_hints": hints}).json()["server"]
    assert api.wait_for_server(second["id"])["status"] == "ERROR"   # one host only
    shown = api.get(f"/os-server-groups/{group['id']}").json()["server_group"]
    assert sorted(shown["members"]) == sorted([first["id"], second["id"]])
    assert api.get(f"/servers/{first['id']}").json()["server"]["server_groups"] == [
        group["id"]]
    delete_all(api)
    assert api.get(f"/os-server-groups/{group['id']}").json()["server_group"][
        "members"] == []
    assert api.delete(f"/os-server-groups/{group['id']}").status_code == 204


def test_keypair_import_and_flavor_extra_specs(api, flavor_id):
    public = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBKrTTVTfRZmKc6zBJMIYqpdHSrJYDyqanwOQ/"
              "ylMaw7 me@home")
    created = api.post("/os-keypairs", {"keypair": {"name": "home", "public_key": public}})
    assert created.status_code == 201 and "private_key" not in created.json()["keypair"]
    assert api.get("/os-keypairs/home").json()["keypair"]["public_key"] == public
    bad = api.post("/os-keypairs", {"keypair": {"name": "bad", "public_key": "ssh-rsa x"}})
    assert bad.status_code == 400
    assert api.delete("/os-keypairs/home").status_code == 204
    specs = f"/flavors/{flavor_id}/os-extra_specs"
    assert api.post(specs, {"extra_specs": {"hw:cpu_policy": "shared"}}).status_code == 200
    assert api.get(specs + "/hw:cpu_policy").json() == {"hw:cpu_policy": "shared"}
    assert api.get(f"/flavors/{flavor_id}").json()["flavor"]["extra_specs"] == {
        "hw:cpu_policy": "shared"}
    assert api.delete(specs + "/hw:cpu_policy").status_code == 200
    assert api.get(specs).json() == {"extra_specs": {}}


def test_limits_count_what_the_project_uses(api, image_id, flavor_id):
    server = create(api, image_id, flavor_id)["server"]
    api.wait_for_server(server["id"])
    absolute = api.get("/limits").json()["limits"]["absolute"]
    assert absolute["totalInstancesUsed"] == 1 and absolute["totalRAMUsed"] == 64
    assert absolute["maxTotalInstances"] == 10
    delete_all(api)
    assert api.get("/limits").json()["limits"]["absolute"]["totalInstancesUsed"] == 0


def test_servers_get_ports_on_their_networks(cloud, api, image_id, flavor_id):
    networking = requests.Session()
    networking.headers["X-Auth-Token"] = api.token
    base = cloud.url + "/networking/v2.0"
    network = networking.post(base + "/networks", json={"network": {"name": "lan"}},
                              timeout=30).json()["network"]
    networking.post(base + "/subnets", timeout=30, json={"subnet": {
        "network_id": network["id"], "ip_version": 4, "cidr": "10.20.0.0/24"}}
    ).raise_for_status()
    try:
        named = create(api, image_id, flavor_id, name="on-lan",
                       networks=[{"uuid": network["id"], "fixed_ip": "10.20.0.50"}])
        auto = create(api, image_id, flavor_id, name="auto", networks="auto")
        for server_id, address in ((named["server"]["id"], "10.20.0.50"),
                                   (auto["server"]["id"], None)):
            server = api.wait_for_server(server_id)
            assert server["status"] == "ACTIVE", server.get("fault")
            (ip,) = server["addresses"]["lan"]
            assert ip["version"] == 4 and ip["OS-EXT-IPS:type"] == "fixed"
            assert address in (None, ip["addr"])
            ports = networking.get(base + "/ports", params={"device_id": server_id},
                                   timeout=30).json()["ports"]
            assert [p["mac_address"] for p in ports] == [ip["OS-EXT-IPS-MAC:mac_addr"]]
            assert ports[0]["binding:host_id"] == cloud.sections["DEFAULT"]["host"]
        missing = create(api, image_id, flavor_id, expect=400, networks=[
            {"uuid": "22222222-2222-2222-2222-222222222222"}])
        assert "could not be found" in missing["badRequest"]["message"]
        delete_all(api)
        assert networking.get(base + "/ports", params={"device_owner": "compute:nova"},
                              timeout=30).json()["ports"] == []
    finally:
        delete_all(api)
        networking.delete(f"{base}/networks/{network['id']}", timeout=30)
