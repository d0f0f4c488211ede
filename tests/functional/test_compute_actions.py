"""Server actions driven by the stock ``openstack`` CLI with the fake virt driver: pause,
suspend, lock, snapshot and rebuild, the states they pass through and refuse, and the
events they leave."""
import subprocess
import time
import uuid

import pytest

DEMO_PASSWORD = "demo-secret"


@pytest.fixture(scope="module")
def image(cloud):
    return cloud.blank_image("tiny", "--public")["id"]


@pytest.fixture(scope="module")
def flavor(cloud):
    return cloud.openstack("flavor", "create", "--vcpus", "1", "--ram", "64", "--disk", "1",
                           "m1.nano")


@pytest.fixture(scope="module")
def demo(cloud):
    """A project with a member user: locks bind non-admins."""
    cloud.add_member_project("demo", DEMO_PASSWORD)
    return {"user": "demo", "password": DEMO_PASSWORD, "project": "demo"}


@pytest.fixture(scope="module")
def api(compute_session):
    return compute_session()


@pytest.fixture(scope="module")
def demo_api(compute_session, demo):
    return compute_session(user="demo", password=DEMO_PASSWORD, project="demo")


def settled(api, server_id, status):
    server = api.wait_for_server(server_id, (status,))
    assert server["OS-EXT-STS:task_state"] is None
    return server


def create(cloud, api, name, **user):
    server = cloud.openstack("server", "create", "--image", "tiny", "--flavor", "m1.nano",
                             name, **user)
    return settled(api, server["id"], "ACTIVE")


def refused(cloud, *args, **user):
    result = cloud.openstack(*args, check=False, parse=False, **user)
    assert result.returncode != 0
    return result.stderr


def test_pause_and_suspend(cloud, api, image, flavor):
    server = create(cloud, api, "vm1")
    cloud.openstack("server", "pause", "vm1", parse=False)
    paused = settled(api, server["id"], "PAUSED")
    assert (paused["OS-EXT-STS:vm_state"], paused["OS-EXT-STS:power_state"]) == ("paused", 3)
    stderr = refused(cloud, "server", "suspend", "vm1")
    assert (f"Cannot 'suspend' instance {server['id']} while it is in vm_state paused"
            in stderr and "409" in stderr)
    path = f"/servers/{server['id']}"
    cloud.openstack("server", "unpause", "vm1", parse=False)
    settled(api, server["id"], "ACTIVE")
    cloud.openstack("server", "suspend", "vm1", parse=False)
    suspended = settled(api, server["id"], "SUSPENDED")
    assert suspended["OS-EXT-STS:power_state"] == 7
    for action in ("unpause", "os-stop", "pause"):
        answer = api.post(f"{path}/action", {action: None})
        assert answer.status_code == 409
        assert "while it is in vm_state suspended" in answer.json()["conflictingRequest"][
            "message"]
    cloud.openstack("server", "resume", "vm1", parse=False)
    assert settled(api, server["id"], "ACTIVE")["OS-EXT-STS:power_state"] == 1
    assert [s["id"] for s in api.get("/servers", params={"status": "ACTIVE"}).json()[
        "servers"]] == [server["id"]]

    events = cloud.openstack("server", "event", "list", "vm1")
    assert [e["Action"] for e in events][:4] == ["resume", "suspend", "unpause", "pause"]
    pause = api.get(f"{path}/os-instance-actions/{events[3]['Request ID']}").json()
    assert [(e["event"], e["result"]) for e in pause["instanceAction"]["events"]] == [
        ("compute_pause_instance", "Success")]

    api.post(f"{path}/action", {"pause": None})
    settled(api, server["id"], "PAUSED")
    cloud.openstack("server", "delete", "--wait", "vm1", parse=False)
    assert api.get(f"/servers/{server['id']}").status_code == 404


def test_delete_a_suspended_server(cloud, api, image, flavor):
    server = create(cloud, api, "vm2")
    cloud.openstack("server", "suspend", "vm2", parse=False)
    settled(api, server["id"], "SUSPENDED")
    cloud.openstack("server", "delete", "--wait", "vm2", parse=False)
    assert api.get(f"/servers/{server['id']}").status_code == 404


