"""The dashboard's images, volumes, networks and subnets over plain HTTP: an image
uploaded from the form streams into the image API (and a refused upload leaves no
image), a volume created, attached to a server, detached and deleted, a network with a
subnet created and deleted; CSRF on every form; another project sees none of it."""
import hashlib
import os
import re
import subprocess
import time

import pytest

from controller.volume.backend.exports import ExportDaemons
from tests.lib.cloud import ADMIN_PASSWORD, Cloud
from tests.lib.dashboard import Browser

DEMO_PASSWORD = "demo-secret"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("dashboard-resources"))
    try:
        instance.start()
        instance.add_member_project("demo", DEMO_PASSWORD)
        yield instance
    finally:
        instance.stop()
        ExportDaemons(os.path.join(instance.workdir, "state", "volumes", "exports")).stop_all()


@pytest.fixture(scope="module")
def admin(cloud):
    browser = Browser(cloud)
    assert browser.login("admin", ADMIN_PASSWORD).status_code == 303
    return browser


@pytest.fixture(scope="module")
def demo(cloud):
    browser = Browser(cloud)
    assert browser.login("demo", DEMO_PASSWORD).status_code == 303
    return browser


def images_named(cloud, name):
    return [i for i in cloud.openstack("image", "list", "--long") if i["Name"] == name]


def wait_for(check, what, timeout=90):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.5)
    return found


def test_an_image_uploaded_from_the_form_streams_into_the_image_api(cloud, admin, demo):
    path = os.path.join(cloud.workdir, "upload.qcow2")
    subprocess.run(["qemu-img", "create", "-f", "qcow2", path, "20M"], check=True,
                   capture_output=True, timeout=60)
    with open(path, "rb") as f:
        data = f.read()
    page = admin.get("/images").text
    assert 'enctype="multipart/form-data"' in page and 'id="upload-progress"' in page
    fields = {"name": "uploaded", "disk_format": "qcow2", "visibility": "private"}
    with open(path, "rb") as f:
        answer = admin.post("/images", fields, files={"file": ("upload.qcow2", f)})
    assert answer.status_code == 303, answer.text[:500]
    assert answer.headers["Location"].endswith("/dashboard/images")
    [image] = images_named(cloud, "uploaded")
    assert image["Status"] == "active" and image["Size"] == len(data)
    shown = cloud.openstack("image", "show", image["ID"])
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert "uploaded" in admin.get("/images").text
    assert "uploaded" not in demo.get("/images").text         # private to admin's project
    assert admin.post(f"/images/{image['ID']}/delete").status_code == 303
    assert images_named(cloud, "uploaded") == []


def test_a_refused_upload_leaves_no_image(cloud, admin):
    fields = {"name": "not-qcow2", "disk_format": "qcow2"}
    refused = admin.post("/images", fields, files={"file": ("x.qcow2", b"plain text " * 99)})
    assert refused.status_code == 400, refused.text[:500]
    assert 'id="error"' in refused.text
    assert images_named(cloud, "not-qcow2") == []
    forged = admin.post("/images", fields, csrf="0" * 40,
                        files={"file": ("x.qcow2", b"data")})
    assert forged.status_code == 403
    assert images_named(cloud, "not-qcow2") == []
    missing = admin.post("/images", fields, files={"file": ("", b"")})
    assert missing.status_code == 400 and "Choose a file" in missing.text


def volume_row(browser, name):
    page = browser.get("/volumes").text
    match = re.search(rf'<tr class="volume" data-name="{name}">(.*?)</tr>', page, re.S)
    return match.group(1) if match else None


def test_a_volume_created_attached_detached_and_deleted(cloud, admin, demo):
    image = cloud.blank_image("tiny")["id"]
    flavor = cloud.openstack("flavor", "create", "--vcpus", "1", "--ram", "64", "--disk",
                             "1", "m1.vol")["id"]
    server = cloud.openstack("server", "create", "--image", image, "--flavor", flavor,
                             "--nic", "none", "--wait", "vol-vm")
    refused = admin.post("/volumes", {"name": "dash-vol", "size": "1"}, csrf=False)
    assert refused.status_code == 403
    assert admin.post("/volumes", {"name": "dash-vol", "size": "1"}).status_code == 303
    row = wait_for(lambda: (r := volume_row(admin, "dash-vol")) and "available" in r and r,
                   "the volume did not become available")
    volume_id = re.search(r'/dashboard/volumes/([^/]+)/attach', row).group(1)
    assert volume_row(demo, "dash-vol") is None
    assert demo.post(f"/volumes/{volume_id}/delete").status_code == 404

    attach = admin.post(f"/volumes/{volume_id}/attach", {"server_id": server["id"]})
    assert attach.status_code == 303, attach.text[:500]
    row = wait_for(lambda: (r := volume_row(admin, "dash-vol")) and "in-use" in r and r,
                   "the volume was not attached")
    assert "vol-vm" in row and "/detach" in row
    detach = admin.post(f"/volumes/{volume_id}/detach", {"server_id": server["id"]})
    assert detach.status_code == 303, detach.text[:500]
    wait_for(lambda: "available" in (volume_row(admin, "dash-vol") or ""),
             "the volume was not detached")
    assert admin.post(f"/volumes/{volume_id}/delete").status_code == 303
    wait_for(lambda: volume_row(admin, "dash-vol") is None, "the volume stayed")
    assert admin.post("/volumes", {"name": "x", "size": "many"}).status_code == 400
    assert admin.post(f"/volumes/{volume_id}/explode").status_code == 404
    cloud.openstack("server", "delete", "--wait", server["id"], parse=False)


def test_a_network_with_a_subnet_created_and_deleted(cloud, admin, demo):
    assert admin.post("/networks", {"name": "dash-net"}, csrf=False).status_code == 403
    assert admin.post("/networks", {"name": "dash-net"}).status_code == 303
    page = admin.get("/networks").text
    network_id = re.search(r'action="/dashboard/networks/([^/]+)/subnets"', page).group(1)
    created = admin.post(f"/networks/{network_id}/subnets", {
        "name": "dash-sub", "cidr": "10.77.0.0/24", "enable_dhcp": "1"})
    assert created.status_code == 303, created.text[:500]
    page = admin.get("/networks").text
    assert "10.77.0.0/24, gateway 10.77.0.1, DHCP" in page
    bad = admin.post(f"/networks/{network_id}/subnets", {"cidr": "10.77.0.0/33"})
    assert bad.status_code == 400 and 'id="error"' in bad.text
    none = admin.post(f"/networks/{network_id}/subnets", {
        "name": "no-gw", "cidr": "10.78.0.0/24", "no_gateway": "1"})
    assert none.status_code == 303
    assert "10.78.0.0/24, gateway none" in admin.get("/networks").text
    assert "dash-net" not in demo.get("/networks").text
    assert demo.post(f"/networks/{network_id}/delete").status_code == 404

    subnet_ids = re.findall(r'action="/dashboard/subnets/([^/]+)/delete"',
                            admin.get("/networks").text)
    assert len(subnet_ids) == 2
    for subnet_id in subnet_ids:
        assert admin.post(f"/subnets/{subnet_id}/delete").status_code == 303
    assert "10.77.0.0/24" not in admin.get("/networks").text
    assert admin.post(f"/networks/{network_id}/delete").status_code == 303
    assert "dash-net" not in admin.get("/networks").text
