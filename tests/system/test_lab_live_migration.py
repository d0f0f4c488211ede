"""Live migration across the lab's two compute hosts, as an operator does it: ansible
deploys the lab (tests/lab: a controller that is also the network node, two compute
hosts with their own libvirtds, sshd and storage), the compute hosts' libvirtds log in
to each other over SSH with the key the playbook installs, and the stock ``openstack
server migrate --live-migration`` moves a running guest from one to the other and back
(block migration of its disk: the hosts share no storage) while a namespace of the
test's own on the controller's external bridge pings it by its floating IP. The lost
pings are counted and printed; the guest keeps its address, its disk and its uptime.
"""
import re
import signal
import subprocess
import time

import pytest

from tests.lab.deployment import Deployment
from tests.lab.lab import Lab
from tests.system.test_deploy_lab import (EXTERNAL_CIDR, FLOATING_POOL, TENANT_CIDR,
                                          Outside, recap_problems)
from agent.network import bridge

pytestmark = [pytest.mark.system, pytest.mark.slow]

GROUPS = {"database": ["ctl"], "messaging": ["ctl"], "controller": ["ctl"],
          "compute": ["ctl", "compute1", "compute2"]}
PING_INTERVAL = 0.2
# Pings a move may lose: the switch-over pauses the guest for well under a second, and
# the router learns the guest's new host from QEMU's announcement.
MAX_LOST_PINGS = 15


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, tiny_image):
    workdir = tmp_path_factory.mktemp("lab-live-migration")
    with Lab(workdir / "lab", ["ctl", "compute1", "compute2"]) as lab:
        migration_key = {"pocketstack_migration_ssh_key": str(lab.key)}
        deployment = Deployment(lab, GROUPS, workdir, host_vars={
            "ctl": {"pocketstack_l3_host": True, **migration_key},
            "compute1": migration_key, "compute2": migration_key})
        run = deployment.run("deploy.log")
        assert run.returncode == 0 and not recap_problems(run), run.tail()
        deployment.openstack("compute", "service", "set", "--disable", "--disable-reason",
                             "network node", "ctl", "pocketstack-agent", parse=False)
        deployment.tiny_image = tiny_image
        yield deployment


class Pinger:
    """``ping`` from a namespace, every PING_INTERVAL seconds, until stopped."""

    def __init__(self, outside, address):
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", outside.namespace, "ping", "-n", "-i",
             str(PING_INTERVAL), "-W", "1", address],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def stop(self):
        """(sent, answered)."""
        self.process.send_signal(signal.SIGINT)
        output, _ = self.process.communicate(timeout=30)
        found = re.search(r"(\d+) packets transmitted, (\d+) received", output)
        assert found, output
        return int(found.group(1)), int(found.group(2))


def _domains(host):
    return set(host.ssh("virsh --connect qemu:///system list --name").stdout.split())


def _uptime(outside, key, address):
    answer = outside.ssh(key, address, "cat", "/proc/uptime")
    return float(answer.split()[0]) if answer else None


def _live_migrate(deployment, server, *args):
    started = time.monotonic()
    deployment.openstack("server", "migrate", "--live-migration", *args, "--wait", server,
                         parse=False, timeout=600)
    return time.monotonic() - started


