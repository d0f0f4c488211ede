"""The stock ``openstack`` CLI against pocketstack's block storage service."""
import os
import subprocess

import pytest

from tests.lib.volumes import (AS_DEMO, api_cloud, call, failure, make_demo, new_volume,
                               wait_for)

GiB = 1024 ** 3


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    with api_cloud(tmp_path_factory.mktemp("volume-cli")) as instance:
        yield instance


@pytest.fixture(scope="module")
def token(cloud):
    return cloud.admin_token()


@pytest.fixture(scope="module")
def demo(cloud):
    return make_demo(cloud)


def volume_file(cloud, volume_id):
    return os.path.join(cloud.workdir, "state", "volumes", f"volume-{volume_id}")


def api_get(cloud, token, path):
    return call(cloud, token, "GET", f"/{path}")


def test_create_list_show_delete(cloud, token):
    volume = cloud.openstack("volume", "create", "--size", "1", "--description", "first",
                             "--property", "purpose=test", "first")
    assert volume["size"] == 1 and volume["name"] == "first"
    assert volume["status"] in ("creating", "available")
    wait_for(cloud, token, "volumes", volume["id"], "available")
    assert os.path.getsize(volume_file(cloud, volume["id"])) == GiB

    listed = {v["ID"]: v for v in cloud.openstack("volume", "list")}
    assert listed[volume["id"]]["Status"] == "available"
    shown = cloud.openstack("volume", "show", "first")
    assert shown["id"] == volume["id"] and shown["type"] == "__DEFAULT__"
    assert shown["description"] == "first" and shown["properties"] == {"purpose": "test"}
    assert shown["bootable"] is False and shown["attachments"] == []

    cloud.openstack("volume", "set", "--name", "renamed", "first", parse=False)
    assert api_get(cloud, token, f"volumes/{volume['id']}").json()["volume"]["name"] == \
        "renamed"

    cloud.openstack("volume", "delete", "renamed", parse=False)
    assert api_get(cloud, token, f"volumes/{volume['id']}").status_code == 404
    assert not os.path.exists(volume_file(cloud, volume["id"]))


def test_volume_from_image(cloud, token, tmp_path):
    seed = tmp_path / "seed.raw"
    seed.write_bytes(b"made-from-an-image".ljust(1024 * 1024, b"\0"))
    image_file = tmp_path / "small.qcow2"
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(seed),
                    str(image_file)], check=True)
    image = cloud.openstack("image", "create", "--disk-format", "qcow2",
                            "--container-format", "bare", "--file", str(image_file),
                            "small-image")

    volume = new_volume(cloud, token, "--image", image["id"], "--size", "1", "booted")
    assert volume["bootable"] == "true"
    assert volume["volume_image_metadata"]["image_id"] == image["id"]
    with open(volume_file(cloud, volume["id"]), "rb") as f:
        assert f.read(18) == b"made-from-an-image"
    assert os.path.getsize(volume_file(cloud, volume["id"])) == GiB
    cloud.openstack("volume", "delete", volume["id"], parse=False)


def test_volume_smaller_than_the_images_min_disk_is_refused(cloud, tmp_path):
    image_file = tmp_path / "blank.raw"
    image_file.write_bytes(b"\0" * 65536)
    image = cloud.openstack("image", "create", "--disk-format", "raw", "--container-format",
                            "bare", "--min-disk", "5", "--file", str(image_file), "needs-5g")
    result = cloud.openstack("volume", "create", "--image", image["id"], "--size", "1",
                             "too-small", check=False, parse=False)
    assert "cannot be smaller than the image minDisk size 5GB" in failure(result)
    assert "too-small" not in {v["Name"] for v in cloud.openstack("volume", "list")}


