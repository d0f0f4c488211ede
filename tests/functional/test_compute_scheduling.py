"""The build flow across several hosts (three fake agents in the cloud's process): many
concurrent creates never overcommit a host, a failed build is retried on an alternate
host (and recorded as events), and a host forced down gets nothing new."""
import collections
import concurrent.futures
import subprocess
import time

import pytest
import requests

from tests.lib.fake_hosts import HOST_RAM_MB, fake_hosts_cloud

SERVER_RAM_MB = 512
PER_HOST = HOST_RAM_MB // SERVER_RAM_MB   # room for exactly this many per host
HOSTS = 3


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = fake_hosts_cloud(tmp_path_factory.mktemp("compute-scheduling"), HOSTS)
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def hosts(cloud, api):
    """The fake hosts' names, once every one of them reports up (the cloud's start waits
    for the first only)."""
    names = [f"{cloud.sections['DEFAULT']['host']}-{index}" for index in range(HOSTS)]
    deadline = time.monotonic() + 90
    while True:
        up = {s["host"] for s in api.get("/os-services").json()["services"]
              if s["state"] == "up"}
        if up >= set(names):
            return names
        assert time.monotonic() < deadline, f"hosts not up: {sorted(up)}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def api(compute_session):
    return compute_session()


@pytest.fixture(scope="module")
def image_id(cloud, api, tmp_path_factory):
    path = tmp_path_factory.mktemp("compute-scheduling-image") / "tiny.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(path), "10M"], check=True,
                   capture_output=True, timeout=60)
    images = cloud.url + "/image/v2/images"
    headers = {"X-Auth-Token": api.token}
    image = requests.post(images, headers=headers, timeout=30, json={
        "name": "tiny", "disk_format": "qcow2", "container_format": "bare"}).json()
    with open(path, "rb") as data:
        requests.put(f"{images}/{image['id']}/file", data=data, timeout=60, headers=dict(
            headers, **{"Content-Type": "application/octet-stream"})).raise_for_status()
    return image["id"]


def make_flavor(api, name, extra_specs=None):
    assert api.post("/flavors", {"flavor": {"name": name, "id": name, "vcpus": 1,
                                            "ram": SERVER_RAM_MB, "disk": 1}}
                    ).status_code == 200
    if extra_specs:
        api.post(f"/flavors/{name}/os-extra_specs", {"extra_specs": extra_specs})
    return name


@pytest.fixture(scope="module")
def flavor(api):
    return make_flavor(api, "half-gig")


def create(api, image_id, flavor, name, **fields):
    resp = api.post("/servers", {"server": dict(
        {"name": name, "imageRef": image_id, "flavorRef": flavor, "networks": "none"},
        **fields)})
    assert resp.status_code == 202, resp.text
    return resp.json()["server"]["id"]


@pytest.fixture
def clean(api):
    """Delete every server the test made, and check every claim went with them."""
    yield
    for server in api.get("/servers").json()["servers"]:
        api.delete(f"/servers/{server['id']}")
    for server in api.get("/servers").json()["servers"]:
        api.wait_for_server(server["id"], (None,))
    nodes = api.get("/os-hypervisors/detail").json()["hypervisors"]
    assert [(n["memory_mb_used"], n["running_vms"]) for n in nodes] == [(0, 0)] * HOSTS


def events_of(api, server_id):
    actions = api.get(f"/servers/{server_id}/os-instance-actions").json()["instanceActions"]
    create_action = api.get(f"/servers/{server_id}/os-instance-actions/"
                            f"{actions[-1]['request_id']}").json()["instanceAction"]
    return [(e["event"], e["result"], e["host"]) for e in create_action["events"]]


