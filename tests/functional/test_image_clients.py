"""The stock clients against the image API: python-glanceclient's ``glance`` and the
``openstack`` CLI upload, list, show, download, update, share, import and delete."""
import functools
import hashlib
import http.server
import json
import os
import subprocess
import threading
import time

import pytest
import requests

from tests.lib.cloud import Cloud, client_bin

DEMO_PASSWORD = "demo-secret"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("client-files")
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(root / "disk.qcow2"), "64M"],
                   check=True, capture_output=True, timeout=60)
    # Some data in it, so a download that returned zeros would not pass.
    with open(root / "disk.qcow2", "ab") as f:
        f.write(os.urandom(512 * 1024))
    (root / "disk.raw").write_bytes(os.urandom(1024 * 1024 + 17))
    return root


@pytest.fixture(scope="module")
def web_server(files):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(files))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory, web_server):
    instance = Cloud(tmp_path_factory.mktemp("image-clients"), roles=["api"],
                     with_agent=False,
                     conf={"image": {"import_allowed_ports": web_server.rsplit(":", 1)[1]}})
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def demo(cloud):
    return cloud.add_member_project("demo", DEMO_PASSWORD)


def run_client(cloud, home, name, *args, user="admin", password="admin-secret",
               project="admin"):
    """Run a stock client with no standard input (both would read image data from a
    non-terminal stdin) and a private HOME (glance caches the schema there)."""
    env = {**cloud.env(user, password, project), "HOME": str(home)}
    result = subprocess.run(["sh", "-c", 'exec "$0" "$@" <&-', client_bin(name), *args],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (f"{name} {' '.join(args)} failed:\n{result.stdout}\n"
                                    f"{result.stderr}\n{cloud.log_tail(30)}")
    return result


def glance(cloud, home, *args):
    return run_client(cloud, home, "glance", *args)


def openstack(cloud, home, *args, **user):
    result = run_client(cloud, home, "openstack", *args, "-f", "json", **user)
    return json.loads(result.stdout) if result.stdout.strip() else None


def test_glance_create_with_progress_and_download(cloud, files, tmp_path):
    created = glance(cloud, tmp_path, "image-create", "--file", str(files / "disk.qcow2"),
                     "--disk-format", "qcow2", "--container-format", "bare",
                     "--name", "glance-img", "--progress")
    assert "active" in created.stdout
    image = cloud.openstack("image", "show", "glance-img")
    assert image["virtual_size"] == 64 * 1024 * 1024
    out = tmp_path / "out.qcow2"
    glance(cloud, tmp_path, "image-download", "--file", str(out), image["id"])
    assert out.read_bytes() == (files / "disk.qcow2").read_bytes()
    listed = glance(cloud, tmp_path, "image-list")
    assert image["id"] in listed.stdout
    glance(cloud, tmp_path, "image-update", "--property", "os_distro=cirros", image["id"])
    glance(cloud, tmp_path, "image-tag-update", image["id"], "golden")
    shown = glance(cloud, tmp_path, "image-show", image["id"])
    assert "cirros" in shown.stdout and "golden" in shown.stdout
    glance(cloud, tmp_path, "image-delete", image["id"])
    assert "glance-img" not in [i["Name"] for i in cloud.openstack("image", "list")]


def test_openstack_cli_lifecycle_and_sharing(cloud, demo, files, tmp_path):
    data = (files / "disk.raw").read_bytes()
    created = openstack(cloud, tmp_path, "image", "create", "--file",
                        str(files / "disk.raw"), "--disk-format", "raw",
                        "--container-format", "bare", "osc-img")
    assert created["status"] == "active"
    assert created["checksum"] == hashlib.md5(data).hexdigest()
    assert "osc-img" in [image["Name"] for image in cloud.openstack("image", "list")]
    shown = cloud.openstack("image", "show", "osc-img")
    assert (shown["size"], shown["disk_format"]) == (len(data), "raw")
    saved = tmp_path / "saved.raw"
    cloud.openstack("image", "save", "--file", str(saved), "osc-img", parse=False)
    assert saved.read_bytes() == data
    cloud.openstack("image", "set", "--property", "hw_disk_bus=virtio", "osc-img",
                    parse=False)
    assert cloud.openstack("image", "show", "osc-img")["properties"]["hw_disk_bus"] == \
        "virtio"

    demo_user = {"user": "demo", "password": DEMO_PASSWORD, "project": "demo"}
    cloud.openstack("image", "add", "project", "osc-img", "demo")
    members = cloud.openstack("image", "member", "list", "osc-img")
    assert [(m["Member ID"], m["Status"]) for m in members] == [(demo, "pending")]
    cloud.openstack("image", "set", "--accept", shown["id"], parse=False, **demo_user)
    assert "osc-img" in [i["Name"] for i in cloud.openstack("image", "list", **demo_user)]
    demo_copy = tmp_path / "demo.raw"
    cloud.openstack("image", "save", "--file", str(demo_copy), shown["id"], parse=False,
                    **demo_user)
    assert demo_copy.read_bytes() == data

    cloud.openstack("image", "delete", "osc-img", parse=False)
    missing = cloud.openstack("image", "show", shown["id"], check=False, parse=False)
    assert missing.returncode != 0


def test_web_download_import_from_a_local_server(cloud, files, web_server, tmp_path):
    created = glance(cloud, tmp_path, "image-create", "--disk-format", "qcow2",
                     "--container-format", "bare", "--name", "imported")
    assert "queued" in created.stdout
    image_id = cloud.openstack("image", "show", "imported")["id"]
    cloud.openstack("image", "import", "--method", "web-download",
                    "--uri", f"{web_server}/disk.qcow2", image_id, parse=False)
    # The image API is polled (a CLI run per look costs a second of CPU); the stock CLI
    # then shows the result.
    url, headers = f"{cloud.url}/image/v2/images/{image_id}", {
        "X-Auth-Token": cloud.admin_token()}
    deadline = time.monotonic() + 60
    while (status := requests.get(url, headers=headers, timeout=30).json()[
            "status"]) != "active":
        assert status == "importing" and time.monotonic() < deadline, status
        time.sleep(0.1)
    shown = cloud.openstack("image", "show", image_id)
    assert shown["status"] == "active"
    data = (files / "disk.qcow2").read_bytes()
    assert (shown["size"], shown["checksum"]) == (len(data), hashlib.md5(data).hexdigest())
    out = tmp_path / "imported.qcow2"
    glance(cloud, tmp_path, "image-download", "--file", str(out), image_id)
    assert out.read_bytes() == data
