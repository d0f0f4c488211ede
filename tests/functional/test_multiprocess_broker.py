"""A restart of RabbitMQ under the multi-process deployment (API, conductor, scheduler
and two fake agents as separate processes, PostgreSQL) while ten builds are under way.

The broker is this module's own node (``services.PrivateRabbitMQ``): restarting the
machine's shared one would break every other test using it. While it is down the API
keeps answering promptly (a create is recorded and answered 202; its build waits for
the conductor's check of stuck builds); once it is back every request succeeds, and
every server ends ACTIVE — messages lost with the broker's queues are sent again —
within 60 s."""
import concurrent.futures
import time

import pytest
import requests

from tests.functional.test_multiprocess_faults import (BUILDS, SETTLE_SECONDS,
                                                       _vcpus_used, compute_session,
                                                       multiprocess_deployment)
from tests.lib import services

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not services.rabbitmq_installed(),
                                 reason="rabbitmq-server is not installed")]

# How long a request may take while the broker is down: a create gives up sending its
# build after a few reconnection attempts (controller.conductor.rpcapi).
PROMPT_SECONDS = 15
# Lost builds are sent again after 15 s; an agent is down after Nova's default 60 s
# without a heartbeat, longer than the broker's restart takes here (up to ~30 s under
# load): the agents' heartbeats cross the broker too.
FAST_FAILURE = {"compute": {"build_timeout": "15", "build_check_interval": "2"},
                "scheduler": {"service_down_time": "60"}}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    with services.PrivateRabbitMQ() as broker, services.postgres_database() as database:
        root = tmp_path_factory.mktemp("broker")
        with multiprocess_deployment(root, broker.url, database,
                                     FAST_FAILURE) as (api, processes):
            yield broker, api, processes, root


def _create_or_why(session, name):
    """The new server's id, or what the API answered instead (for the assertion)."""
    try:
        resp = session.post("/servers", {"server": {
            "name": name, "imageRef": session.image_id, "flavorRef": "f",
            "networks": "none"}})
    except requests.RequestException as exc:
        return f"{name}: {exc!r}"
    if resp.status_code != 202:
        return f"{name}: {resp.status_code} {resp.text[:300]}"
    return resp.json()["server"]["id"]


def _timed(request, *args, **kwargs):
    started = time.monotonic()
    response = request(*args, **kwargs)
    return response, time.monotonic() - started


def test_broker_restart_during_ten_builds(deployment):
    broker, cloud, processes, root = deployment
    session = compute_session(cloud, processes, root)
    assert session.put(f"/os-quota-sets/{session.project_id}", {"quota_set": {
        "instances": 2 * BUILDS}}).status_code == 200
    with concurrent.futures.ThreadPoolExecutor(BUILDS) as pool:
        futures = [pool.submit(_create_or_why, session, f"broker-{i}")
                   for i in range(BUILDS)]
        concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED)
        broker.stop()
        ids = [future.result() for future in futures]

        # Down: what needs no broker answers as ever, a create is recorded (202).
        listing, took = _timed(session.get, "/servers")
        assert listing.status_code == 200 and took < PROMPT_SECONDS, (listing.text, took)
        resp, took = _timed(session.post, "/servers", {"server": {
            "name": "broker-outage", "imageRef": session.image_id, "flavorRef": "f",
            "networks": "none"}})
        assert resp.status_code == 202 and took < PROMPT_SECONDS, (resp.text, took)
        ids.append(resp.json()["server"]["id"])
    assert all(len(i) == 36 for i in ids), ids      # the API answered every create
    broker.start()

    # Back: every request succeeds, builds sent now included.
    after = [_create_or_why(session, f"broker-after-{i}") for i in range(3)]
    assert all(len(i) == 36 for i in after), after
    for _ in range(5):
        assert session.get("/servers/detail").status_code == 200
        assert session.get("/os-hypervisors/detail").status_code == 200

    servers = [session.wait_for_server(i, timeout=SETTLE_SECONDS) for i in ids + after]
    assert [server["status"] for server in servers] == ["ACTIVE"] * len(servers), [
        (server["status"], server.get("fault")) for server in servers]
    # A call across the broker works again (the console log comes from the agent).
    output = session.post(f"/servers/{after[0]}/action", {"os-getConsoleOutput": {}})
    assert output.status_code == 200, output.text
    assert _vcpus_used(session, len(servers)) == len(servers)

    for server_id in ids + after:
        assert session.delete(f"/servers/{server_id}").status_code == 204
    for server_id in ids + after:
        session.wait_for_server(server_id, (None,), timeout=SETTLE_SECONDS)
    assert _vcpus_used(session, 0) == 0
    processes.check_alive()
    requests.get(cloud.auth_url, timeout=10).raise_for_status()
