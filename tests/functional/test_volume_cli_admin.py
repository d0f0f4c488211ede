"""The stock ``openstack`` CLI against what block storage admins and owners manage beside
volumes: private types and their extra specs, QoS specs, transfers between projects,
user messages of volumes that cannot be placed, backend pools and capabilities, and the
volume actions (read-only flag, image metadata, retype, Cinder's older attach calls)."""
import time

import pytest
import requests

from tests.lib.volumes import AS_DEMO, api_cloud, call, failure, make_demo, new_volume
from tests.lib.volumes import wait_for as wait_for_item


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    with api_cloud(tmp_path_factory.mktemp("volume-admin")) as instance:
        yield instance


@pytest.fixture(scope="module")
def token(cloud):
    return cloud.admin_token()


@pytest.fixture(scope="module")
def demo(cloud):
    return make_demo(cloud)


@pytest.fixture(scope="module")
def demo_token(cloud, demo):
    return cloud.user_token(**AS_DEMO)


def wait_status(cloud, token, volume_id, status, timeout=60):
    return wait_for_item(cloud, token, "volumes", volume_id, status, timeout)


def test_private_type_access_and_extra_specs(cloud, token, demo):
    vtype = cloud.openstack("volume", "type", "create", "--private", "--property",
                            "spec1=val1", "private-fast")
    assert vtype["is_public"] is False
    result = cloud.openstack("volume", "create", "--size", "1", "--type", vtype["id"],
                             "denied", check=False, parse=False, **AS_DEMO)
    assert "could not be found" in failure(result)

    cloud.openstack("volume", "type", "set", "--project", "demo", "private-fast",
                    parse=False)
    shown = cloud.openstack("volume", "type", "show", "private-fast")
    assert shown["access_project_ids"] == [demo["id"]]
    assert "private-fast" in {t["Name"] for t in cloud.openstack("volume", "type", "list",
                                                                  **AS_DEMO)}

    cloud.openstack("volume", "type", "set", "--property", "spec2=val2", "--name",
                    "private-faster", "--description", "renamed", "private-fast",
                    parse=False)
    cloud.openstack("volume", "type", "unset", "--property", "spec1", "private-faster",
                    parse=False)
    shown = cloud.openstack("volume", "type", "show", "private-faster")
    assert shown["properties"] == {"spec2": "val2"} and shown["description"] == "renamed"

    cloud.openstack("volume", "type", "unset", "--project", "demo", "private-faster",
                    parse=False)
    assert "private-faster" not in {t["Name"] for t in cloud.openstack(
        "volume", "type", "list", **AS_DEMO)}
    cloud.openstack("volume", "type", "delete", "private-faster", parse=False)


def test_qos_specs(cloud, token):
    qos = cloud.openstack("volume", "qos", "create", "--consumer", "front-end",
                          "--property", "read_iops_sec=2000", "gold")
    assert qos["consumer"] == "front-end"
    assert qos["properties"] == {"read_iops_sec": "2000"}
    cloud.openstack("volume", "type", "create", "golden")
    cloud.openstack("volume", "qos", "associate", "gold", "golden", parse=False)
    cloud.openstack("volume", "qos", "set", "--property", "write_iops_sec=500", "gold",
                    parse=False)
    cloud.openstack("volume", "qos", "unset", "--property", "read_iops_sec", "gold",
                    parse=False)
    shown = cloud.openstack("volume", "qos", "show", "gold")
    assert shown["properties"] == {"write_iops_sec": "500"}
    assert shown["associations"] in ("golden", ["golden"])
    golden = cloud.openstack("volume", "type", "show", "golden")["id"]
    assert call(cloud, token, "GET", f"/types/{golden}").json()["volume_type"][
        "qos_specs_id"] == qos["id"]

    # Still carried by a type: deleting is refused unless forced.
    result = cloud.openstack("volume", "qos", "delete", "gold", check=False, parse=False)
    failure(result)
    cloud.openstack("volume", "qos", "disassociate", "--all", "gold", parse=False)
    cloud.openstack("volume", "qos", "delete", "gold", parse=False)
    assert call(cloud, token, "GET", f"/types/{golden}").json()["volume_type"][
        "qos_specs_id"] is None
    cloud.openstack("volume", "type", "delete", "golden", parse=False)


