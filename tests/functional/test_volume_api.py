"""The block storage API over real HTTP: discovery, Cinder's error format, the
attachments calls compute makes (exporting over NBD), and what a restart keeps."""
import glob
import os
import subprocess
import time

import pytest
import requests

from agent.volume import nbd
from contract.clients.volume import VolumeClient, VolumeError
from controller.volume.backend.exports import ExportDaemons
from tests.lib.cloud import Cloud

GiB = 1024 ** 3


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("volume-api"), roles=["api"], with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()
        # The exports outlive the service on purpose; a failed test must not leave any.
        ExportDaemons(os.path.join(instance.workdir, "state", "volumes", "exports")).stop_all()


@pytest.fixture(scope="module")
def token(cloud):
    return cloud.admin_token()


@pytest.fixture(scope="module")
def client(cloud):
    return VolumeClient(cloud.url + "/volume/v3")


def call(cloud, token, method, path, body=None, version="3.44"):
    return requests.request(method, f"{cloud.url}/volume/v3{path}", json=body, timeout=30,
                            headers={"X-Auth-Token": token,
                                     "OpenStack-API-Version": f"volume {version}"})


def new_volume(cloud, token, size=1):
    resp = call(cloud, token, "POST", "/volumes", {"volume": {"size": size}})
    assert resp.status_code == 202, resp.text
    volume_id = resp.json()["volume"]["id"]
    deadline = time.monotonic() + 30
    while call(cloud, token, "GET", f"/volumes/{volume_id}").json()["volume"]["status"] \
            != "available":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return volume_id


def status(cloud, token, volume_id):
    return call(cloud, token, "GET", f"/volumes/{volume_id}").json()["volume"]["status"]


def volume_file(cloud, volume_id):
    return os.path.join(cloud.workdir, "state", "volumes", f"volume-{volume_id}")


def nbd_io(info, command):
    """Run a qemu-io command against the export, as a compute host's QEMU would reach it."""
    data = info["data"]
    url = f"nbd://{data['host']}:{data['port']}/{data['export_name']}"
    return subprocess.run(["qemu-io", "-f", "raw", "-c", command, url], check=True,
                          capture_output=True, text=True, timeout=30).stdout


def test_version_discovery(cloud):
    root = requests.get(f"{cloud.url}/volume/", timeout=10)
    assert root.status_code == 300
    (version,) = root.json()["versions"]
    assert version["id"] == "v3.0" and version["min_version"] == "3.0"
    v3 = requests.get(f"{cloud.url}/volume/v3/", timeout=10)
    assert v3.status_code == 200 and v3.json()["versions"][0]["version"] == version["version"]


def test_errors_have_cinders_format(cloud, token):
    resp = call(cloud, token, "GET", "/volumes/no-such-volume")
    assert resp.status_code == 404
    assert resp.json() == {"itemNotFound": {
        "code": 404, "message": "Volume no-such-volume could not be found."}}
    resp = call(cloud, token, "POST", "/volumes", {"volume": {"size": "many"}})
    assert resp.status_code == 400 and "volume/size" in resp.json()["badRequest"]["message"]
    resp = call(cloud, token, "GET", "/volumes", version="3.999")
    assert resp.status_code == 406 and "notAcceptable" in resp.json()
    resp = call(cloud, "not-a-token", "GET", "/volumes")
    assert resp.status_code == 401 and "unauthorized" in resp.json()
    resp = requests.get(f"{cloud.url}/volume/v3/some-other-project/volumes", timeout=10,
                        headers={"X-Auth-Token": token})
    assert resp.status_code == 400 and resp.json()["badRequest"]["message"] == \
        "Malformed request url."


