"""Compute answers as Nova does where tempest found differences (issue 18): adminPass on
create and rebuild, the base view of update and rebuild before 2.75, access IPs and disk
config kept and validated, numeric flavor ids, the ``/images`` proxy (≤ 2.35), the
``changes-since`` filter, forceDelete and restore — with the stock CLI where users use it,
and bad input answered in Nova's error format."""
import subprocess

import pytest
import requests

SHOW_ONLY = {"key_name", "config_drive", "OS-EXT-AZ:availability_zone",
             "OS-EXT-STS:vm_state", "OS-SRV-USG:launched_at",
             "os-extended-volumes:volumes_attached", "OS-EXT-SRV-ATTR:host"}


@pytest.fixture(scope="module")
def api(compute_session):
    return compute_session()


@pytest.fixture(scope="module")
def old_api(compute_session):
    return compute_session(microversion="2.1")


@pytest.fixture(scope="module")
def image_id(cloud, api, tmp_path_factory):
    path = tmp_path_factory.mktemp("fidelity-image") / "tiny.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(path), "10M"], check=True,
                   capture_output=True, timeout=60)
    images = cloud.url + "/image/v2/images"
    headers = {"X-Auth-Token": api.token}
    image = requests.post(images, headers=headers, timeout=30, json={
        "name": "tiny", "disk_format": "qcow2", "container_format": "bare",
        "visibility": "public", "colour": "blue"}).json()
    with open(path, "rb") as data:
        requests.put(f"{images}/{image['id']}/file", data=data, timeout=60, headers=dict(
            headers, **{"Content-Type": "application/octet-stream"})).raise_for_status()
    return image["id"]


@pytest.fixture(scope="module")
def flavor_id(api):
    resp = api.post("/flavors", {"flavor": {"name": "small", "ram": 64, "vcpus": 1,
                                            "disk": 1, "id": 4242}})
    assert resp.status_code == 200, resp.text
    return resp.json()["flavor"]["id"]


def create(api, image_id, flavor_id, expect=202, **fields):
    body = {"server": dict({"name": "vm", "imageRef": image_id, "flavorRef": flavor_id,
                            "networks": "none"}, **fields)}
    resp = api.post("/servers", body)
    assert resp.status_code == expect, resp.text
    return resp.json()


def action(api, server_id, body):
    return api.post(f"/servers/{server_id}/action", body)


def test_numeric_flavor_id_is_kept_as_text(api, flavor_id, cloud):
    assert flavor_id == "4242"
    assert api.get("/flavors/4242").json()["flavor"]["name"] == "small"
    created = cloud.openstack("flavor", "create", "--id", "77", "--ram", "64", "--vcpus",
                              "1", "--disk", "0", "seventy-seven")
    assert created["id"] == "77"
    duplicate = api.post("/flavors", {"flavor": {"name": "other", "ram": 64, "vcpus": 1,
                                                 "disk": 1, "id": 4242}})
    assert duplicate.status_code == 409 and "conflictingRequest" in duplicate.json()
    bad = api.post("/flavors", {"flavor": {"name": "bad", "ram": 64, "vcpus": 1,
                                           "disk": 1, "id": True}})
    assert bad.status_code == 400 and "badRequest" in bad.json()
    cloud.openstack("flavor", "delete", "77", parse=False)


