"""Shared fixtures: a bootstrapped cloud per test module, cleaned up even on failure."""
import time

import pytest
import requests

from tests.lib.cloud import ADMIN_PASSWORD, Cloud


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    """A running all-in-one cloud with the fake virt driver."""
    instance = Cloud(tmp_path_factory.mktemp("cloud"))
    try:
        yield instance.start()
    finally:
        instance.stop()


class ComputeSession:
    """Raw HTTP to a cloud's compute API with a project-scoped token, for tests of wire
    formats and of many requests at once (the stock CLI costs a Python start per call)."""

    def __init__(self, cloud, user="admin", password=None, project="admin",
                 microversion="2.79"):
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"id": "default"},
                "password": password or ADMIN_PASSWORD}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
        resp = requests.post(cloud.auth_url + "/auth/tokens", json=body, timeout=30)
        resp.raise_for_status()
        self.token = resp.headers["X-Subject-Token"]
        self.project_id = resp.json()["token"]["project"]["id"]
        self.base = cloud.url + "/compute/v2.1"
        self.session = requests.Session()
        self.session.headers.update({"X-Auth-Token": self.token})
        if microversion:
            self.session.headers["OpenStack-API-Version"] = f"compute {microversion}"

    def request(self, method, path, **kwargs):
        return self.session.request(method, self.base + path, timeout=60, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, json=body, **kwargs)

    def put(self, path, body=None, **kwargs):
        return self.request("PUT", path, json=body, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def wait_for_server(self, server_id, statuses=("ACTIVE", "ERROR"), timeout=60):
        """The server once its status is one of ``statuses`` (or None once deleted)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            resp = self.get(f"/servers/{server_id}")
            if resp.status_code == 404 and None in statuses:
                return None
            server = resp.json()["server"]
            if server["status"] in statuses:
                return server
            time.sleep(0.05)
        raise AssertionError(f"server {server_id} did not reach {statuses} in {timeout} s")


@pytest.fixture(scope="module")
def compute_session(cloud):
    """``compute_session(user=, password=, project=, microversion=)`` → ComputeSession."""
    return lambda **kwargs: ComputeSession(cloud, **kwargs)
