"""Real, networked guests end to end: the stock ``openstack`` CLI against a controller
whose agent runs the libvirt driver (domain type qemu), the tiny image, a network with
DHCP — then stop, start, reboot, a guest killed behind the cloud's back, delete leaving
nothing behind, two builds sharing one download, and an agent killed mid-build."""
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest
import requests

from tests.lib import services
from tests.lib.cloud import ADMIN_PASSWORD, REPO, Cloud
from tests.system.conftest import LIBVIRT_URI, VIRT_TYPE

pytestmark = [pytest.mark.system, pytest.mark.slow]

BOOT_TIMEOUT = 180
FLAVOR_MIB = 128


def run(*cmd, check=True, timeout=60):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def wait_for(predicate, timeout, what, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def libvirt_cloud_conf(**sections):
    conf = {"agent": {"virt_driver": "libvirt", "force_config_drive": "true",
                      "shutdown_timeout": "30"},
            "libvirt": {"virt_type": VIRT_TYPE}}
    for section, values in sections.items():
        conf.setdefault(section, {}).update(values)
    return conf


def qemu_workdir(prefix):
    """Not pytest's 0700 tmp_path: QEMU runs as its own user and must reach the disks."""
    workdir = tempfile.mkdtemp(prefix=prefix, dir="/var/tmp")
    os.chmod(workdir, 0o755)
    return workdir


class Api:
    """Raw HTTP with an admin token, for polling faster than a CLI call per look."""

    def __init__(self, cloud):
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": ADMIN_PASSWORD}}},
            "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
        resp = requests.post(cloud.auth_url + "/auth/tokens", json=body, timeout=30)
        resp.raise_for_status()
        self.cloud = cloud
        self.session = requests.Session()
        self.session.headers["X-Auth-Token"] = resp.headers["X-Subject-Token"]

    def server(self, server_id):
        resp = self.session.get(f"{self.cloud.url}/compute/v2.1/servers/{server_id}",
                                timeout=30)
        return None if resp.status_code == 404 else resp.json()["server"]

    def ports(self, **filters):
        return self.session.get(f"{self.cloud.url}/networking/v2.0/ports", params=filters,
                                timeout=30).json()["ports"]

    def wait_for_status(self, server_id, status, timeout):
        try:
            return wait_for(lambda: (lambda s: s if s and s["status"] == status else None)(
                self.server(server_id)), timeout, f"server {server_id} to be {status}", 0.2)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the cloud's log:\n{self.cloud.log_tail()}") from None


def domain_uuids():
    return run("virsh", "-c", LIBVIRT_URI, "list", "--all", "--uuid").stdout.split()


def host_network_leftovers(network_id):
    """What of the network's host side exists: bridge, DHCP namespace, dnsmasq."""
    left = []
    if f"brq{network_id[:11]}" in run("ip", "-o", "link", "show").stdout:
        left.append("bridge")
    if f"qdhcp-{network_id}" in run("ip", "netns", "list").stdout:
        left.append("namespace")
    if network_id in run("pgrep", "-af", "dnsmasq", check=False).stdout:
        left.append("dnsmasq")
    return left


def ping_from_dhcp_namespace(network_id, address):
    return run("ip", "netns", "exec", f"qdhcp-{network_id}", "ping", "-c", "1", "-W", "2",
               address, check=False).returncode == 0


def console(cloud, server):
    return cloud.openstack("console", "log", "show", server, parse=False).stdout


def fixed_address(server):
    return re.search(r"(\d+\.\d+\.\d+\.\d+)", json.dumps(server["addresses"])).group(1)


def allow_in_default_group(openstack, *rules):
    """Add ingress ``rules`` (CLI options) to the admin project's default group."""
    (group,) = [row["ID"] for row in openstack("security", "group", "list", "--project",
                                               "admin") if row["Name"] == "default"]
    for rule in rules:
        openstack("security", "group", "rule", "create", "--ingress", *rule, group)


class Resources:
    """Image, flavor, key pair and network of one cloud, made with the stock CLI."""

    def __init__(self, cloud, image_file, workdir, cidr):
        tag = secrets.token_hex(3)
        self.image = cloud.openstack("image", "create", "--disk-format", "qcow2",
                                     "--container-format", "bare", "--file", str(image_file),
                                     "--public", f"tiny-{tag}", timeout=300)["id"]
        self.flavor = cloud.openstack("flavor", "create", "--ram", str(FLAVOR_MIB),
                                      "--vcpus", "1", "--disk", "1", f"nano-{tag}")["id"]
        key = os.path.join(workdir, "id_ed25519")
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "compute-libvirt", "-f", key)
        # "256 SHA256:... compute-libvirt (ED25519)": the guest's banner shows the middle.
        self.key_fingerprint = run("ssh-keygen", "-l", "-f", key + ".pub").stdout.split()[1]
        self.key_name = f"key-{tag}"
        cloud.openstack("keypair", "create", "--public-key", key + ".pub", self.key_name)
        self.network = cloud.openstack("network", "create", f"net-{tag}")["id"]
        cloud.openstack("subnet", "create", "--network", self.network, "--subnet-range",
                        cidr, f"subnet-{tag}")
        # Guests are reached from the network's namespace: let ping and SSH in, as a user
        # of a cloud with security groups would.
        allow_in_default_group(cloud.openstack, ("--protocol", "icmp"),
                               ("--protocol", "tcp", "--dst-port", "22"))