def test_create_and_rebuild_answer_with_the_admin_password(api, old_api, image_id,
                                                           flavor_id, cloud):
    generated = create(api, image_id, flavor_id)["server"]
    assert len(generated["adminPass"]) == 12 and generated["adminPass"].isalnum()
    given = create(old_api, image_id, flavor_id, adminPass="s3cret!")["server"]
    assert given["adminPass"] == "s3cret!"
    assert set(given) == {"id", "links", "OS-DCF:diskConfig", "security_groups",
                          "adminPass"}
    old_api.wait_for_server(given["id"], ("ACTIVE",))
    rebuilt = action(old_api, given["id"], {"rebuild": {"imageRef": image_id}})
    assert rebuilt.status_code == 202, rebuilt.text
    view = rebuilt.json()["server"]
    assert len(view["adminPass"]) == 12
    assert not SHOW_ONLY & set(view), "2.1 answers a rebuild with the base view"
    assert not any("OS-EXT-IPS:type" in a for addrs in view["addresses"].values()
                   for a in addrs)
    api.wait_for_server(given["id"], ("ACTIVE",))
    full = action(api, given["id"], {"rebuild": {"imageRef": image_id,
                                                 "adminPass": "mine"}}).json()["server"]
    assert full["adminPass"] == "mine" and "OS-EXT-STS:vm_state" in full
    assert full["server_groups"] == [] and full["user_data"] is None
    assert "OS-EXT-SRV-ATTR:user_data" not in full
    # 2.54 to 2.74: the base view and the key pair; 2.57: user data, set or unset.
    api.wait_for_server(given["id"], ("ACTIVE",))
    v257 = {"OpenStack-API-Version": "compute 2.57"}
    with_data = api.post(f"/servers/{given['id']}/action", {"rebuild": {
        "imageRef": image_id, "user_data": "aGVsbG8=", "key_name": None}},
        headers=v257).json()["server"]
    assert (with_data["key_name"], with_data["user_data"]) == (None, "aGVsbG8=")
    assert "OS-EXT-STS:vm_state" not in with_data
    api.wait_for_server(given["id"], ("ACTIVE",))
    assert api.post(f"/servers/{given['id']}/action", {"rebuild": {
        "imageRef": image_id, "user_data": "not base64!"}}, headers=v257).status_code == 400
    assert api.post(f"/servers/{given['id']}/action", {"rebuild": {
        "imageRef": image_id, "user_data": "aGVsbG8="}}, headers={
        "OpenStack-API-Version": "compute 2.56"}).status_code == 400
    shown = api.get(f"/servers/{given['id']}").json()["server"]
    assert "adminPass" not in shown
    # The stock CLI shows the password it got.
    server = cloud.openstack("server", "create", "--image", image_id, "--flavor", flavor_id,
                             "--nic", "none", "cli-vm")
    assert len(server["adminPass"]) == 12
    for found in api.get("/servers").json()["servers"]:
        api.delete(f"/servers/{found['id']}")


def test_access_ips_and_disk_config_are_kept_and_checked(api, old_api, image_id,
                                                         flavor_id):
    server = create(api, image_id, flavor_id, accessIPv4="192.0.2.10",
                    accessIPv6="2001:db8::10", **{"OS-DCF:diskConfig": "AUTO"})["server"]
    assert server["OS-DCF:diskConfig"] == "AUTO"
    shown = api.wait_for_server(server["id"], ("ACTIVE",))
    assert (shown["accessIPv4"], shown["accessIPv6"]) == ("192.0.2.10", "2001:db8::10")
    assert shown["OS-DCF:diskConfig"] == "AUTO"
    updated = old_api.put(f"/servers/{server['id']}", {"server": {
        "accessIPv4": "192.0.2.11", "OS-DCF:diskConfig": "MANUAL"}})
    assert updated.status_code == 200, updated.text
    view = updated.json()["server"]
    assert view["accessIPv4"] == "192.0.2.11" and view["OS-DCF:diskConfig"] == "MANUAL"
    assert not SHOW_ONLY & set(view), "2.1 answers an update with the base view"
    # Kept in compact form, as Nova stores addresses.
    compact = api.put(f"/servers/{server['id']}", {"server": {
        "accessIPv6": "0000:0000:0000:0000:0000:babe:220.12.22.2"}}).json()["server"]
    assert compact["accessIPv6"] == "::babe:dc0c:1602"
    assert "OS-EXT-STS:vm_state" in api.put(f"/servers/{server['id']}", {"server": {
        "name": "renamed"}}).json()["server"], "2.75 answers with the full view"
    for field, value in (("accessIPv4", "1.1.1.1.1"), ("accessIPv4", "2001:db8::1"),
                         ("accessIPv6", "192.0.2.1"), ("accessIPv6", "")):
        refused = create(api, image_id, flavor_id, expect=400, **{field: value})
        assert f"Invalid input for field/attribute {field}" in (
            refused["badRequest"]["message"])
        bad_update = api.put(f"/servers/{server['id']}", {"server": {field: value}})
        assert bad_update.status_code == 400
    bad_rebuild = action(api, server["id"], {"rebuild": {"imageRef": image_id,
                                                         "accessIPv4": "nope"}})
    assert bad_rebuild.status_code == 400 and "badRequest" in bad_rebuild.json()
    api.delete(f"/servers/{server['id']}")


