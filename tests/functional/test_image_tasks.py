"""Glance's tasks API: an ``import`` task makes an image and fetches its data from a URL
(a web server on loopback), fails cleanly when the data cannot be had, and refuses a URL
the operator's filters do not allow; with python-glanceclient's ``task-*`` commands."""
import functools
import http.server
import json
import os
import subprocess
import threading
import time

import pytest
import requests

from tests.lib.cloud import Cloud, client_bin, free_port

DEMO_PASSWORD = "demo-secret"


@pytest.fixture(scope="module")
def web_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("task-files")
    (root / "disk.raw").write_bytes(os.urandom(256 * 1024))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def closed_port():
    return free_port()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory, web_server, closed_port):
    ports = f"{web_server.rsplit(':', 1)[1]},{closed_port}"
    instance = Cloud(tmp_path_factory.mktemp("image-tasks"), roles=["api"],
                     with_agent=False, conf={"image": {"import_allowed_ports": ports}})
    try:
        yield instance.start()
    finally:
        instance.stop()


def api(cloud, user="admin", password="admin-secret", project="admin"):
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
    response = requests.post(cloud.auth_url + "/auth/tokens", json=body, timeout=30)
    session = requests.Session()
    session.headers["X-Auth-Token"] = response.headers["X-Subject-Token"]
    return session


def glance(cloud, tmp_path, *args):
    result = subprocess.run([client_bin("glance"), *args],
                            env={**cloud.env(), "HOME": str(tmp_path)},
                            capture_output=True, text=True, timeout=120,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"glance {args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def task_input(uri, name):
    return {"import_from": uri, "import_from_format": "raw",
            "image_properties": {"name": name, "disk_format": "raw",
                                 "container_format": "bare"}}


def wait_for_task(session, url, task_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = session.get(f"{url}/image/v2/tasks/{task_id}", timeout=30).json()
        if task["status"] in ("success", "failure"):
            return task
        time.sleep(0.2)
    raise AssertionError(f"task {task_id} did not finish in {timeout} s")


def test_import_task_with_glanceclient(cloud, web_server, tmp_path):
    out = glance(cloud, tmp_path, "task-create", "--type", "import", "--input",
                 json.dumps(task_input(f"{web_server}/disk.raw", "from-a-task")))
    task_id = next(line.split("|")[2].strip() for line in out.splitlines()
                   if line.startswith("| id "))
    admin = api(cloud)
    task = wait_for_task(admin, cloud.url, task_id)
    assert task["status"] == "success", task
    assert task["expires_at"] and task["message"] == ""
    image = admin.get(f"{cloud.url}/image/v2/images/{task['result']['image_id']}",
                      timeout=30).json()
    assert image["status"] == "active" and image["name"] == "from-a-task"
    assert image["size"] == 256 * 1024
    assert task_id in glance(cloud, tmp_path, "task-list")
    assert "success" in glance(cloud, tmp_path, "task-show", task_id)


def test_failed_import_leaves_no_image(cloud, closed_port):
    admin = api(cloud)
    created = admin.post(f"{cloud.url}/image/v2/tasks", timeout=30, json={
        "type": "import",
        "input": task_input(f"http://127.0.0.1:{closed_port}/missing.raw", "doomed")})
    assert created.status_code == 201, created.text
    assert created.headers["Location"].endswith(f"/v2/tasks/{created.json()['id']}")
    assert created.json()["status"] == "pending" and created.json()["result"] is None
    task = wait_for_task(admin, cloud.url, created.json()["id"])
    assert task["status"] == "failure" and task["message"]
    images = admin.get(f"{cloud.url}/image/v2/images", params={"name": "doomed"},
                       timeout=30).json()["images"]
    assert images == []
    listed = admin.get(f"{cloud.url}/image/v2/tasks", params={"status": "failure"},
                       timeout=30).json()
    assert [t["id"] for t in listed["tasks"]] == [task["id"]]
    assert "input" not in listed["tasks"][0] and listed["schema"] == "/v2/schemas/tasks"


def test_refusals(cloud):
    admin = api(cloud)
    url = f"{cloud.url}/image/v2/tasks"
    assert admin.post(url, json={"type": "import", "input": task_input(
        "ftp://127.0.0.1/disk.raw", "x")}, timeout=30).status_code == 400
    assert admin.post(url, json={"type": "import", "input": task_input(
        "http://127.0.0.1:9/disk.raw", "x")}, timeout=30).status_code == 400  # port
    assert admin.post(url, json={"type": "import"}, timeout=30).status_code == 400
    assert admin.post(url, json={"type": "convert", "input": {}},
                      timeout=30).status_code == 400
    assert admin.delete(f"{url}/0b8e4a8e-6f6a-4c4b-9d1e-0e0e0e0e0e0e",
                        timeout=30).status_code == 405
    cloud.add_member_project("demo", DEMO_PASSWORD)
    demo = api(cloud, "demo", DEMO_PASSWORD, "demo")
    assert demo.get(url, timeout=30).status_code == 403
    schema = admin.get(f"{cloud.url}/image/v2/schemas/task", timeout=30).json()
    assert schema["name"] == "task" and "input" in schema["properties"]
