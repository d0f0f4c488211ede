"""What the block storage CLI modules share: a cloud of the API services alone, a second
project ``demo`` with a member user, and polling of the volume API (a stock CLI run costs
a second of CPU; the API answers in milliseconds, so the CLI stays for what is tested)."""
import contextlib
import time

import requests

from tests.lib.cloud import Cloud

DEMO_PASSWORD = "demo-secret"
AS_DEMO = {"user": "demo", "password": DEMO_PASSWORD, "project": "demo"}


@contextlib.contextmanager
def api_cloud(workdir):
    """Identity, image and volume APIs without an agent, stopped on the way out."""
    instance = Cloud(workdir, roles=["api"], with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()


def make_demo(cloud):
    """Project demo whose user holds only the member role: ``{"id": project id}``."""
    return {"id": cloud.add_member_project("demo", DEMO_PASSWORD)}


def call(cloud, token, method, path, body=None, version="3.0"):
    return requests.request(method, f"{cloud.url}/volume/v3{path}", json=body, timeout=30,
                            headers={"X-Auth-Token": token,
                                     "OpenStack-API-Version": f"volume {version}"})


def wait_for(cloud, token, kind, item_id, status, timeout=60):
    """Poll the API until the volume or snapshot (``kind``: volumes, snapshots) has
    ``status``; an error status other than the one awaited fails at once."""
    deadline = time.monotonic() + timeout
    while True:
        item = call(cloud, token, "GET", f"/{kind}/{item_id}").json()[kind[:-1]]
        if item["status"] == status:
            return item
        assert status.startswith("error") or not item["status"].startswith("error"), item
        assert time.monotonic() < deadline, f"{kind} {item_id} stayed {item['status']}"
        time.sleep(0.1)


def new_volume(cloud, token, *args, **who):
    """``openstack volume create ARGS`` (as ``who``), once available."""
    volume = cloud.openstack("volume", "create", *args, **who)
    return wait_for(cloud, token, "volumes", volume["id"], "available")


def failure(result):
    """The stderr of a CLI run that must have failed."""
    assert result.returncode != 0, result.stdout
    return result.stderr