def test_lock(cloud, api, demo_api, image, flavor, demo):
    server = create(cloud, demo_api, "locked-vm", **demo)
    path = f"/servers/{server['id']}"
    assert server["locked"] is False and server["locked_reason"] is None
    cloud.openstack("server", "lock", "--reason", "exam", "locked-vm", parse=False, **demo)
    shown = demo_api.get(path).json()["server"]
    assert (shown["locked"], shown["locked_reason"]) == (True, "exam")
    old = demo_api.get(path, headers={"OpenStack-API-Version": "compute 2.72"}).json()
    assert "locked_reason" not in old["server"] and old["server"]["locked"] is True
    stderr = refused(cloud, "server", "pause", "locked-vm", **demo)
    assert f"Instance {server['id']} is locked" in stderr and "409" in stderr
    deleting = demo_api.delete(path)
    assert deleting.status_code == 409 and "is locked" in deleting.text
    metadata = demo_api.post(f"{path}/metadata", {"metadata": {"k": "v"}})
    assert metadata.status_code == 409 and "is locked" in metadata.text
    attaching = demo_api.post(f"{path}/os-volume_attachments",
                              {"volumeAttachment": {"volumeId": str(uuid.uuid4())}})
    assert attaching.status_code == 409 and "is locked" in attaching.text
    # Admins are not bound by the lock.
    assert api.post(f"{path}/action", {"pause": None}).status_code == 202
    settled(demo_api, server["id"], "PAUSED")
    assert api.post(f"{path}/action", {"unpause": None}).status_code == 202
    settled(demo_api, server["id"], "ACTIVE")

    cloud.openstack("server", "unlock", "locked-vm", parse=False, **demo)
    assert demo_api.get(path).json()["server"]["locked"] is False
    # A lock an admin set is for an admin to lift.
    assert api.post(f"{path}/action", {"lock": None}).status_code == 202
    assert "403" in refused(cloud, "server", "unlock", "locked-vm", **demo)
    assert api.post(f"{path}/action", {"unlock": None}).status_code == 202
    actions = [a["action"] for a in demo_api.get(f"{path}/os-instance-actions").json()[
        "instanceActions"]]
    assert actions[:5] == ["unlock", "lock", "unlock", "unpause", "pause"]
    bad = demo_api.post(f"{path}/action", {"lock": {"reason": "x"}})
    assert bad.status_code == 400
    cloud.openstack("server", "delete", "--wait", "locked-vm", parse=False, **demo)


@pytest.fixture(scope="module")
def lan(cloud):
    cloud.openstack("network", "create", "lan")
    cloud.openstack("subnet", "create", "lan-v4", "--network", "lan", "--subnet-range",
                    "10.30.0.0/24")
    return "lan"


def wait_for_image(cloud, api, image_id, statuses):
    """The image document once its status is one of ``statuses`` (None: deleted)."""
    images = cloud.url + "/image/v2/images/"
    for _ in range(600):
        resp = api.session.get(images + image_id, timeout=30)
        if resp.status_code == 404 and None in statuses:
            return None
        if resp.status_code == 200 and resp.json()["status"] in statuses:
            return resp.json()
        time.sleep(0.05)
    raise AssertionError(f"image {image_id} did not reach {statuses}")


def test_snapshot_and_boot_from_it(cloud, api, image, flavor, lan):
    server = cloud.openstack("server", "create", "--image", "tiny", "--flavor", "m1.nano",
                             "--network", lan, "--wait", "vm3")
    cloud.openstack("server", "pause", "vm3", parse=False)
    settled(api, server["id"], "PAUSED")
    snap = cloud.openstack("server", "image", "create", "--name", "snap", "--wait", "vm3")
    assert snap["status"] == "active" and snap["name"] == "snap"
    assert settled(api, server["id"], "PAUSED")["OS-EXT-STS:vm_state"] == "paused"
    shown = cloud.openstack("image", "show", "snap")
    assert shown["properties"]["image_type"] == "snapshot"
    assert shown["properties"]["instance_uuid"] == server["id"]
    assert shown["properties"]["base_image_ref"] == image
    assert shown["min_disk"] == 1 and shown["disk_format"] == "raw"
    assert shown["size"] > 0 and shown["checksum"] and shown["owner"] == api.project_id
    events = cloud.openstack("server", "event", "list", "vm3")
    assert events[0]["Action"] == "createImage"

    booted = cloud.openstack("server", "create", "--image", "snap", "--flavor", "m1.nano",
                             "--nic", "none", "--wait", "from-snap")
    assert booted["status"] == "ACTIVE" and booted["image"].startswith("snap (")

    # Before 2.45 the image's address comes in the Location header.
    old = api.post(f"/servers/{server['id']}/action", {"createImage": {"name": "old"}},
                   headers={"OpenStack-API-Version": "compute 2.44"})
    assert old.status_code == 202 and old.text == ""
    wait_for_image(cloud, api, old.headers["Location"].rsplit("/", 1)[1], ("active",))
    settled(api, server["id"], "PAUSED")

    cloud.openstack("server", "unpause", "vm3", parse=False)
    settled(api, server["id"], "ACTIVE")
    addresses = api.get(f"/servers/{server['id']}").json()["server"]["addresses"]
    assert addresses[lan]
    # --wait writes its progress to stdout before the JSON
    cloud.openstack("server", "rebuild", "--image", "snap", "--wait", "vm3", parse=False)
    after = settled(api, server["id"], "ACTIVE")
    assert after["image"]["id"] == snap["id"] and after["addresses"] == addresses
    assert [a["action"] for a in api.get(f"/servers/{server['id']}/os-instance-actions")
            .json()["instanceActions"]][0] == "rebuild"
    for name in ("vm3", "from-snap"):
        cloud.openstack("server", "delete", "--wait", name, parse=False)