def test_snapshot_volume_from_snapshot_and_extend(cloud, token):
    origin = new_volume(cloud, token, "--size", "1", "origin")
    with open(volume_file(cloud, origin["id"]), "r+b") as f:
        f.write(b"before-snapshot")

    snapshot = cloud.openstack("volume", "snapshot", "create", "--volume", "origin",
                               "origin-snap")
    wait_for(cloud, token, "snapshots", snapshot["id"], "available")
    with open(volume_file(cloud, origin["id"]), "r+b") as f:
        f.write(b"after--snapshot")
    listed = {s["ID"]: s for s in cloud.openstack("volume", "snapshot", "list")}
    assert listed[snapshot["id"]]["Status"] == "available"

    copy = new_volume(cloud, token, "--snapshot", "origin-snap", "copy")
    assert copy["size"] == 1 and copy["snapshot_id"] == snapshot["id"]
    with open(volume_file(cloud, copy["id"]), "rb") as f:
        assert f.read(15) == b"before-snapshot"

    cloud.openstack("volume", "set", "--size", "2", "copy", parse=False)
    assert api_get(cloud, token, f"volumes/{copy['id']}").json()["volume"]["size"] == 2
    assert os.path.getsize(volume_file(cloud, copy["id"])) == 2 * GiB
    with open(volume_file(cloud, copy["id"]), "rb") as f:
        assert f.read(15) == b"before-snapshot"

    # The origin has a snapshot: deleting it alone is refused and loses nothing.
    result = cloud.openstack("volume", "delete", "origin", check=False, parse=False)
    assert "dependent snapshots" in failure(result)
    assert os.path.exists(volume_file(cloud, origin["id"]))
    cloud.openstack("volume", "delete", "copy", parse=False)
    cloud.openstack("volume", "snapshot", "delete", "origin-snap", parse=False)
    cloud.openstack("volume", "delete", "origin", parse=False)
    assert api_get(cloud, token, "snapshots").json() == {"snapshots": []}


def test_shrinking_is_refused(cloud, token):
    new_volume(cloud, token, "--size", "2", "big")
    result = cloud.openstack("volume", "set", "--size", "1", "big", check=False, parse=False)
    assert "New size must be greater than 2 GB" in failure(result)
    cloud.openstack("volume", "delete", "big", parse=False)


def test_volume_types(cloud):
    names = [t["Name"] for t in cloud.openstack("volume", "type", "list")]
    assert "__DEFAULT__" in names
    created = cloud.openstack("volume", "type", "create", "--description", "fast disks",
                              "fast")
    assert created["description"] == "fast disks" and created["is_public"] is True
    cloud.openstack("volume", "type", "delete", "fast", parse=False)


def test_quotas(cloud, demo):
    shown = {row["Resource"]: row["Limit"]
             for row in cloud.openstack("quota", "show", "--volume", "demo")}
    assert shown["volumes"] == 10 and shown["snapshots"] == 10
    assert shown["gigabytes"] == 1000

    cloud.openstack("quota", "set", "--volumes", "1", "--gigabytes", "3", "demo",
                    parse=False)

    as_demo = AS_DEMO
    result = cloud.openstack("volume", "create", "--size", "4", "too-big", check=False,
                             parse=False, **as_demo)
    assert "exceeds allowed gigabytes quota" in failure(result)
    demo_token = cloud.user_token(**as_demo)
    new_volume(cloud, demo_token, "--size", "1", "demo-one", **as_demo)
    result = cloud.openstack("volume", "create", "--size", "1", "demo-two", check=False,
                             parse=False, **as_demo)
    assert "Maximum number of volumes allowed (1) exceeded" in failure(result)

    usage = {row["Resource"]: row for row in cloud.openstack(
        "quota", "show", "--volume", "--usage", "demo")}
    assert usage["volumes"]["Limit"] == 1 and usage["gigabytes"]["Limit"] == 3
    assert usage["volumes"]["In Use"] == 1 and usage["gigabytes"]["In Use"] == 1
    cloud.openstack("volume", "delete", "demo-one", parse=False, **as_demo)


def test_other_projects_volumes_are_invisible(cloud, token, demo):
    private = new_volume(cloud, token, "--size", "1", "admins-only")
    as_demo = AS_DEMO
    result = cloud.openstack("volume", "show", private["id"], check=False, parse=False,
                             **as_demo)
    assert "No Volume found" in failure(result) or "could not be found" in result.stderr
    assert private["id"] not in {v["ID"] for v in cloud.openstack("volume", "list",
                                                                   **as_demo)}
    result = cloud.openstack("volume", "delete", private["id"], check=False, parse=False,
                             **as_demo)
    failure(result)
    assert os.path.exists(volume_file(cloud, private["id"]))
    cloud.openstack("volume", "delete", private["id"], parse=False)


def test_volume_service_list(cloud, demo):
    services = cloud.openstack("volume", "service", "list")
    assert [(s["Binary"], s["State"], s["Status"]) for s in services] == [
        ("cinder-volume", "up", "enabled")]
    assert services[0]["Host"].endswith("@files")
    assert cloud.openstack("volume", "service", "list", "--service", "cinder-scheduler") == []
    result = cloud.openstack("volume", "service", "list", check=False, parse=False,
                             **AS_DEMO)
    assert result.returncode != 0 and "403" in failure(result)