def test_a_pinged_guest_live_migrates_between_the_compute_hosts_and_back(deployment,
                                                                        tmp_path):
    hosts = deployment.lab.hosts
    ctl = hosts["ctl"]
    deployment.upload_image(deployment.tiny_image)
    deployment.openstack("flavor", "create", "--ram", "128", "--vcpus", "1", "--disk", "1",
                         "lab.micro")
    deployment.openstack("network", "create", "lab-net")
    deployment.openstack("subnet", "create", "--network", "lab-net", "--subnet-range",
                         TENANT_CIDR, "lab-subnet")
    external = deployment.openstack(
        "network", "create", "lab-public", "--external", "--provider-network-type", "flat",
        "--provider-physical-network", "public")["id"]
    deployment.openstack("subnet", "create", "lab-public-subnet", "--network", external,
                         "--subnet-range", EXTERNAL_CIDR, "--allocation-pool",
                         FLOATING_POOL, "--no-dhcp")
    router = deployment.openstack("router", "create", "lab-router")["id"]
    deployment.openstack("router", "set", router, "--external-gateway", external,
                         parse=False)
    deployment.openstack("router", "add", "subnet", router, "lab-subnet", parse=False)
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
                   check=True, timeout=30)
    deployment.openstack("keypair", "create", "--public-key", f"{key}.pub", "lab-key")
    group = deployment.openstack("security", "group", "create", "lab-in")["id"]
    for rule in (("--protocol", "icmp"), ("--protocol", "tcp", "--dst-port", "22")):
        deployment.openstack("security", "group", "rule", "create", "--ingress", *rule,
                             group)
    server = deployment.openstack(
        "server", "create", "--image", "pocketstack-tiny", "--flavor", "lab.micro",
        "--network", "lab-net", "--key-name", "lab-key", "--security-group", group,
        "--availability-zone", "nova:compute1", "--wait", "vm-live", timeout=300)
    assert server["status"] == "ACTIVE"
    port = deployment.openstack("port", "list", "--server", "vm-live")[0]["ID"]
    address = deployment.openstack("floating", "ip", "create", "lab-public", "--port",
                                   port)["floating_ip_address"]
    bridge_name = bridge.bridge_name(external)
    deployment.wait_for(
        lambda: ctl.ssh(f"ip link show {bridge_name}", check=False).returncode == 0,
        timeout=60, what="the external bridge on ctl")

    outside = Outside(ctl, bridge_name)
    try:
        deployment.wait_for(lambda: outside.pings(address), timeout=360, interval=5,
                            what=f"{address} answering the outside's ping")
        deployment.wait_for(lambda: _uptime(outside, key, address), timeout=300,
                            interval=5, what="ssh by floating IP")
        for source, dest, args in (("compute1", "compute2", ("--host", "compute2")),
                                   ("compute2", "compute1", ())):
            assert deployment.openstack("server", "show", "vm-live")[
                "OS-EXT-SRV-ATTR:host"] == source
            uptime_before = _uptime(outside, key, address)
            pinger = Pinger(outside, address)
            time.sleep(3)
            seconds = _live_migrate(deployment, "vm-live", *args)
            time.sleep(3)
            sent, answered = pinger.stop()
            lost = sent - answered
            print(f"live migration {source} -> {dest}: {seconds:.1f} s (CLI, --wait), "
                  f"{sent} pings every {PING_INTERVAL} s, {lost} lost "
                  f"(~{lost * PING_INTERVAL:.1f} s)")
            moved = deployment.openstack("server", "show", "vm-live")
            assert (moved["OS-EXT-SRV-ATTR:host"], moved["status"]) == (dest, "ACTIVE"), \
                moved.get("fault")
            assert lost <= MAX_LOST_PINGS, f"{lost} of {sent} pings lost"
            # The same guest, not a new one: it kept running (and its disk).
            assert _uptime(outside, key, address) > uptime_before
            vm_domains = {name for name in _domains(hosts[dest])}
            assert any(server["id"] in name for name in vm_domains)
            assert not any(server["id"] in name for name in _domains(hosts[source]))
            assert hosts[source].ssh(
                f"test -e /var/lib/pocketstack/instances/{server['id']}",
                check=False).returncode != 0, "the source kept the guest's disks"
            assert deployment.openstack("port", "show", port)["binding_host_id"] == dest
            [migration] = [m for m in deployment.openstack(
                "server", "migration", "list", "--server", "vm-live")
                if m["Source Compute"] == source]
            assert (migration["Type"], migration["Status"]) == ("live-migration",
                                                                "completed")
    finally:
        outside.remove()
    deployment.openstack("server", "delete", "--wait", "vm-live", parse=False, timeout=300)
