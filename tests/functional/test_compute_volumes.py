"""Volumes on servers, with the fake virt driver and the real volume service (its NBD
exports run): ``server add/remove volume``, booting from a new or an existing volume,
and the rules around them. The stock CLI drives each flow; raw HTTP polls and checks
the refusals."""
import os
import time

import pytest

from controller.volume.backend.exports import ExportDaemons
from tests.conftest import ComputeSession
from tests.lib.compute_volumes import new_volume, volume_api, wait_volume
from tests.lib.cloud import Cloud


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("compute-volumes"))
    try:
        yield instance.start()
    finally:
        instance.stop()
        # Exports outlive the service on purpose; a failed test must not leave any.
        ExportDaemons(os.path.join(instance.workdir, "state", "volumes", "exports")).stop_all()


@pytest.fixture(scope="module")
def api(cloud):
    return ComputeSession(cloud)


@pytest.fixture(scope="module")
def image(cloud):
    return cloud.blank_image("tiny", "--public")["id"]


@pytest.fixture(scope="module")
def flavor(cloud):
    return cloud.openstack("flavor", "create", "--vcpus", "1", "--ram", "64", "--disk", "1",
                           "m1.nano")["id"]


def delete_volume(cloud, api, volume_id):
    assert volume_api(cloud, api, "DELETE", f"volumes/{volume_id}").status_code == 202


def new_server(api, name, flavor, **server):
    body = {"server": {"name": name, "flavorRef": flavor, "networks": "none", **server}}
    resp = api.post("/servers", body)
    assert resp.status_code == 202, resp.text
    return api.wait_for_server(resp.json()["server"]["id"])


def delete_server(api, server_id):
    assert api.delete(f"/servers/{server_id}").status_code == 204
    api.wait_for_server(server_id, (None,))


def attachments(api, server_id):
    resp = api.get(f"/servers/{server_id}/os-volume_attachments")
    assert resp.status_code == 200, resp.text
    return resp.json()["volumeAttachments"]


def events(api, server_id, action):
    """(event, result) of the server's newest ``action``."""
    listed = api.get(f"/servers/{server_id}/os-instance-actions").json()["instanceActions"]
    request_id = next(a["request_id"] for a in listed if a["action"] == action)
    detail = api.get(f"/servers/{server_id}/os-instance-actions/{request_id}").json()
    return [(e["event"], e["result"]) for e in detail["instanceAction"]["events"]]


