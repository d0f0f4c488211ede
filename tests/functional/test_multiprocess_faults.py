"""Faults in the multi-process deployment (API, conductor, scheduler and two fake agents
as separate processes on RabbitMQ and PostgreSQL): ``kill -9`` of each service while
ten builds are under way, then a restart. Every server must end ACTIVE within 60 s — a
build caught by the kill is finished, rescheduled or sent again, never failed — and no
claim may outlive its server (the hypervisors' usage is that of the ACTIVE servers, and
nothing once they are deleted). The restart of RabbitMQ is in
``test_multiprocess_broker`` (on a broker of its own), and with real guests in
``tests/system/test_build_recovery.py``."""
import concurrent.futures
import contextlib
import os
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import ComputeSession
from tests.lib import services
from tests.lib.cloud import REPO, Cloud
from tests.lib.multiprocess import AGENTS, Processes, start_services, wait_until_up

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not services.rabbitmq_installed(),
                                 reason="rabbitmq-server is not installed")]

BUILDS = 10
SETTLE_SECONDS = 60
SPAWN_SECONDS = 2
# Stuck builds are recovered quickly enough to settle within SETTLE_SECONDS. An agent
# is down after 20 s without a heartbeat: the agents' heartbeats go through the
# conductor, and a shorter time would take them for dead while it restarts.
FAST_FAILURE = {"compute": {"build_timeout": "15", "build_check_interval": "2"},
                "scheduler": {"service_down_time": "20"}}


@contextlib.contextmanager
def multiprocess_deployment(root, rabbit, database, fast_failure=FAST_FAILURE):
    """The API (``Cloud``), the conductor, the scheduler and two fake agents as
    separate processes (``Processes``) on ``rabbit`` and ``database``; all stopped
    afterwards."""
    api = Cloud(root / "api", roles=["api"], with_agent=False, conf={
        "DEFAULT": {"transport_url": rabbit, "host": "api-host"},
        "database": {"connection": database}, **fast_failure})
    processes = Processes(str(root))
    try:
        api.start()
        # Builds last long enough to be caught mid-spawn.
        start_services(api, processes, root, rabbit,
                       agent_conf={"fake_driver": {"spawn_seconds": str(SPAWN_SECONDS)}})
        yield api, processes
    finally:
        processes.stop()
        api.stop()


def compute_session(cloud, processes, root):
    """A compute session once every service is up, with flavor ``f`` and a tiny image
    (``image_id``)."""
    compute = ComputeSession(cloud)
    wait_until_up(compute, processes)
    compute.post("/flavors", {"flavor": {"name": "f", "id": "f", "ram": 64, "vcpus": 1,
                                         "disk": 1}}).raise_for_status()
    image = os.path.join(str(root), "tiny.qcow2")
    subprocess.run(["qemu-img", "create", "-f", "qcow2", image, "10M"], check=True,
                   capture_output=True, timeout=60)
    images = cloud.url + "/image/v2/images"
    headers = {"X-Auth-Token": compute.token}
    compute.image_id = requests.post(images, headers=headers, timeout=30, json={
        "name": "tiny", "disk_format": "qcow2", "container_format": "bare"}).json()["id"]
    with open(image, "rb") as data:
        requests.put(f"{images}/{compute.image_id}/file", data=data, timeout=60,
                     headers=dict(headers, **{"Content-Type": "application/octet-stream"})
                     ).raise_for_status()
    return compute


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    with services.rabbitmq_vhost() as rabbit, services.postgres_database() as database:
        root = tmp_path_factory.mktemp("faults")
        with multiprocess_deployment(root, rabbit, database) as (api, processes):
            yield api, processes, root


@pytest.fixture(scope="module")
def session(deployment):
    return compute_session(*deployment)


def _restart_api(cloud):
    cloud.process = subprocess.Popen(
        [sys.executable, "-m", "controller.cmd.controller", "--config-file",
         cloud.config_file, "--roles", "api"], cwd=REPO, stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(cloud.workdir, "stderr.log"), "a"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(cloud.auth_url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError("the API did not come back:\n" + cloud.log_tail())


def _create(session, name):
    try:
        resp = session.post("/servers", {"server": {
            "name": name, "imageRef": session.image_id, "flavorRef": "f",
            "networks": "none"}})
    except requests.RequestException:
        return None                   # the API died under this request
    return resp.json()["server"]["id"] if resp.status_code == 202 else None


@pytest.mark.parametrize("service", ["conductor", "scheduler", *AGENTS, "api"])
def test_kill_9_during_ten_builds_then_restart(deployment, session, service):
    cloud, processes, root = deployment
    with concurrent.futures.ThreadPoolExecutor(BUILDS) as pool:
        futures = [pool.submit(_create, session, f"{service}-{i}") for i in range(BUILDS)]
        # Builds under way: the first accepted, the others on their way or in flight;
        # an agent is killed in the middle of one of its spawns.
        concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED)
        if service in AGENTS:
            _wait_for_a_spawn_on(session, service, f"^{service}-")
        if service == "api":
            cloud.process.kill()
            cloud.process.wait()
        else:
            processes.kill(service)
        ids = [future.result() for future in futures]
    time.sleep(1)
    if service == "api":
        _restart_api(cloud)
    elif service in AGENTS:
        processes.start(service, "agent.cmd", str(root / f"{service}.conf"))
    else:
        processes.start(service, "controller.cmd.controller", str(root / f"{service}.conf"),
                        "--roles", service)
    # Every server that exists, also one whose 202 was lost with a killed API.
    listed = session.get("/servers", params={"name": f"^{service}-"}).json()["servers"]
    accepted = sorted({server["id"] for server in listed})
    assert set(filter(None, ids)) <= set(accepted) and accepted, (ids, listed)
    servers = [session.wait_for_server(i, timeout=SETTLE_SECONDS) for i in accepted]
    # A build caught by the kill is finished, rescheduled or sent again: none fails.
    assert [server["status"] for server in servers] == ["ACTIVE"] * len(servers), [
        (server["status"], server.get("fault")) for server in servers]
    active = sum(server["status"] == "ACTIVE" for server in servers)
    assert _vcpus_used(session, active) == active, [s["status"] for s in servers]

    for server_id in accepted:
        assert session.delete(f"/servers/{server_id}").status_code == 204
    for server_id in accepted:
        session.wait_for_server(server_id, (None,), timeout=SETTLE_SECONDS)
    assert _vcpus_used(session, 0) == 0
    processes.check_alive()


def _wait_for_a_spawn_on(session, host, name, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        servers = session.get("/servers/detail", params={"name": name}).json()["servers"]
        if any(server["OS-EXT-SRV-ATTR:host"] == host
               and server["OS-EXT-STS:task_state"] == "spawning" for server in servers):
            return
        time.sleep(0.1)
    raise AssertionError(f"no build reached its spawn on {host}")


def _vcpus_used(session, expected, timeout=15):
    """vCPUs claimed across the hypervisors (each server of flavor f claims one), once
    it is ``expected`` or ``timeout`` has passed."""
    deadline = time.monotonic() + timeout
    while True:
        nodes = session.get("/os-hypervisors/detail").json()["hypervisors"]
        used = sum(node["vcpus_used"] for node in nodes)
        if used == expected or time.monotonic() > deadline:
            return used
        time.sleep(0.5)