def test_changes_since_lists_recent_changes_deletions_included(api, image_id, flavor_id):
    before = api.get("/servers/detail").json()["servers"]
    assert before == [] or all(s["status"] != "DELETED" for s in before)
    server = create(api, image_id, flavor_id, name="changing")["server"]
    api.wait_for_server(server["id"], ("ACTIVE",))
    assert api.delete(f"/servers/{server['id']}").status_code == 204
    api.wait_for_server(server["id"], (None,))
    recent = api.get("/servers/detail", params={"changes-since": "2000-01-01T00:00:00Z"})
    statuses = {s["id"]: s["status"] for s in recent.json()["servers"]}
    assert statuses[server["id"]] == "DELETED"
    assert server["id"] not in {s["id"] for s in api.get("/servers").json()["servers"]}
    future = api.get("/servers", params={"changes-since": "2051-01-01T12:34:00Z"})
    assert future.status_code == 200 and future.json()["servers"] == []
    invalid = api.get("/servers", params={"changes-since": "2011/01/01"})
    assert invalid.status_code == 400
    assert "changes-since" in invalid.json()["badRequest"]["message"]


def test_force_delete_and_restore(api, image_id, flavor_id):
    missing = "00000000-0000-0000-0000-000000000000"
    assert action(api, missing, {"forceDelete": None}).status_code == 404
    assert action(api, missing, {"restore": None}).status_code == 404
    server = create(api, image_id, flavor_id, name="forced")["server"]
    api.wait_for_server(server["id"], ("ACTIVE",))
    refused = action(api, server["id"], {"restore": None})
    assert refused.status_code == 409
    assert "Cannot 'restore' instance" in refused.json()["conflictingRequest"]["message"]
    assert action(api, server["id"], {"forceDelete": None}).status_code == 202
    assert api.wait_for_server(server["id"], (None,)) is None


def test_images_proxy(api, old_api, compute_session, image_id, cloud):
    proxy = compute_session(microversion="2.35")
    listed = proxy.get("/images").json()["images"]
    assert image_id in {i["id"] for i in listed}
    entry = next(i for i in listed if i["id"] == image_id)
    assert set(entry) == {"id", "name", "links"}
    assert [link["rel"] for link in entry["links"]] == ["self", "bookmark", "alternate"]
    shown = old_api.get(f"/images/{image_id}").json()["image"]
    assert shown["status"] == "ACTIVE" and shown["progress"] == 100
    assert shown["metadata"] == {"colour": "blue"}
    assert shown["created"].endswith("Z") and shown["OS-EXT-IMG-SIZE:size"] > 0
    detail = old_api.get("/images/detail", params={"name": "tiny"}).json()["images"]
    assert [i["id"] for i in detail] == [image_id]
    assert old_api.get("/images", params={"status": "SAVING"}).json()["images"] == []
    assert old_api.get("/images", params={"limit": 1}).json()["images_links"]
    assert api.get("/images").status_code == 404    # gone from 2.36
    assert old_api.get("/images/detail", params={"minRam": "x"}).status_code == 400

    path = f"/images/{image_id}/metadata"
    assert old_api.post(path, {"metadata": {"shade": "L"}}).json() == {
        "metadata": {"colour": "blue", "shade": "L"}}
    assert old_api.put(path + "/shade", {"meta": {"shade": "M"}}).json() == {
        "meta": {"shade": "M"}}
    assert old_api.get(path + "/shade").json() == {"meta": {"shade": "M"}}
    assert old_api.put(path, {"metadata": {"shape": "round"}}).json() == {
        "metadata": {"shape": "round"}}
    assert old_api.get(path).json() == {"metadata": {"shape": "round"}}
    assert old_api.delete(path + "/shape").status_code == 204
    assert old_api.get(path + "/shape").status_code == 404
    assert old_api.delete(path + "/shape").status_code == 404
    mismatch = old_api.put(path + "/a", {"meta": {"b": "1"}})
    assert mismatch.status_code == 400 and "badRequest" in mismatch.json()
    too_many = old_api.post(path, {"metadata": {f"k{i}": "v" for i in range(200)}})
    assert too_many.status_code == 403 and "forbidden" in too_many.json()

    missing = "00000000-0000-0000-0000-000000000000"
    assert old_api.get(f"/images/{missing}").json() == {
        "itemNotFound": {"code": 404, "message": "Image not found."}}
    assert old_api.delete(f"/images/{missing}").status_code == 404
    spare = requests.post(cloud.url + "/image/v2/images", timeout=30,
                          headers={"X-Auth-Token": api.token},
                          json={"name": "spare"}).json()["id"]
    assert old_api.get(f"/images/{spare}").json()["image"]["status"] == "SAVING"
    assert old_api.delete(f"/images/{spare}").status_code == 204
    assert old_api.get(f"/images/{spare}").status_code == 404