def test_a_failed_snapshot_leaves_no_image(cloud, api, image, flavor):
    cloud.openstack("flavor", "create", "--vcpus", "1", "--ram", "64", "--disk", "1",
                    "--property", "fake:fail_snapshot=true", "m1.nosnap")
    server = cloud.openstack("server", "create", "--image", "tiny", "--flavor", "m1.nosnap",
                             "--nic", "none", "--wait", "vm4")
    answer = api.post(f"/servers/{server['id']}/action", {"createImage": {"name": "bad"}})
    assert answer.status_code == 202
    image_id = answer.json()["image_id"]
    assert wait_for_image(cloud, api, image_id, (None,)) is None
    assert settled(api, server["id"], "ACTIVE")["OS-EXT-STS:vm_state"] == "active"
    action = api.get(f"/servers/{server['id']}/os-instance-actions").json()[
        "instanceActions"][0]
    assert action["action"] == "createImage" and action["message"] == "Error"
    events = api.get(f"/servers/{server['id']}/os-instance-actions/{action['request_id']}"
                     ).json()["instanceAction"]["events"]
    assert [(e["event"], e["result"]) for e in events] == [
        ("compute_snapshot_instance", "Error")]
    assert "fake:fail_snapshot" in events[0]["traceback"]
    cloud.openstack("server", "delete", "--wait", "vm4", parse=False)


def test_a_failed_rebuild_is_an_error_with_its_reason(cloud, api, image, flavor,
                                                     tmp_path):
    path = tmp_path / "bad.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(path), "10M"], check=True,
                   capture_output=True, timeout=60)
    cloud.openstack("image", "create", "--file", str(path), "--disk-format", "qcow2",
                    "--container-format", "bare", "--property", "fake:fail_on_host=*",
                    "unbootable")
    server = create(cloud, api, "vm6")
    cloud.openstack("server", "rebuild", "--image", "unbootable", "vm6", parse=False)
    failed = settled(api, server["id"], "ERROR")
    assert failed["fault"]["code"] == 500 and failed["fault"]["message"]
    cloud.openstack("server", "delete", "--wait", "vm6", parse=False)
    cloud.openstack("image", "delete", "unbootable", parse=False)


def test_rebuild_and_snapshot_refusals(cloud, api, image, flavor):
    server = create(cloud, api, "vm5")
    path = f"/servers/{server['id']}/action"
    missing = api.post(path, {"rebuild": {"imageRef": "no-such-image"}})
    assert missing.status_code == 400 and "could not be found" in missing.text
    too_late = api.post(path, {"rebuild": {"imageRef": image, "key_name": "k"}},
                        headers={"OpenStack-API-Version": "compute 2.53"})
    assert too_late.status_code == 400
    api.post(path, {"suspend": None})
    settled(api, server["id"], "SUSPENDED")
    refused_rebuild = api.post(path, {"rebuild": {"imageRef": image}})
    assert refused_rebuild.status_code == 409
    assert "Cannot 'rebuild' instance" in refused_rebuild.text
    unnamed = api.post(path, {"createImage": {}})
    assert unnamed.status_code == 400
    api.post(path, {"resume": None})
    settled(api, server["id"], "ACTIVE")
    api.post(path, {"os-stop": None})
    settled(api, server["id"], "SHUTOFF")
    # A stopped server is rebuilt stopped, renamed as asked.
    rebuilt = api.post(path, {"rebuild": {"imageRef": image, "name": "vm5b",
                                          "metadata": {"role": "db"}}})
    assert rebuilt.status_code == 202
    assert rebuilt.json()["server"]["status"] == "REBUILD"
    after = settled(api, server["id"], "SHUTOFF")
    assert after["name"] == "vm5b" and after["metadata"] == {"role": "db"}
    api.delete(f"/servers/{server['id']}")
    api.wait_for_server(server["id"], (None,))