def test_attach_detach_through_the_compute_interface(cloud, token, client):
    volume_id = new_volume(cloud, token)
    attachment_id = client.reserve(token, volume_id, "11111111-2222-3333-4444-555555555555")
    assert status(cloud, token, volume_id) == "reserved"

    info = client.connect(token, attachment_id, nbd.connector("compute-test"))
    assert info["driver_volume_type"] == "nbd"
    assert info["data"]["host"] == "127.0.0.1" and info["data"]["export_name"] == volume_id
    assert status(cloud, token, volume_id) == "attaching"
    nbd_io(info, "write -P 0x61 0 4k")

    client.complete(token, attachment_id)
    volume = client.get_volume(token, volume_id)
    assert volume["status"] == "in-use"
    (attached,) = volume["attachments"]
    assert attached["attachment_id"] == attachment_id
    assert attached["host_name"] == "compute-test"

    # Deleting an attached volume is refused in Cinder's format and loses nothing.
    resp = call(cloud, token, "DELETE", f"/volumes/{volume_id}")
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["code"] == 400
    assert "attached" in resp.json()["badRequest"]["message"]
    assert status(cloud, token, volume_id) == "in-use"
    assert "read 4096/4096" in nbd_io(info, "read -P 0x61 0 4k")

    client.detach(token, attachment_id)
    assert status(cloud, token, volume_id) == "available"
    with pytest.raises(subprocess.CalledProcessError):
        nbd_io(info, "read 0 512")
    with open(volume_file(cloud, volume_id), "rb") as f:
        assert f.read(4) == b"aaaa"
    resp = call(cloud, token, "DELETE", f"/volumes/{volume_id}")
    assert resp.status_code == 202


def test_a_moving_server_holds_a_second_attachment_of_its_volume(cloud, token, client):
    """Cinder's rule for a server that moves: its in-use volume may be reserved again
    for it (not for another server); the old attachment's delete leaves the volume to
    the new one, which the next host connects and completes."""
    server, stranger = ("11111111-2222-3333-4444-666666666666",
                        "11111111-2222-3333-4444-777777777777")
    volume_id = new_volume(cloud, token)
    old = client.reserve(token, volume_id, server)
    info = client.connect(token, old, nbd.connector("compute-a"))
    client.complete(token, old)
    nbd_io(info, "write -P 0x62 0 4k")
    with pytest.raises(VolumeError) as refused:
        client.reserve(token, volume_id, stranger)
    assert refused.value.status == 400
    new = client.reserve(token, volume_id, server)
    assert status(cloud, token, volume_id) == "in-use"
    assert "read 4096/4096" in nbd_io(info, "read -P 0x62 0 4k")    # still exported
    client.detach(token, old)
    assert status(cloud, token, volume_id) == "reserved"
    with pytest.raises(subprocess.CalledProcessError):
        nbd_io(info, "read 0 512")                 # nothing connected: the export ended
    info = client.connect(token, new, nbd.connector("compute-b"))
    client.complete(token, new)
    volume = client.get_volume(token, volume_id)
    assert volume["status"] == "in-use"
    assert [(a["attachment_id"], a["host_name"]) for a in volume["attachments"]] == [
        (new, "compute-b")]
    assert "read 4096/4096" in nbd_io(info, "read -P 0x62 0 4k")
    client.detach(token, new)
    assert status(cloud, token, volume_id) == "available"
    assert call(cloud, token, "DELETE", f"/volumes/{volume_id}").status_code == 202


def test_attachments_api_needs_its_microversion(cloud, token):
    resp = call(cloud, token, "GET", "/attachments", version="3.0")
    assert resp.status_code == 404


def ids_of(resp, key):
    assert resp.status_code == 200, resp.text
    return [row["id"] for row in resp.json()[key]]