def test_failed_build_is_rescheduled_to_an_alternate(cloud, api, image_id, flavor, hosts,
                                                     clean):
    # Fill part of the last host so the RAM weigher (spreading) tries the others first,
    # and make builds fail on those others.
    filler = create(api, image_id, flavor, "filler", host=hosts[2])
    assert api.wait_for_server(filler)["OS-EXT-SRV-ATTR:host"] == hosts[2]
    flaky = make_flavor(api, "flaky", {"fake:fail_on_host": f"{hosts[0]},{hosts[1]}"})
    server = api.wait_for_server(create(api, image_id, flaky, "survivor"))
    assert server["status"] == "ACTIVE" and server["OS-EXT-SRV-ATTR:host"] == hosts[2]
    builds = [e for e in events_of(api, server["id"])
              if e[0] == "compute_build_and_run_instance"]
    assert sorted(builds[:2]) == sorted([
        ("compute_build_and_run_instance", "Error", hosts[0]),
        ("compute_build_and_run_instance", "Error", hosts[1])])
    assert builds[2] == ("compute_build_and_run_instance", "Success", hosts[2])
    # The same history through the stock CLI.
    request_id = cloud.openstack("server", "event", "list", "survivor")[0]["Request ID"]
    shown = cloud.openstack("server", "event", "show", "survivor", request_id)
    assert [(e["event"], e["result"]) for e in shown["events"]
            if e["event"] != "compute__schedule_instances"] == [
        ("api_validate_token", "Success"), ("compute_api_create", "Success"),
        ("compute_build_and_run_instance", "Error"),
        ("compute_build_and_run_instance", "Error"),
        ("compute_build_and_run_instance", "Success")]


def test_build_failing_everywhere_ends_in_error_after_max_attempts(api, image_id, clean):
    doomed = make_flavor(api, "doomed", {"fake:fail_on_host": "*"})
    server = api.wait_for_server(create(api, image_id, doomed, "doomed"))
    assert server["status"] == "ERROR"
    assert server["fault"]["message"].startswith("Exceeded maximum number of retries.")
    assert "Injected failure" in server["fault"]["message"]
    builds = [e for e in events_of(api, server["id"])
              if e[0] == "compute_build_and_run_instance"]
    assert len(builds) == 3 and len({host for _, _, host in builds}) == 3


def test_concurrent_creates_never_overcommit(api, image_id, flavor, hosts, clean):
    requests_made = 30
    room = PER_HOST * HOSTS
    with concurrent.futures.ThreadPoolExecutor(requests_made) as pool:
        ids = list(pool.map(lambda i: create(api, image_id, flavor, f"rush-{i}"),
                            range(requests_made)))
    servers = [api.wait_for_server(server_id) for server_id in ids]
    by_status = collections.Counter(s["status"] for s in servers)
    assert by_status == {"ACTIVE": room, "ERROR": requests_made - room}
    for server in servers:
        if server["status"] == "ERROR":
            assert server["fault"]["message"].startswith("No valid host was found.")
    per_host = collections.Counter(s["OS-EXT-SRV-ATTR:host"] for s in servers
                                   if s["status"] == "ACTIVE")
    assert per_host == {host: PER_HOST for host in hosts}
    for node in api.get("/os-hypervisors/detail").json()["hypervisors"]:
        assert node["memory_mb_used"] == PER_HOST * SERVER_RAM_MB <= node["memory_mb"]
        assert node["running_vms"] == PER_HOST


def test_host_forced_down_gets_no_servers(api, image_id, flavor, hosts, clean):
    services = {s["host"]: s for s in api.get(
        "/os-services", params={"binary": "nova-compute"}).json()["services"]}
    assert set(services) == set(hosts)
    down, *up = hosts
    path = f"/os-services/{services[down]['id']}"
    assert api.put(path, {"forced_down": True}).json()["service"]["state"] == "down"
    try:
        ids = [create(api, image_id, flavor, f"spread-{i}") for i in range(2 * PER_HOST)]
        placed = collections.Counter(api.wait_for_server(i)["OS-EXT-SRV-ATTR:host"]
                                     for i in ids)
        assert placed == {host: PER_HOST for host in up}
    finally:
        assert api.put(path, {"forced_down": False}).json()["service"]["state"] == "up"