def wait_event(api, server_id, action, event, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        found = dict(events(api, server_id, action)).get(event)
        if found:
            return found
        assert time.monotonic() < deadline, f"no {event} of {action} on {server_id}"
        time.sleep(0.1)


def failure(result):
    assert result.returncode != 0, result.stdout
    return result.stderr


def test_add_and_remove_a_volume(cloud, api, image, flavor):
    server = cloud.openstack("server", "create", "--image", "tiny", "--flavor", "m1.nano",
                             "--wait", "vm-data")
    volume = new_volume(cloud, api, "data")

    attached = cloud.openstack("server", "add", "volume", "vm-data", "data")
    # The guest booted with vda (root) and vdb (its config drive): the volume is next.
    assert (attached["Volume ID"], attached["Server ID"], attached["Device"]) == (
        volume["id"], server["id"], "/dev/vdc")
    in_use = wait_volume(cloud, api, volume["id"], "in-use")
    assert [(a["server_id"], a["device"]) for a in in_use["attachments"]] == [
        (server["id"], "/dev/vdc")]
    assert cloud.openstack("server", "show", "vm-data")["volumes_attached"] == [
        {"id": volume["id"], "delete_on_termination": False}]
    assert cloud.openstack("server", "volume", "list", "vm-data") == [{
        "ID": volume["id"], "Device": "/dev/vdc", "Server ID": server["id"],
        "Volume ID": volume["id"], "Tag": None, "Delete On Termination?": False}]
    assert wait_event(api, server["id"], "attach_volume", "compute_attach_volume") == \
        "Success"
    refused = cloud.openstack("volume", "delete", "data", check=False, parse=False)
    assert "is attached" in failure(refused)

    cloud.openstack("server", "remove", "volume", "vm-data", "data", parse=False)
    assert wait_volume(cloud, api, volume["id"], "available")["attachments"] == []
    assert attachments(api, server["id"]) == []
    assert wait_event(api, server["id"], "detach_volume", "compute_detach_volume") == \
        "Success"

    delete_server(api, server["id"])
    delete_volume(cloud, api, volume["id"])


def test_a_failed_attach_is_undone(cloud, api, image):
    broken = cloud.openstack("flavor", "create", "--vcpus", "1", "--ram", "64", "--disk",
                             "1", "--property", "fake:fail_attach=true", "m1.broken")
    server = new_server(api, "vm-broken", broken["id"], imageRef=image)
    volume = new_volume(cloud, api, "unlucky")

    cloud.openstack("server", "add", "volume", "vm-broken", "unlucky")
    assert wait_event(api, server["id"], "attach_volume", "compute_attach_volume") == "Error"
    assert wait_volume(cloud, api, volume["id"], "available")["attachments"] == []
    assert attachments(api, server["id"]) == []
    left = volume_api(cloud, api, "GET", f"attachments?volume_id={volume['id']}")
    assert left.json()["attachments"] == []

    delete_server(api, server["id"])
    delete_volume(cloud, api, volume["id"])


def test_boot_from_a_new_volume(cloud, api, image, flavor):
    def disk_used():
        hypervisors = api.get("/os-hypervisors/detail").json()["hypervisors"]
        return sum(h["local_gb_used"] for h in hypervisors)

    before = disk_used()
    server = cloud.openstack("server", "create", "--boot-from-volume", "1", "--image",
                             "tiny", "--flavor", "m1.nano", "--wait", "vm-bfv")
    assert server["status"] == "ACTIVE"
    assert server["image"] == "N/A (booted from volume)"
    (root,) = server["volumes_attached"]
    volume = wait_volume(cloud, api, root["id"], "in-use")
    assert volume["bootable"] == "true" and volume["size"] == 1
    assert volume["volume_image_metadata"]["image_id"] == image
    assert [a["device"] for a in volume["attachments"]] == ["/dev/vda"]
    assert ("block_device_mapping", "Success") in events(api, server["id"], "create")
    # The root disk is the volume: the host gave no local disk for it.
    assert disk_used() == before

    refused = api.delete(f"/servers/{server['id']}/os-volume_attachments/{root['id']}")
    assert refused.status_code == 400
    assert "root device" in refused.json()["badRequest"]["message"]

    cloud.openstack("server", "delete", "--wait", "vm-bfv", parse=False)
    # --boot-from-volume keeps the volume (delete_on_termination is off).
    assert wait_volume(cloud, api, root["id"], "available")["attachments"] == []
    delete_volume(cloud, api, root["id"])

    taken_along = new_server(api, "vm-bfv-gone", flavor, block_device_mapping_v2=[{
        "uuid": image, "boot_index": 0, "source_type": "image",
        "destination_type": "volume", "volume_size": 1, "delete_on_termination": True}])
    assert taken_along["status"] == "ACTIVE"
    (root,) = taken_along["os-extended-volumes:volumes_attached"]
    assert root["delete_on_termination"] is True
    old_view = ComputeSession(cloud, microversion="2.1").get(
        f"/servers/{taken_along['id']}").json()["server"]
    assert old_view["os-extended-volumes:volumes_attached"] == [{"id": root["id"]}]
    delete_server(api, taken_along["id"])
    wait_volume(cloud, api, root["id"], None)


def test_boot_from_an_existing_volume(cloud, api, image, flavor):
    volume = new_volume(cloud, api, "boot-disk", imageRef=image)
    server = cloud.openstack("server", "create", "--volume", "boot-disk", "--flavor",
                             "m1.nano", "--wait", "vm-from-volume")
    assert server["status"] == "ACTIVE"
    assert server["volumes_attached"] == [{"id": volume["id"],
                                           "delete_on_termination": False}]
    wait_volume(cloud, api, volume["id"], "in-use")

    second = api.post("/servers", {"server": {
        "name": "vm-same-volume", "flavorRef": flavor, "networks": "none",
        "block_device_mapping_v2": [{"uuid": volume["id"], "boot_index": 0,
                                     "source_type": "volume",
                                     "destination_type": "volume"}]}})
    assert second.status_code == 400 and "in-use" in second.text

    delete_server(api, server["id"])
    wait_volume(cloud, api, volume["id"], "available")
    delete_volume(cloud, api, volume["id"])


@pytest.mark.parametrize("mapping, message", [
    ({"source_type": "image", "destination_type": "volume", "boot_index": 0},
     "volume_size"),
    ({"source_type": "snapshot", "destination_type": "volume", "boot_index": 0,
      "uuid": "0c5a9b3e-0000-4000-8000-000000000000", "volume_size": 1},
     "snapshot is not supported"),
    ({"source_type": "blank", "destination_type": "volume", "boot_index": 1,
      "volume_size": 1}, "Only the boot disk can be a volume"),
])
def test_unsupported_block_device_mappings_are_refused(api, image, flavor, mapping,
                                                        message):
    mapping = dict(mapping, uuid=mapping.get("uuid", image))
    resp = api.post("/servers", {"server": {
        "name": "refused", "flavorRef": flavor, "imageRef": image, "networks": "none",
        "block_device_mapping_v2": [mapping]}})
    assert resp.status_code == 400 and message in resp.json()["badRequest"]["message"]


def test_attach_refusals(cloud, api, image, flavor):
    server = new_server(api, "vm-rules", flavor, imageRef=image)
    volume = new_volume(cloud, api, "rules")
    path = f"/servers/{server['id']}/os-volume_attachments"

    missing = api.post(path, {"volumeAttachment": {
        "volumeId": "0c5a9b3e-0000-4000-8000-000000000000"}})
    assert missing.status_code == 404
    old_version = ComputeSession(cloud, microversion="2.48").post(path, {"volumeAttachment": {
        "volumeId": volume["id"], "tag": "data"}})
    assert old_version.status_code == 400 and "'tag' was unexpected" in old_version.text
    assert api.delete(f"{path}/{volume['id']}").status_code == 404

    assert api.post(path, {"volumeAttachment": {"volumeId": volume["id"],
                                                "tag": "data"}}).status_code == 200
    wait_volume(cloud, api, volume["id"], "in-use")
    again = api.post(path, {"volumeAttachment": {"volumeId": volume["id"]}})
    assert again.status_code == 400 and "already attached" in again.text
    other = new_server(api, "vm-rules-2", flavor, imageRef=image)
    taken = api.post(f"/servers/{other['id']}/os-volume_attachments",
                     {"volumeAttachment": {"volumeId": volume["id"]}})
    assert taken.status_code == 400 and "in-use" in taken.text
    assert api.get(f"{path}/{volume['id']}").json()["volumeAttachment"]["tag"] == "data"

    # Deleting the server detaches the volume and keeps it.
    delete_server(api, server["id"])
    delete_server(api, other["id"])
    wait_volume(cloud, api, volume["id"], "available")
    delete_volume(cloud, api, volume["id"])