def test_transfer_to_another_project(cloud, token, demo, demo_token):
    volume = new_volume(cloud, token, "--size", "1", "gift")
    request = cloud.openstack("volume", "transfer", "request", "create", "gift")
    assert request["volume_id"] == volume["id"] and request["auth_key"]
    assert wait_status(cloud, token, volume["id"], "awaiting-transfer")
    listed = cloud.openstack("volume", "transfer", "request", "list")
    assert request["id"] in {t["ID"] for t in listed}

    result = cloud.openstack("volume", "transfer", "request", "accept", "--auth-key",
                             "wrong", request["id"], check=False, parse=False, **AS_DEMO)
    assert "invalid auth key" in failure(result)
    cloud.openstack("volume", "transfer", "request", "accept", "--auth-key",
                    request["auth_key"], request["id"], **AS_DEMO)
    taken = wait_status(cloud, demo_token, volume["id"], "available")
    assert taken["user_id"] != volume["user_id"]
    assert call(cloud, token, "GET", f"/volumes/{volume['id']}").json()["volume"][
        "os-vol-tenant-attr:tenant_id"] == demo["id"]      # the admin still sees it
    assert request["id"] not in {t["ID"] for t in cloud.openstack(
        "volume", "transfer", "request", "list")}

    # A withdrawn offer gives the volume back to its owner.
    offer = cloud.openstack("volume", "transfer", "request", "create", "gift", **AS_DEMO)
    cloud.openstack("volume", "transfer", "request", "delete", offer["id"], parse=False,
                    **AS_DEMO)
    wait_status(cloud, demo_token, volume["id"], "available")
    cloud.openstack("volume", "delete", "gift", parse=False, **AS_DEMO)


def test_volume_nothing_can_hold_fails_with_a_user_message(cloud, token):
    cloud.openstack("volume", "type", "create", "--property", "vendor_name=NoSuchVendor",
                    "elsewhere")
    volume = cloud.openstack("volume", "create", "--size", "1", "--type", "elsewhere",
                             "unplaceable")
    wait_status(cloud, token, volume["id"], "error", timeout=30)
    messages = cloud.openstack("--os-volume-api-version", "3.3", "volume", "message",
                               "list")
    (message,) = [m for m in messages if m["Resource UUID"] == volume["id"]]
    assert message["Event ID"] == "VOLUME_VOLUME_001_003"
    assert message["User Message"] == ("schedule allocate volume:Could not find any "
                                       "available weighted backend.")
    cloud.openstack("--os-volume-api-version", "3.3", "volume", "message", "delete",
                    message["ID"], parse=False)
    cloud.openstack("volume", "delete", "unplaceable", parse=False)
    # A type the backend satisfies is placed.
    cloud.openstack("volume", "type", "set", "--property", "vendor_name=pocketstack",
                    "--property", "storage_protocol=nbd", "elsewhere", parse=False)
    new_volume(cloud, token, "--size", "1", "--type", "elsewhere", "placed")
    cloud.openstack("volume", "delete", "placed", parse=False)
    cloud.openstack("volume", "type", "delete", "elsewhere", parse=False)


def test_pools_and_capabilities(cloud):
    (pool,) = cloud.openstack("volume", "backend", "pool", "list", "--long")
    assert pool["Name"].endswith("@files#files")
    capability = cloud.openstack("volume", "backend", "capability", "show",
                                 pool["Name"].split("#")[0])
    assert {c["Title"] for c in capability} == {"Thin Provisioning"}


