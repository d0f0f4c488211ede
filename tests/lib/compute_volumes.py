"""Volumes over the block-storage API for the compute tests that attach them (made
over HTTP: the volume CLI has its own tests)."""
import time

import requests


def volume_api(cloud, api, method, path, body=None):
    return requests.request(method, f"{cloud.url}/volume/v3/{path}", json=body, timeout=30,
                            headers={"X-Auth-Token": api.token,
                                     "OpenStack-API-Version": "volume 3.44"})


def wait_volume(cloud, api, volume_id, status, timeout=60):
    """The volume once it has ``status`` (None: once it is gone)."""
    deadline = time.monotonic() + timeout
    while True:
        resp = volume_api(cloud, api, "GET", f"volumes/{volume_id}")
        volume = None if resp.status_code == 404 else resp.json()["volume"]
        if (volume["status"] if volume else None) == status:
            return volume
        assert time.monotonic() < deadline, f"volume {volume_id} stayed {volume}"
        time.sleep(0.1)


def new_volume(cloud, api, name, **fields):
    """A 1 GiB volume, available (made over HTTP: the volume CLI has its own tests)."""
    resp = volume_api(cloud, api, "POST", "volumes",
                      {"volume": {"size": 1, "name": name, **fields}})
    assert resp.status_code == 202, resp.text
    return wait_volume(cloud, api, resp.json()["volume"]["id"], "available")