def test_private_flavor_access(cloud, compute_session, image_id):
    cloud.add_member_project("guests", "guests-secret")
    guest = {"user": "guests", "password": "guests-secret", "project": "guests"}
    member = compute_session(user="guests", password="guests-secret", project="guests")
    admin = compute_session(microversion="2.1")
    created = cloud.openstack("flavor", "create", "--private", "--project", "guests",
                              "--ram", "64", "--vcpus", "1", "--disk", "1", "--id", "9001",
                              "shared-private")
    assert created["os-flavor-access:is_public"] is False
    shown = cloud.openstack("flavor", "show", "9001")
    assert shown["access_project_ids"] == [member.project_id]
    listed = {f["ID"] for f in cloud.openstack("flavor", "list", **guest)}
    assert "9001" in listed
    assert member.get("/flavors/9001").status_code == 200
    booted = member.post("/servers", {"server": {"name": "on-private", "imageRef": image_id,
                                                 "flavorRef": "9001", "networks": "none"}})
    assert booted.status_code == 202, booted.text
    access = admin.get("/flavors/9001/os-flavor-access").json()
    assert access == {"flavor_access": [{"flavor_id": "9001",
                                         "tenant_id": member.project_id}]}
    again = admin.post("/flavors/9001/action", {"addTenantAccess": {"tenant":
                                                                     member.project_id}})
    assert again.status_code == 409 and "conflictingRequest" in again.json()
    refused = member.post("/flavors/9001/action", {"addTenantAccess": {"tenant": "x"}})
    assert refused.status_code == 403
    cloud.openstack("flavor", "unset", "--project", "guests", "9001", parse=False)
    assert member.get("/flavors/9001").status_code == 404
    assert "9001" not in {f["id"] for f in member.get("/flavors").json()["flavors"]}
    gone = admin.post("/flavors/9001/action", {"removeTenantAccess": {"tenant": "x"}})
    assert gone.status_code == 404 and "itemNotFound" in gone.json()
    bad = admin.post("/flavors/9001/action", {"addTenantAccess": {}})
    assert bad.status_code == 400 and "badRequest" in bad.json()
    public = admin.post("/flavors", {"flavor": {"name": "open", "ram": 64, "vcpus": 1,
                                                "disk": 1}}).json()["flavor"]["id"]
    assert admin.get(f"/flavors/{public}/os-flavor-access").status_code == 404
    assert compute_session(microversion="2.7").post(
        f"/flavors/{public}/action",
        {"addTenantAccess": {"tenant": member.project_id}}).status_code == 409
    member.delete(f"/servers/{booted.json()['server']['id']}")


