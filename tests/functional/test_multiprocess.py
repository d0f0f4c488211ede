"""The control plane as separate processes, as on a real multi-host cloud: the API, the
conductor and the scheduler each alone, and two fake agents, talking over a real RabbitMQ
and storing in PostgreSQL. The agents' configuration names no database at all."""
import collections
import subprocess
import time

import pytest
import requests

from tests.conftest import ComputeSession
from tests.lib import services
from tests.lib.cloud import Cloud
from tests.lib.multiprocess import AGENTS, Processes, start_services, wait_until_up

pytestmark = pytest.mark.skipif(not services.rabbitmq_installed(),
                                reason="rabbitmq-server is not installed")

# A restarted conductor or scheduler must be back before the agents count as down: under
# load a Python service takes several seconds to start.
DOWN_AFTER_SECONDS = 20


@pytest.fixture(scope="module")
def backends():
    with services.rabbitmq_vhost() as rabbit, services.postgres_database() as database:
        yield rabbit, database


@pytest.fixture(scope="module")
def deployment(backends, tmp_path_factory):
    rabbit, database = backends
    root = tmp_path_factory.mktemp("multiprocess")
    api = Cloud(root / "api", roles=["api"], with_agent=False, conf={
        "DEFAULT": {"transport_url": rabbit, "host": "api-host"},
        "database": {"connection": database},
        "scheduler": {"service_down_time": str(DOWN_AFTER_SECONDS)}})
    processes = Processes(str(root))
    try:
        api.start()
        start_services(api, processes, root, rabbit)
        yield api, processes, root
    finally:
        processes.stop()
        api.stop()


@pytest.fixture(scope="module")
def api(deployment):
    cloud, processes, _ = deployment
    session = ComputeSession(cloud)
    wait_until_up(session, processes)
    return session


def test_agents_configuration_names_no_database(deployment):
    _, _, root = deployment
    for host in AGENTS:
        text = (root / f"{host}.conf").read_text()
        assert "connection" not in text and "database" not in text


def test_every_service_reports_in(api):
    hosts = {(s["binary"], s["host"]) for s in api.get("/os-services").json()["services"]}
    assert hosts == {("nova-conductor", "conductor-host"),
                     ("nova-scheduler", "scheduler-host"),
                     *(("nova-compute", host) for host in AGENTS)}
    nodes = api.get("/os-hypervisors").json()["hypervisors"]
    assert sorted(n["hypervisor_hostname"] for n in nodes) == sorted(AGENTS)


@pytest.fixture(scope="module")
def image_id(deployment, api, tmp_path_factory):
    cloud = deployment[0]
    image = tmp_path_factory.mktemp("multiprocess-image") / "tiny.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(image), "10M"], check=True,
                   capture_output=True, timeout=60)
    headers = {"X-Auth-Token": api.token}
    images = cloud.url + "/image/v2/images"
    image_id = requests.post(images, headers=headers, timeout=30, json={
        "name": "tiny", "disk_format": "qcow2", "container_format": "bare"}).json()["id"]
    with open(image, "rb") as data:
        requests.put(f"{images}/{image_id}/file", data=data, timeout=60, headers=dict(
            headers, **{"Content-Type": "application/octet-stream"})).raise_for_status()
    return image_id


@pytest.fixture(scope="module")
def create(api, image_id):
    api.post("/flavors", {"flavor": {"name": "small", "id": "small", "ram": 256,
                                     "vcpus": 1, "disk": 1}}).raise_for_status()
    api.post("/flavors", {"flavor": {"name": "huge", "id": "huge", "ram": 256,
                                     "vcpus": 1, "disk": 100000}}).raise_for_status()

    def create_server(name, flavor="small"):
        resp = api.post("/servers", {"server": {"name": name, "imageRef": image_id,
                                                "flavorRef": flavor, "networks": "none"}})
        assert resp.status_code == 202, resp.text
        return resp.json()["server"]["id"]

    return create_server


def test_servers_land_on_the_agents(deployment, api, create):
    _, processes, _ = deployment
    ids = [create(f"vm-{i}", "small") for i in range(4)]
    servers = [api.wait_for_server(server_id) for server_id in ids]
    assert [s["status"] for s in servers] == ["ACTIVE"] * 4, processes.log("conductor")
    placed = collections.Counter(s["OS-EXT-SRV-ATTR:host"] for s in servers)
    assert set(placed) == set(AGENTS)      # the scheduler spreads them

    # A reply and an error crossing the broker: a console log, and no valid host.
    output = api.post(f"/servers/{ids[0]}/action", {"os-getConsoleOutput": {}}).json()
    assert servers[0]["OS-EXT-SRV-ATTR:host"] in output["output"]
    too_big = api.wait_for_server(create("too-big", "huge"))
    assert too_big["fault"]["message"].startswith("No valid host was found.")

    assert api.post(f"/servers/{ids[1]}/action", {"os-stop": None}).status_code == 202
    assert api.wait_for_server(ids[1], ("SHUTOFF",))["OS-EXT-STS:power_state"] == 4
    for server_id in ids + [too_big["id"]]:
        assert api.delete(f"/servers/{server_id}").status_code == 204
    for server_id in ids:
        assert api.wait_for_server(server_id, (None,)) is None
    processes.check_alive()


def test_a_dead_agent_goes_down_and_gets_nothing(deployment, api, create):
    _, processes, _ = deployment
    processes.kill("agent-b")
    deadline = time.monotonic() + DOWN_AFTER_SECONDS + 30
    while time.monotonic() < deadline:
        states = {s["host"]: s["state"] for s in api.get(
            "/os-services", params={"binary": "nova-compute"}).json()["services"]}
        if states["agent-b"] == "down":
            break
        time.sleep(0.5)
    assert states == {"agent-a": "up", "agent-b": "down"}
    ids = [create(f"after-{i}") for i in range(3)]
    hosts = {api.wait_for_server(i)["OS-EXT-SRV-ATTR:host"] for i in ids}
    assert hosts == {"agent-a"}
    for server_id in ids:
        api.delete(f"/servers/{server_id}")


@pytest.mark.parametrize("service", ["conductor", "scheduler"])
def test_builds_sent_while_a_control_service_is_dead_finish_when_it_returns(
        deployment, api, create, service):
    """Killed (SIGKILL) with builds on their way to it, a conductor or scheduler loses
    none of them: the requests wait in RabbitMQ, and the restarted service builds them."""
    _, processes, root = deployment
    processes.kill(service)
    ids = [create(f"{service}-down-{i}") for i in range(3)]
    time.sleep(1)
    assert {api.get(f"/servers/{i}").json()["server"]["status"] for i in ids} == {"BUILD"}
    processes.start(service, "controller.cmd.controller", str(root / f"{service}.conf"),
                    "--roles", service)
    servers = [api.wait_for_server(i, timeout=90) for i in ids]
    assert [s["status"] for s in servers] == ["ACTIVE"] * 3, [s.get("fault") for s in servers]
    for server_id in ids:
        api.delete(f"/servers/{server_id}")