def delete_servers(cloud):
    """Every server, through the API, so each one's guest and ports go with it."""
    for server in cloud.openstack("server", "list", "--all-projects"):
        cloud.openstack("server", "delete", server["ID"], parse=False, check=False)
    wait_for(lambda: not cloud.openstack("server", "list", "--all-projects"), 120,
             "the servers to go")


@contextlib.contextmanager
def libvirt_cloud(prefix, tiny_image, cidr, conf=None):
    """A cloud with a libvirt agent (configured by ``conf``, default
    ``libvirt_cloud_conf()``), its image, flavor, network and key pair (``.resources``)
    and a compute session (``.api``); its servers and files go after."""
    workdir = qemu_workdir(prefix)
    instance = Cloud(workdir, conf=conf or libvirt_cloud_conf())
    try:
        instance.start(timeout=120)
        instance.resources = Resources(instance, tiny_image, workdir, cidr)
        instance.api = Api(instance)
        yield instance
    finally:
        try:
            if instance.process is not None and instance.process.poll() is None:
                delete_servers(instance)
        finally:
            instance.stop()
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def cloud(libvirt_conn, tiny_image):
    with libvirt_cloud("ps-compute-libvirt-", tiny_image, "10.231.0.0/24") as instance:
        yield instance


def test_stock_cli_builds_a_networked_guest_and_deletes_it_without_a_trace(cloud):
    res = cloud.resources
    server = cloud.openstack("server", "create", "--image", res.image, "--flavor",
                             res.flavor, "--network", res.network, "--key-name",
                             res.key_name, "--wait", "vm-net", timeout=BOOT_TIMEOUT)
    assert server["status"] == "ACTIVE", cloud.log_tail()
    server_id, address = server["id"], fixed_address(server)
    (port,) = cloud.api.ports(device_id=server_id)
    assert port["binding:host_id"] == cloud.sections["DEFAULT"]["host"]
    assert port["fixed_ips"][0]["ip_address"] == address
    events = {e["event"] for a in cloud.openstack("server", "event", "list", server_id)
              for e in cloud.openstack("server", "event", "show", server_id,
                                       a["Request ID"])["events"]}
    assert {"compute_networking", "compute_build_and_run_instance"} <= events

    # The config drive named the guest and gave it the key; DHCP gave it the address.
    text = wait_for(lambda: (lambda out: out if "end of banner" in out else None)(
        console(cloud, server_id)), BOOT_TIMEOUT, "the guest's banner")
    assert "hostname: vm-net" in text and "datasource: config-drive" in text
    assert f"ssh-key: ssh-ed25519 {res.key_fingerprint}" in text
    assert f"address: eth0 {address}/24" in text
    wait_for(lambda: ping_from_dhcp_namespace(res.network, address), 60, f"ping {address}")

    # Stop, start and reboot; the guest answers again after each.
    cloud.openstack("server", "stop", server_id, parse=False)
    cloud.api.wait_for_status(server_id, "SHUTOFF", 90)
    assert not ping_from_dhcp_namespace(res.network, address)
    cloud.openstack("server", "start", server_id, parse=False)
    cloud.api.wait_for_status(server_id, "ACTIVE", 60)
    wait_for(lambda: ping_from_dhcp_namespace(res.network, address), BOOT_TIMEOUT,
             f"ping {address} after start")
    cloud.openstack("server", "reboot", "--wait", server_id, parse=False,
                    timeout=BOOT_TIMEOUT)
    assert cloud.api.server(server_id)["status"] == "ACTIVE"
    # The console log spans boots: the first, after the start, after the reboot.
    wait_for(lambda: console(cloud, server_id).count("end of banner") == 3, BOOT_TIMEOUT,
             "the guest's third boot")
    wait_for(lambda: ping_from_dhcp_namespace(res.network, address), 60,
             f"ping {address} after reboot")

    # A guest killed behind the cloud's back is SHUTOFF in the API within seconds.
    run("virsh", "-c", LIBVIRT_URI, "destroy", f"pocketstack-{server_id}")
    cloud.api.wait_for_status(server_id, "SHUTOFF", 10)

    cloud.openstack("server", "delete", "--wait", server_id, parse=False)
    assert server_id not in domain_uuids()
    state_path = cloud.sections["DEFAULT"]["state_path"]
    assert not os.path.exists(os.path.join(state_path, "instances", server_id))
    assert cloud.api.ports(device_id=server_id) == []
    assert host_network_leftovers(res.network) == []


