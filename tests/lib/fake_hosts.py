"""A cloud of fake compute hosts (two agents with the fake driver in the cloud's
process) for the tests that move servers between them, and the helpers those tests
share. A test module imports the fixtures it uses (``cloud``, ``hosts``, ``api``,
``demo_api``, ``image``) from here; its cloud's directory is named after the module."""
import os
import time

import pytest

from controller.volume.backend.exports import ExportDaemons
from tests.lib.cloud import Cloud

HOSTS = 2
HOST_RAM_MB = 2048
LATEST = "2.79"


def fake_hosts_cloud(workdir, hosts=HOSTS):
    """A cloud (not started) of ``hosts`` fake hosts of ``HOST_RAM_MB`` each, memory
    neither overcommitted nor reserved, quotas out of the way."""
    return Cloud(workdir, conf={
        "agent": {"fake_hosts": str(hosts)},
        "fake_driver": {"memory_mb": str(HOST_RAM_MB)},
        "scheduler": {"ram_allocation_ratio": "1.0", "reserved_host_memory_mb": "0"},
        "quota": {"instances": "100", "cores": "200", "ram": "1000000"},
    })


@pytest.fixture(scope="module")
def cloud(request, tmp_path_factory):
    name = request.module.__name__.rpartition(".")[2]
    instance = fake_hosts_cloud(tmp_path_factory.mktemp(name))
    try:
        yield instance.start()
    finally:
        instance.stop()
        # Volume exports outlive the service on purpose; a failed test must not leave any.
        ExportDaemons(os.path.join(instance.workdir, "state", "volumes", "exports")).stop_all()


@pytest.fixture(scope="module")
def hosts(cloud):
    return [f"{cloud.sections['DEFAULT']['host']}-{index}" for index in range(HOSTS)]


@pytest.fixture(scope="module")
def api(compute_session):
    return compute_session()


@pytest.fixture(scope="module")
def demo_api(cloud, compute_session):
    cloud.add_member_project("demo", "demo-secret")
    return compute_session(user="demo", password="demo-secret", project="demo")


@pytest.fixture(scope="module")
def image(cloud):
    return cloud.blank_image("tiny", "--public")["id"]


def make_flavor(api, name, vcpus=1, ram=256, disk=1, extra_specs=None):
    assert api.post("/flavors", {"flavor": {"name": name, "id": name, "vcpus": vcpus,
                                            "ram": ram, "disk": disk}}).status_code == 200
    if extra_specs:
        api.post(f"/flavors/{name}/os-extra_specs", {"extra_specs": extra_specs})
    return name


def usage(api):
    """host → (vCPUs, MB, VMs) claimed there."""
    return {n["hypervisor_hostname"]: (n["vcpus_used"], n["memory_mb_used"],
                                       n["running_vms"])
            for n in api.get("/os-hypervisors/detail").json()["hypervisors"]}


def eventually_free(api, hosts, seconds=10):
    """Whether every claim is gone within ``seconds``: the source host of a server
    deleted while waiting for its verdict lets go after the delete (as in Nova)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if usage(api) == {host: (0, 0, 0) for host in hosts}:
            return True
        time.sleep(0.1)
    return False


def delete_all(api, hosts):
    """Delete every server, and check every claim went with them."""
    for server in api.get("/servers").json()["servers"]:
        api.delete(f"/servers/{server['id']}")
    for server in api.get("/servers").json()["servers"]:
        api.wait_for_server(server["id"], (None,))
    assert eventually_free(api, hosts)


def create(api, image, flavor, name, networks="none", **fields):
    resp = api.post("/servers", {"server": dict(
        {"name": name, "imageRef": image, "flavorRef": flavor, "networks": networks},
        **fields)})
    assert resp.status_code == 202, resp.text
    server = api.wait_for_server(resp.json()["server"]["id"])
    assert server["status"] == "ACTIVE", server
    return server


def act(api, server_id, action, argument=None, microversion=None):
    headers = {"OpenStack-API-Version": f"compute {microversion}"} if microversion else {}
    return api.post(f"/servers/{server_id}/action", {action: argument}, headers=headers)


def settled(api, server_id, status):
    server = api.wait_for_server(server_id, (status, "ERROR"))
    assert (server["status"], server["OS-EXT-STS:task_state"]) == (status, None), server
    return server


def migrations_of(api, server_id, microversion=LATEST):
    return api.get("/os-migrations", params={"instance_uuid": server_id}, headers={
        "OpenStack-API-Version": f"compute {microversion}"}).json()["migrations"]


def events(api, server_id, request_id):
    action = api.get(f"/servers/{server_id}/os-instance-actions/{request_id}").json()[
        "instanceAction"]
    return [(e["event"], e["result"]) for e in action["events"]], action


def other(hosts, host):
    return next(h for h in hosts if h != host)