def test_volume_actions(cloud, token):
    volume = new_volume(cloud, token, "--size", "1", "acted-on")
    cloud.openstack("volume", "set", "--read-only", "--image-property", "os_type=linux",
                    "acted-on", parse=False)
    shown = cloud.openstack("volume", "show", "acted-on")
    assert shown["properties"] == {"readonly": "True"}
    assert shown["volume_image_metadata"] == {"os_type": "linux"}
    cloud.openstack("volume", "unset", "--image-property", "os_type", "acted-on",
                    parse=False)
    cloud.openstack("volume", "set", "--read-write", "acted-on", parse=False)
    shown = cloud.openstack("volume", "show", "acted-on")
    assert shown["properties"] == {"readonly": "False"}
    assert not shown.get("volume_image_metadata")

    cloud.openstack("volume", "type", "create", "other")
    cloud.openstack("volume", "set", "--type", "other", "--retype-policy", "never",
                    "acted-on", parse=False)
    assert cloud.openstack("volume", "show", "acted-on")["type"] == "other"

    # Cinder's older attach calls keep the books of an attachment made elsewhere.
    action = f"/volumes/{volume['id']}/action"
    assert call(cloud, token, "POST", action, {"os-reserve": {}}).status_code == 202
    wait_status(cloud, token, volume["id"], "attaching")
    assert call(cloud, token, "POST", action, {"os-unreserve": {}}).status_code == 202
    wait_status(cloud, token, volume["id"], "available")
    server_id = "0f6a2b37-3c1e-4a3c-9d0e-5a1c2b3d4e5f"
    resp = call(cloud, token, "POST", action, {"os-attach": {
        "instance_uuid": server_id, "mountpoint": "/dev/vdb", "mode": "ro"}})
    assert resp.status_code == 202, resp.text
    attached = wait_status(cloud, token, volume["id"], "in-use")
    (attachment,) = attached["attachments"]
    assert attachment["server_id"] == server_id and attachment["device"] == "/dev/vdb"
    assert attached["metadata"]["attached_mode"] == "ro"
    assert call(cloud, token, "POST", action,
                {"os-begin_detaching": {}}).status_code == 202
    wait_status(cloud, token, volume["id"], "detaching")
    assert call(cloud, token, "POST", action, {"os-roll_detaching": {}}).status_code == 202
    wait_status(cloud, token, volume["id"], "in-use")
    assert call(cloud, token, "POST", action, {"os-detach": {
        "attachment_id": attachment["attachment_id"]}}).status_code == 202
    assert wait_status(cloud, token, volume["id"], "available")["attachments"] == []
    # A read-only volume is not attached read-write.
    resp = call(cloud, token, "POST", action, {"os-update_readonly_flag": {"readonly": True}})
    assert resp.status_code == 202
    resp = call(cloud, token, "POST", action, {"os-attach": {
        "instance_uuid": server_id, "mountpoint": "/dev/vdb"}})
    assert resp.status_code == 400 and "read-only" in resp.text
    cloud.openstack("volume", "delete", "acted-on", parse=False)
    cloud.openstack("volume", "type", "delete", "other", parse=False)


def test_disabled_volume_service_places_no_volume(cloud, token):
    (service,) = cloud.openstack("volume", "service", "list")
    cloud.openstack("volume", "service", "set", "--disable", "--disable-reason",
                    "disk replacement", service["Host"], "cinder-volume", parse=False)
    (service,) = cloud.openstack("volume", "service", "list", "--long")
    assert service["Status"] == "disabled"
    assert service["Disabled Reason"] == "disk replacement"
    volume = cloud.openstack("volume", "create", "--size", "1", "while-disabled")
    wait_status(cloud, token, volume["id"], "error", timeout=30)
    cloud.openstack("volume", "service", "set", "--enable", service["Host"],
                    "cinder-volume", parse=False)
    assert cloud.openstack("volume", "service", "list")[0]["Status"] == "enabled"
    new_volume(cloud, token, "--size", "1", "while-enabled")
    for name in ("while-disabled", "while-enabled"):
        cloud.openstack("volume", "delete", name, parse=False)


def test_volume_uploaded_to_an_image(cloud, token):
    volume = new_volume(cloud, token, "--size", "1", "to-upload")
    image = cloud.openstack("image", "create", "--volume", "to-upload", "--disk-format",
                            "qcow2", "from-volume")
    image_id = image.get("image_id") or image["id"]
    images = f"{cloud.url}/image/v2/images/{image_id}"
    deadline = time.monotonic() + 60
    while (status := requests.get(images, headers={"X-Auth-Token": token},
                                  timeout=30).json()["status"]) != "active":
        assert status in ("queued", "saving"), status
        assert time.monotonic() < deadline
        time.sleep(0.1)
    shown = cloud.openstack("image", "show", image_id)
    assert shown["status"] == "active"
    assert shown["disk_format"] == "qcow2" and shown["name"] == "from-volume"
    wait_status(cloud, token, volume["id"], "available")
    # The image holds the volume: a new volume made from it is the same size.
    copy = new_volume(cloud, token, "--size", "1", "--image", image_id, "from-upload")
    assert copy["size"] == 1
    for name in ("from-upload", "to-upload"):
        cloud.openstack("volume", "delete", name, parse=False)
    cloud.openstack("image", "delete", image_id, parse=False)


def test_frozen_backend_keeps_its_volumes_unchanged(cloud, token):
    new_volume(cloud, token, "--size", "1", "on-ice")
    (service,) = cloud.openstack("volume", "service", "list")
    result = cloud.openstack("volume", "host", "set", "--disable", "no-such-host",
                             check=False, parse=False)
    assert "could not be found" in failure(result)
    cloud.openstack("volume", "host", "set", "--disable", service["Host"], parse=False)
    result = cloud.openstack("volume", "delete", "on-ice", check=False, parse=False)
    assert "frozen host" in failure(result)
    result = cloud.openstack("volume", "set", "--size", "2", "on-ice", check=False,
                             parse=False)
    failure(result)
    cloud.openstack("volume", "host", "set", "--enable", service["Host"], parse=False)
    cloud.openstack("volume", "delete", "on-ice", parse=False)