def test_lists_filter_and_page(cloud, token, client):
    """Lists keep their filters, all-projects scope, order (newest first) and pages."""
    older, newer = new_volume(cloud, token), new_volume(cloud, token)
    assert call(cloud, token, "PUT", f"/volumes/{newer}",
                {"volume": {"name": "listed-newer"}}).status_code == 200
    named = call(cloud, token, "GET", "/volumes/detail?name=listed-newer").json()["volumes"]
    assert [v["id"] for v in named] == [newer] and named[0]["volume_type"] == "__DEFAULT__"
    project = named[0]["os-vol-tenant-attr:tenant_id"]
    assert ids_of(call(cloud, token, "GET", f"/volumes?all_tenants=1&project_id={project}"
                                            f"&name=listed-newer"), "volumes") == [newer]
    assert ids_of(call(cloud, token, "GET", "/volumes?all_tenants=1&project_id=elsewhere"),
                  "volumes") == []

    first = call(cloud, token, "GET", "/volumes?limit=1&status=available")
    assert ids_of(first, "volumes") == [newer]
    (link,) = first.json()["volumes_links"]
    assert "status=available" in link["href"] and f"marker={newer}" in link["href"]
    following = requests.get(link["href"], headers={"X-Auth-Token": token}, timeout=30)
    assert ids_of(following, "volumes") == [older]
    assert call(cloud, token, "GET", "/volumes?marker=no-such-volume").status_code == 404

    snapshot = call(cloud, token, "POST", "/snapshots",
                    {"snapshot": {"volume_id": older, "name": "listed-snap"}}).json()
    snapshot_id = snapshot["snapshot"]["id"]
    assert ids_of(call(cloud, token, "GET", f"/snapshots/detail?volume_id={older}"),
                  "snapshots") == [snapshot_id]
    assert ids_of(call(cloud, token, "GET", f"/snapshots?volume_id={newer}"),
                  "snapshots") == []

    server = "99999999-2222-3333-4444-555555555555"
    attachment_id = client.reserve(token, newer, server)
    assert ids_of(call(cloud, token, "GET", f"/attachments?instance_id={server}"),
                  "attachments") == [attachment_id]
    assert ids_of(call(cloud, token, "GET", f"/attachments/detail?instance_id={server}"
                                            f"&status=reserved"), "attachments") == [attachment_id]
    assert ids_of(call(cloud, token, "GET", f"/attachments?volume_id={older}"),
                  "attachments") == []

    client.detach(token, attachment_id)
    deadline = time.monotonic() + 30
    while call(cloud, token, "GET", f"/snapshots/{snapshot_id}").json()["snapshot"][
            "status"] != "available":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert call(cloud, token, "DELETE", f"/snapshots/{snapshot_id}").status_code == 202
    for volume_id in (older, newer):
        assert call(cloud, token, "DELETE", f"/volumes/{volume_id}").status_code == 202


def test_failed_export_rolls_back(cloud, token, client):
    volume_id = new_volume(cloud, token)
    # The storage lost the file: exporting fails, the attachment is undone.
    os.rename(volume_file(cloud, volume_id), volume_file(cloud, volume_id) + ".away")
    attachment_id = client.reserve(token, volume_id, None)
    with pytest.raises(VolumeError, match="is missing") as exc:
        client.connect(token, attachment_id, nbd.connector("compute-test"))
    assert exc.value.status == 500
    assert status(cloud, token, volume_id) == "available"
    listed = call(cloud, token, "GET", f"/attachments?volume_id={volume_id}").json()
    assert listed == {"attachments": []}
    assert not glob.glob(os.path.join(cloud.workdir, "state", "volumes", "exports", "*"))
    os.rename(volume_file(cloud, volume_id) + ".away", volume_file(cloud, volume_id))
    assert call(cloud, token, "DELETE", f"/volumes/{volume_id}").status_code == 202


def test_restart_keeps_volumes_and_restores_exports(cloud, token, client):
    volume_id = new_volume(cloud, token)
    attachment_id = client.reserve(token, volume_id, None)
    info = client.connect(token, attachment_id, nbd.connector("compute-test"))
    client.complete(token, attachment_id)
    nbd_io(info, "write -P 0x62 4096 4k")

    cloud.stop()
    run_dir = os.path.join(cloud.workdir, "state", "volumes", "exports")
    daemons = ExportDaemons(run_dir)
    # The export outlives the service, so the guest keeps its disk...
    assert daemons.running(volume_id)
    # ...and if it dies too (a reboot), the service brings it back on the same port.
    daemons.stop(volume_id)
    cloud.start()
    token = cloud.admin_token()
    assert daemons.running(volume_id)
    assert status(cloud, token, volume_id) == "in-use"
    assert "read 4096/4096" in nbd_io(info, "read -P 0x62 4096 4k")

    client.detach(token, attachment_id)
    assert not daemons.running(volume_id)
    assert call(cloud, token, "DELETE", f"/volumes/{volume_id}").status_code == 202
