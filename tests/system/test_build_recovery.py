"""Faults under real guests (libvirt, domain type qemu, the tiny image, 128 MiB): the
API and scheduler, the conductor and the agent as separate processes on a RabbitMQ node
of this module's own and PostgreSQL.

- An agent killed after its guest started, before it could say so, finishes the build
  when it restarts: the server becomes ACTIVE with the same guest, which answers.
- A restart of the broker while guests are being built: every server ends ACTIVE or
  ERROR with a fault within ``SETTLE_SECONDS`` of the broker's return (a lost build is
  sent again, a stuck one failed, after ``BUILD_TIMEOUT``).

After each, the servers are deleted and nothing of them is left on the host: no domain,
no disk, no port, no tap, bridge or namespace of the test's network, no nftables table,
chain or rule naming the network or a port.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

import libvirt
import pytest

from tests.lib.multiprocess import write_ini
from tests.lib import services
from tests.lib.cloud import REPO, Cloud
from tests.system.test_compute_libvirt import (BOOT_TIMEOUT, Api, Resources,
                                               delete_servers, fixed_address,
                                               host_network_leftovers, libvirt_cloud_conf,
                                               ping_from_dhcp_namespace, qemu_workdir, run,
                                               wait_for)

pytestmark = [pytest.mark.system, pytest.mark.slow,
              pytest.mark.skipif(not services.rabbitmq_installed(),
                                 reason="RabbitMQ is not installed")]

# A killed agent counts as up until ``service_down_time`` after its last heartbeat, and
# the conductor fails a build on an up agent that made no progress for ``build_timeout``:
# both must outlast an agent's restart on a loaded machine (25 s and more at load 40),
# or the conductor fails the build the restarted agent was to finish.
BUILD_TIMEOUT = 90
SETTLE_SECONDS = BUILD_TIMEOUT + 120
CIDR = "10.233.0.0/24"


class Split:
    """The conductor and the agent as processes of their own, next to the cloud's
    API-and-scheduler process, so that each can be stopped, killed and restarted."""

    def __init__(self, cloud, workdir):
        self.cloud = cloud
        self.workdir = workdir
        self.processes = {}

    def start(self, name):
        """Start the ``conductor`` or the ``agent``, logging to ``<name>.log``."""
        sections = {section: dict(values) for section, values in self.cloud.sections.items()}
        sections["DEFAULT"]["log_file"] = os.path.join(self.workdir, f"{name}.log")
        config = os.path.join(self.workdir, f"{name}.conf")
        write_ini(config, sections)
        cmd = (["controller.cmd.controller", "--config-file", config, "--roles", "conductor"]
               if name == "conductor" else ["agent.cmd", "--config-file", config])
        with open(os.path.join(self.workdir, f"{name}.out"), "a") as output:
            self.processes[name] = subprocess.Popen([sys.executable, "-m", *cmd],
                                                    cwd=REPO, stdout=output,
                                                    stderr=output)
        return self.processes[name]

    def signal(self, name, signum):
        self.processes[name].send_signal(signum)

    def kill(self, name):
        process = self.processes.pop(name)
        process.kill()
        process.wait(timeout=30)

    def output(self, name):
        text = ""
        for suffix in ("out", "log"):
            path = os.path.join(self.workdir, f"{name}.{suffix}")
            if os.path.exists(path):
                with open(path) as output:
                    text += f"--- {name}.{suffix}\n" + output.read()[-4000:]
        return text

    def stop(self):
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def split_cloud(libvirt_conn, tiny_image):
    workdir = qemu_workdir("ps-build-recovery-")
    with services.PrivateRabbitMQ() as broker, services.postgres_database() as database:
        cloud = Cloud(workdir, conf=libvirt_cloud_conf(
            DEFAULT={"transport_url": broker.url},
            database={"connection": database},
            # A lost build is sent again sooner than by default (300 s), but neither it
            # nor a dead agent's build is taken over during an agent's restart (above).
            compute={"build_timeout": str(BUILD_TIMEOUT), "build_check_interval": "2"},
            scheduler={"service_down_time": str(BUILD_TIMEOUT)}),
            roles=["api", "scheduler"], with_agent=False)
        split = Split(cloud, workdir)
        try:
            cloud.start(timeout=120)
            split.start("conductor")
            split.start("agent")
            cloud.wait_for_agent(time.monotonic() + 180)
            cloud.broker = broker
            cloud.split = split
            cloud.resources = Resources(cloud, tiny_image, workdir, CIDR)
            cloud.api = Api(cloud)
            yield cloud
        finally:
            try:
                if "agent" in split.processes and cloud.process.poll() is None:
                    delete_servers(cloud)
            finally:
                split.stop()
                cloud.stop()
                shutil.rmtree(workdir, ignore_errors=True)


class Traces:
    """What servers of the test leave on the host, by their ids and their ports'."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.servers = set()
        self.ports = set()

    def note(self, server_ids):
        self.servers |= set(server_ids)
        for server_id in server_ids:
            self.ports |= {port["id"] for port in self.cloud.api.ports(device_id=server_id)}

    def left(self):
        network = self.cloud.resources.network
        state_path = self.cloud.sections["DEFAULT"]["state_path"]
        domains = set(run("virsh", "-c", "qemu:///system", "list", "--all", "--uuid")
                      .stdout.split())
        links = run("ip", "-o", "link", "show").stdout
        ruleset = run("nft", "list", "ruleset").stdout
        left = [f"domain {uuid}" for uuid in self.servers & domains]
        left += [f"disk {uuid}" for uuid in self.servers
                 if os.path.exists(os.path.join(state_path, "instances", uuid))]
        left += [f"port {port['id']}" for server_id in self.servers
                 for port in self.cloud.api.ports(device_id=server_id)]
        left += [f"tap of {port_id}" for port_id in self.ports
                 if f"tap{port_id[:11]}" in links]
        left += [f"nftables of {name}" for name in self.ports | {network}
                 if name in ruleset]
        return left + host_network_leftovers(network)