def test_x509_key_pairs(api, old_api):
    generated = api.post("/os-keypairs", {"keypair": {"name": "cert", "type": "x509"}})
    assert generated.status_code == 201, generated.text
    pair = generated.json()["keypair"]
    assert pair["type"] == "x509"
    assert pair["public_key"].startswith("-----BEGIN CERTIFICATE-----")
    assert "PRIVATE KEY-----" in pair["private_key"]
    assert len(pair["fingerprint"].split(":")) == 20     # SHA-1, as Nova
    shown = api.get("/os-keypairs/cert").json()["keypair"]
    assert (shown["type"], shown["fingerprint"]) == ("x509", pair["fingerprint"])
    listed = {k["keypair"]["name"]: k["keypair"]["type"]
              for k in api.get("/os-keypairs").json()["keypairs"]}
    assert listed["cert"] == "x509"
    imported = api.post("/os-keypairs", {"keypair": {
        "name": "imported", "type": "x509", "public_key": pair["public_key"]}})
    assert imported.status_code == 201, imported.text
    assert imported.json()["keypair"]["fingerprint"] == pair["fingerprint"]
    assert "private_key" not in imported.json()["keypair"]
    bad = api.post("/os-keypairs", {"keypair": {"name": "bad", "type": "x509",
                                                "public_key": "not a certificate"}})
    assert bad.status_code == 400 and "X509 fingerprint" in bad.json()["badRequest"]["message"]
    too_old = old_api.post("/os-keypairs", {"keypair": {"name": "old", "type": "ssh"}})
    assert too_old.status_code == 400
    for name in ("cert", "imported"):
        assert api.delete(f"/os-keypairs/{name}").status_code == 204


def test_change_password_needs_the_guest_agent(api, image_id, flavor_id):
    server = create(api, image_id, flavor_id, name="password")["server"]
    missing = "00000000-0000-0000-0000-000000000000"
    assert action(api, missing, {"changePassword": {"adminPass": "x"}}).status_code == 404
    bad = action(api, server["id"], {"changePassword": {}})
    assert bad.status_code == 400 and "badRequest" in bad.json()
    api.wait_for_server(server["id"], ("ACTIVE",))
    refused = action(api, server["id"], {"changePassword": {"adminPass": "new-secret"}})
    assert refused.status_code == 409
    assert refused.json()["conflictingRequest"]["message"] == (
        "QEMU guest agent is not enabled")
    assert action(api, server["id"], {"os-stop": {}}).status_code == 202   # any argument
    api.wait_for_server(server["id"], ("SHUTOFF",))
    stopped = action(api, server["id"], {"changePassword": {"adminPass": "new-secret"}})
    assert "Cannot 'changePassword' instance" in (
        stopped.json()["conflictingRequest"]["message"])
    api.delete(f"/servers/{server['id']}")


def test_reset_state(api, compute_session, cloud, image_id, flavor_id):
    server = create(api, image_id, flavor_id, name="reset")["server"]
    api.wait_for_server(server["id"], ("ACTIVE",))
    path = f"/servers/{server['id']}/action"
    assert api.post(path, {"os-resetState": {"state": "error"}}).status_code == 202
    errored = api.get(f"/servers/{server['id']}").json()["server"]
    assert errored["status"] == "ERROR" and errored["OS-EXT-STS:task_state"] is None
    listed = api.get("/servers", params={"status": "ERROR"}).json()["servers"]
    assert server["id"] in {s["id"] for s in listed}
    assert api.post(path, {"os-resetState": {"state": "active"}}).status_code == 202
    assert api.get(f"/servers/{server['id']}").json()["server"]["status"] == "ACTIVE"
    bad = api.post(path, {"os-resetState": {"state": "paused"}})
    assert bad.status_code == 400 and "badRequest" in bad.json()
    missing = "00000000-0000-0000-0000-000000000000"
    assert api.post(f"/servers/{missing}/action",
                    {"os-resetState": {"state": "error"}}).status_code == 404
    events = api.get(f"/servers/{server['id']}/os-instance-actions").json()
    assert "resetState" in {a["action"] for a in events["instanceActions"]}
    cloud.add_member_project("resetter", "resetter-secret")
    member = compute_session(user="resetter", password="resetter-secret", project="resetter")
    mine = create(member, image_id, flavor_id, name="mine")["server"]
    refused = member.post(f"/servers/{mine['id']}/action",
                          {"os-resetState": {"state": "error"}})
    assert refused.status_code == 403
    member.delete(f"/servers/{mine['id']}")
    api.delete(f"/servers/{server['id']}")
