"""Shared fixtures: a bootstrapped cloud per test module, cleaned up even on failure."""
import json
import os
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
        self.user_id = resp.json()["token"]["user"]["id"]
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

    def wait_for_server(self, server_id, statuses=("ACTIVE", "ERROR"), timeout=60,
                        interval=0.05):
        """The server once its status is one of ``statuses`` (or None once deleted);
        polls every ``interval`` s (longer where a booting guest needs the cores)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            resp = self.get(f"/servers/{server_id}")
            if resp.status_code == 404 and None in statuses:
                return None
            server = resp.json()["server"]
            if server["status"] in statuses:
                return server
            time.sleep(interval)
        raise AssertionError(f"server {server_id} did not reach {statuses} in {timeout} s")


@pytest.fixture(scope="module")
def compute_session(cloud):
    """``compute_session(user=, password=, project=, microversion=)`` → ComputeSession."""
    return lambda **kwargs: ComputeSession(cloud, **kwargs)


# --- order: the longest modules first ------------------------------------------------
# tools/test.sh runs the suite with xdist's loadscope (a module stays on one worker, so its
# module-scoped cloud is made once) and --no-loadscope-reorder. The modules are handed out
# in the order below: longest first, so the suite does not end with one worker finishing a
# long system module while the others are idle; modules that boot guests alternate with
# the others, because only a few of them run at once (tests/system/conftest.py,
# guest_slot). tests/durations.json holds each module's seconds as bench/bench_tests.py
# measured them; a module not yet measured is estimated from its markers.
DURATIONS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "durations.json")
ESTIMATES = {"system": 120.0, "slow": 60.0, "functional": 40.0}
GUEST_FIXTURE = "tiny_image"    # what every test that boots a guest uses


def module_seconds(items, measured):
    """Expected seconds of the module of ``items`` (all from one module)."""
    path = items[0].nodeid.split("::", 1)[0]
    if path in measured:
        return measured[path]
    if any(item.get_closest_marker("system") for item in items):
        return ESTIMATES["system"]
    if any(item.get_closest_marker("slow") or item.get_closest_marker("fuzz")
           for item in items):
        return ESTIMATES["slow"]
    return ESTIMATES["functional"] if "/functional/" in path else 0.5 * len(items)


def boots_guests(items):
    """Whether a test of the module boots qemu guests: it uses the tiny image, or is
    marked ``guests`` (booting them some other way)."""
    return any(GUEST_FIXTURE in getattr(item, "fixturenames", ())
               or item.get_closest_marker("guests") for item in items)


def pytest_collection_modifyitems(session, config, items):
    try:
        with open(DURATIONS_FILE) as f:
            measured = json.load(f)
    except FileNotFoundError:
        measured = {}
    modules = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    longest = sorted(modules.values(), key=lambda group: -module_seconds(group, measured))
    guests = [group for group in longest if boots_guests(group)]
    others = [group for group in longest if not boots_guests(group)]
    ordered = []
    while guests or others:
        ordered += guests[:1] + others[:1]
        guests, others = guests[1:], others[1:]
    items[:] = [item for group in ordered for item in group]