def _create(cloud, name):
    res = cloud.resources
    return cloud.openstack("server", "create", "--image", res.image, "--flavor",
                           res.flavor, "--network", res.network, name)["id"]


def _delete_and_check(cloud, traces, server_ids):
    traces.note(server_ids)
    for server_id in server_ids:
        cloud.openstack("server", "delete", server_id, parse=False)
    wait_for(lambda: all(cloud.api.server(i) is None for i in server_ids), 120,
             "the servers to go")
    deadline = time.monotonic() + 30         # the agent unwires after the delete
    while traces.left() and time.monotonic() < deadline:
        time.sleep(1)
    assert traces.left() == []


def test_agent_killed_after_its_guest_started_finishes_the_build(split_cloud,
                                                                 libvirt_conn):
    """The conductor is stopped (SIGSTOP) once the guest is defined, so that the agent
    starts it but cannot report it; the agent is then killed."""
    cloud, split = split_cloud, split_cloud.split
    traces = Traces(cloud)
    server_id = _create(cloud, "finished-after-restart")
    domain = wait_for(lambda: _lookup(libvirt_conn, server_id), 120,
                      "the guest to be defined", 0.05)
    split.signal("conductor", signal.SIGSTOP)
    try:
        # Running, not just active: libvirt starts QEMU with its CPUs stopped and keeps
        # the domain paused ("starting up") until its start job ends.
        wait_for(lambda: domain.state()[0] == libvirt.VIR_DOMAIN_RUNNING, 60,
                 "the guest to start", 0.05)
        split.kill("agent")
    finally:
        split.signal("conductor", signal.SIGCONT)
    server = cloud.api.server(server_id)
    assert (server["status"], server["OS-EXT-STS:task_state"]) == ("BUILD", "spawning")
    domain_id = domain.ID()
    split.start("agent")
    try:
        server = cloud.api.wait_for_status(server_id, "ACTIVE", SETTLE_SECONDS)
    except AssertionError as exc:
        found = cloud.api.server(server_id)
        # Gone before the next test, which judges the network's host side.
        cloud.openstack("server", "delete", server_id, parse=False, check=False)
        raise AssertionError(f"{exc}\n--- the server: {found}"
                             f"\n--- the agent:\n{split.output('agent')}") from None
    # The same guest, not a new one, and it works.
    assert _lookup(libvirt_conn, server_id).ID() == domain_id
    assert server["OS-EXT-STS:power_state"] == 1 and server["OS-SRV-USG:launched_at"]
    address = fixed_address(server)
    wait_for(lambda: ping_from_dhcp_namespace(cloud.resources.network, address),
             BOOT_TIMEOUT, f"the guest to answer at {address}", interval=2)
    _delete_and_check(cloud, traces, [server_id])


def test_broker_restart_while_guests_build(split_cloud):
    cloud = split_cloud
    traces = Traces(cloud)
    ids = [_create(cloud, f"broker-{i}") for i in range(2)]
    wait_for(lambda: any(cloud.api.server(i)["OS-EXT-STS:task_state"] != "scheduling"
                         for i in ids), 120, "a build on the host", 0.1)
    cloud.broker.stop()
    cloud.broker.start()
    back = time.monotonic()
    servers = [cloud.api.server(i) for i in ids]
    while (any(server["status"] == "BUILD" for server in servers)
           and time.monotonic() - back < SETTLE_SECONDS):
        time.sleep(1)
        servers = [cloud.api.server(i) for i in ids]
    for server in servers:
        assert server["status"] == "ACTIVE" or server.get("fault", {}).get("message"), (
            server, split_cloud.split.output("agent"))
    # Once it is back, requests across the broker succeed again.
    extra = _create(cloud, "broker-after")
    assert cloud.api.wait_for_status(extra, "ACTIVE", BOOT_TIMEOUT)
    _delete_and_check(cloud, traces, ids + [extra])


def _lookup(conn, server_id):
    import libvirt
    try:
        return conn.lookupByUUIDString(server_id)
    except libvirt.libvirtError:
        return None