def test_two_builds_of_an_uncached_image_download_it_once(cloud, tiny_image):
    res = cloud.resources
    image = cloud.openstack("image", "create", "--disk-format", "qcow2",
                            "--container-format", "bare", "--file", str(tiny_image),
                            "--public", "tiny-uncached", timeout=300)["id"]
    cloud.openstack("server", "create", "--image", image, "--flavor", res.flavor,
                    "--nic", "none", "--min", "2", "--max", "2", "pair")
    servers = [s["ID"] for s in cloud.openstack("server", "list", "--name", "^pair-")]
    assert len(servers) == 2
    for server_id in servers:
        cloud.api.wait_for_status(server_id, "ACTIVE", BOOT_TIMEOUT)
    with open(cloud.sections["DEFAULT"]["log_file"]) as log:
        text = log.read()
    assert len(re.findall(rf"Downloaded image {image} ", text)) == 1
    assert sorted(re.findall(rf"Image {image} for \S+: (\w+)", text)) == ["cached",
                                                                          "downloaded"]
    for server_id in servers:
        cloud.openstack("server", "delete", "--wait", server_id, parse=False)
    assert not set(servers) & set(domain_uuids())


# --- an agent killed in the middle of a build ---------------------------------------------


@pytest.fixture
def split_cloud(libvirt_conn, tiny_image):
    """The controller and the agent as separate processes over RabbitMQ (the in-process
    bus cannot cross processes), so that the agent alone can be killed."""
    if not services.rabbitmq_installed():
        pytest.skip("RabbitMQ is not installed")
    workdir = qemu_workdir("ps-agent-restart-")
    agents = []
    with services.rabbitmq_vhost() as transport_url:
        instance = Cloud(workdir, conf=libvirt_cloud_conf(DEFAULT={
            "transport_url": transport_url}), roles=["api", "conductor", "scheduler"],
            with_agent=False)

        def start_agent():
            path = os.path.join(workdir, f"agent-{len(agents)}.out")
            with open(path, "w") as output:
                agent = subprocess.Popen(
                    [sys.executable, "-m", "agent.cmd", "--config-file",
                     instance.config_file], cwd=REPO, stdout=output, stderr=output)
            agent.output_path = path
            agents.append(agent)
            return agent

        try:
            instance.start(timeout=120)
            instance.start_agent = start_agent
            instance.agents = agents
            start_agent()
            instance.wait_for_agent(time.monotonic() + 120)
            instance.resources = Resources(instance, tiny_image, workdir, "10.232.0.0/24")
            instance.api = Api(instance)
            yield instance
        finally:
            try:
                if agents and agents[-1].poll() is None:
                    delete_servers(instance)
            finally:
                for agent in agents:
                    if agent.poll() is None:
                        agent.send_signal(signal.SIGTERM)
                        agent.wait(timeout=60)
                instance.stop()
                shutil.rmtree(workdir, ignore_errors=True)


def test_agent_killed_mid_build_leaves_no_server_in_build(split_cloud):
    cloud, res = split_cloud, split_cloud.resources
    server = cloud.openstack("server", "create", "--image", res.image, "--flavor",
                             res.flavor, "--network", res.network, "doomed")
    building = wait_for(
        lambda: (lambda s: s["OS-EXT-STS:task_state"] if s["OS-EXT-STS:task_state"] in (
            "networking", "block_device_mapping", "spawning") else None)(
            cloud.api.server(server["id"])), 60, "the build to begin on the host", 0.02)
    killed = cloud.agents[-1]
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)

    restarted = cloud.start_agent()
    # Its guest had not started: the build is taken back and rescheduled, and with no
    # other host it fails with the reason (one whose guest started is finished:
    # tests/system/test_build_recovery.py).
    try:
        errored = cloud.api.wait_for_status(server["id"], "ERROR", 180)   # a loaded CI
    except AssertionError as exc:
        with open(restarted.output_path) as output:
            raise AssertionError(f"{exc}\n--- the restarted agent's output:\n"
                                 f"{output.read()[-5000:]}") from None
    assert errored["fault"]["message"] == "The agent restarted during the build.", building
    assert server["id"] not in domain_uuids()
    state_path = cloud.sections["DEFAULT"]["state_path"]
    assert not os.path.exists(os.path.join(state_path, "instances", server["id"]))
    assert cloud.api.ports(device_id=server["id"]) == []
    assert host_network_leftovers(res.network) == []
    cloud.openstack("server", "delete", "--wait", server["id"], parse=False)
