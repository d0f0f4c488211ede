"""The multi-host deployment as an operator runs it: ansible/site.yml over SSH into a lab
of three hosts on this machine (tests/lab: a controller with PostgreSQL and RabbitMQ, two
compute hosts each with its own libvirtd), then the stock ``openstack`` CLI boots a guest
on each compute host and the two ping each other over the tenant network's VXLAN.

The inventory makes the controller's agent the L3 host (``pocketstack_l3_host``); its
compute service is disabled, as on a network node, so it serves routers and no guests.
A guest on a compute host reaches its router there over VXLAN, and a namespace of the
test's own on the controller's external bridge (the world outside) pings and SSHes it
by its floating IP.

The tests of this module share one deployment and run in order: deploy, deploy again
(nothing changes), guests across hosts (and their remote-group sets on both hosts), a
guest behind the controller's router, then a compute host losing its agent.
"""
import re
import secrets
import subprocess
import time

import pytest

from agent.network import bridge
from tests.lab.deployment import Deployment
from tests.lab.lab import Lab, run as lab_run

pytestmark = [pytest.mark.system, pytest.mark.slow]

GROUPS = {"database": ["ctl"], "messaging": ["ctl"], "controller": ["ctl"],
          "compute": ["ctl", "compute1", "compute2"]}
HOST_VARS = {"ctl": {"pocketstack_l3_host": True}}
EXTERNAL_CIDR = "203.0.113.0/24"      # TEST-NET-3, inside the lab's namespaces only
FLOATING_POOL = "start=203.0.113.10,end=203.0.113.200"
OUTSIDE_ADDRESS = "203.0.113.250"
TENANT_CIDR = "10.77.0.0/24"
AGENT_PIDFILE = "/run/pocketstack/pocketstack-agent.pid"

# A guest's user_data: ping the other guest until it answers, and say so on the console.
PING_SCRIPT = """#!/bin/sh
for attempt in $(seq 90); do
    if ping -c 1 -W 2 {peer} >/dev/null 2>&1; then
        echo "lab-ping {peer} ok"; exit 0
    fi
    sleep 2
done
echo "lab-ping {peer} failed"
"""


def recap_problems(run):
    return {host: counts for host, counts in run.recap.items()
            if counts["failed"] or counts["unreachable"]}


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, tiny_image):
    workdir = tmp_path_factory.mktemp("deploy-lab")
    started = time.monotonic()
    with Lab(workdir / "lab", ["ctl", "compute1", "compute2"]) as lab:
        deployment = Deployment(lab, GROUPS, workdir, host_vars=HOST_VARS)
        deployment.first_run = deployment.run("deploy-1.log")
        deployment.first_run_seconds = time.monotonic() - started
        deployment.tiny_image = tiny_image
        yield deployment


def test_site_yml_deploys_the_lab_over_ssh(deployment):
    run = deployment.first_run
    assert run.returncode == 0 and not recap_problems(run), run.tail()
    assert set(run.recap) >= {"ctl", "compute1", "compute2"}
    # site.yml itself waits for the agents; the stock CLI sees them too.
    assert deployment.compute_states() == {"ctl": "up", "compute1": "up", "compute2": "up"}
    # The controller's agent serves routers only: no guests are scheduled there.
    deployment.openstack("compute", "service", "set", "--disable", "--disable-reason",
                         "network node", "ctl", "nova-compute", parse=False)
    print(f"first deployment (wheels included): {deployment.first_run_seconds:.0f} s")


def test_second_run_changes_nothing(deployment):
    started = time.monotonic()
    run = deployment.run("deploy-2.log")
    assert run.returncode == 0, run.tail()
    changed = {host: counts["changed"] for host, counts in run.recap.items()
               if counts["changed"]}
    assert changed == {}, "\n".join(run.changed_tasks())
    print(f"second run: {time.monotonic() - started:.0f} s")


def _create_port(deployment, network, name):
    port = deployment.openstack("port", "create", "--network", network, name)
    return port["id"], port["fixed_ips"][0]["ip_address"]


def _boot(deployment, name, port, peer, host, tmp_path):
    user_data = tmp_path / f"{name}.sh"
    user_data.write_text(PING_SCRIPT.format(peer=peer))
    return deployment.openstack(
        "server", "create", "--image", "pocketstack-tiny", "--flavor", "lab.micro",
        "--nic", f"port-id={port}", "--user-data", str(user_data),
        "--availability-zone", f"nova:{host}", name)


def _host_of(deployment, server):
    return deployment.openstack("server", "show", server)["OS-EXT-SRV-ATTR:host"]


def test_guests_on_two_compute_hosts_ping_each_other(deployment, tmp_path):
    deployment.upload_image(deployment.tiny_image)
    deployment.openstack("flavor", "create", "--ram", "128", "--vcpus", "1", "--disk", "1",
                         "lab.micro")
    deployment.openstack("network", "create", "lab-net")
    deployment.openstack("subnet", "create", "--network", "lab-net", "--subnet-range",
                         TENANT_CIDR, "lab-subnet")
    port_a, address_a = _create_port(deployment, "lab-net", "port-a")
    port_b, address_b = _create_port(deployment, "lab-net", "port-b")

    _boot(deployment, "vm-a", port_a, address_b, "compute1", tmp_path)
    _boot(deployment, "vm-b", port_b, address_a, "compute2", tmp_path)
    for name in ("vm-a", "vm-b"):
        deployment.wait_for(
            lambda: deployment.openstack("server", "show", name)["status"] in ("ACTIVE", "ERROR"),
            timeout=180, what=f"{name} to build")
        server = deployment.openstack("server", "show", name)
        assert server["status"] == "ACTIVE", server.get("fault")
    assert _host_of(deployment, "vm-a") == "compute1"
    assert _host_of(deployment, "vm-b") == "compute2"

    # Each guest pings the other across the two hosts: VXLAN over the lab's network.
    for name, peer in (("vm-a", address_b), ("vm-b", address_a)):
        console = deployment.wait_for(
            lambda: (lambda text: text if re.search(rf"lab-ping {peer} (ok|failed)", text)
                     else None)(deployment.console(name)),
            timeout=360, interval=5, what=f"{name}'s ping result on its console")
        assert f"lab-ping {peer} ok" in console, console[-2000:]


def _set_addresses(host, network_id, group_id):
    """The addresses in the host's set of the group's members (IPv4)."""
    listing = host.ssh(f"nft list set inet pocketstack-sg-{network_id} sg-{group_id}-v4",
                       check=False).stdout
    return set(re.findall(r"\d+\.\d+\.\d+\.\d+", listing))


def _address_of(deployment, server):
    addresses = deployment.openstack("server", "show", server)["addresses"]
    return re.search(r"(\d+\.\d+\.\d+\.\d+)", str(addresses)).group(1)


def test_remote_group_members_reach_every_host(deployment):
    """The guests' default group lets in traffic from its members, so the ping above
    already crossed hosts through remote-group sets; here a group whose rule names
    itself gets both guests, and each host's set holds the guest on the other host,
    and loses it when that guest leaves the group."""
    network = deployment.openstack("network", "show", "lab-net")["id"]
    group = deployment.openstack("security", "group", "create", "lab-peers")["id"]
    deployment.openstack("security", "group", "rule", "create", "--ingress", "--protocol",
                         "icmp", "--remote-group", group, group)
    for name in ("vm-a", "vm-b"):
        deployment.openstack("server", "add", "security", "group", name, group,
                             parse=False)
    addresses = {name: _address_of(deployment, name) for name in ("vm-a", "vm-b")}
    hosts = deployment.lab.hosts
    for host, peer in (("compute1", "vm-b"), ("compute2", "vm-a")):
        deployment.wait_for(
            lambda: addresses[peer] in _set_addresses(hosts[host], network, group),
            timeout=10, interval=0.5, what=f"{peer}'s address in {host}'s set")
    deployment.openstack("server", "remove", "security", "group", "vm-b", group,
                         parse=False)
    deployment.wait_for(
        lambda: addresses["vm-b"] not in _set_addresses(hosts["compute1"], network, group),
        timeout=10, interval=0.5, what="vm-b's address to leave compute1's set")
    assert _set_addresses(hosts["compute1"], network, group) == {addresses["vm-a"]}


class Outside:
    """A namespace of the test's own, its veth on an external bridge inside a lab host:
    the world outside the cloud, reaching guests only by their floating IPs."""

    def __init__(self, host, bridge_name):
        tag = secrets.token_hex(3)
        self.namespace, self.veth = f"ps-outside-{tag}", f"pso-{tag}"
        lab_run("ip", "netns", "add", self.namespace)
        lab_run("ip", "link", "add", self.veth, "type", "veth", "peer", "name", "eth0",
                "netns", self.namespace)
        lab_run("ip", "link", "set", self.veth, "netns", host.netns)
        lab_run("ip", "-n", host.netns, "link", "set", self.veth, "master", bridge_name,
                "up")
        self.run("ip", "link", "set", "lo", "up")
        self.run("ip", "addr", "add", f"{OUTSIDE_ADDRESS}/24", "dev", "eth0")
        self.run("ip", "link", "set", "eth0", "up")

    def run(self, *command, check=True, timeout=60):
        return lab_run("ip", "netns", "exec", self.namespace, *command, check=check,
                       timeout=timeout)

    def pings(self, address):
        return self.run("ping", "-c", "1", "-W", "2", address, check=False).returncode == 0

    def ssh(self, key, address, *command):
        """The command's output on the guest, or None when it failed."""
        result = self.run("ssh", "-i", str(key), "-o", "StrictHostKeyChecking=no", "-o",
                          "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=20", "-o",
                          "BatchMode=yes", f"root@{address}", *command, check=False,
                          timeout=90)
        return (result.stdout or "ok") if result.returncode == 0 else None

    def remove(self):
        lab_run("ip", "netns", "delete", self.namespace, check=False)


def test_a_guest_reaches_its_router_on_the_controller_and_by_floating_ip(deployment,
                                                                          tmp_path):
    ctl, compute2 = deployment.lab.hosts["ctl"], deployment.lab.hosts["compute2"]
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
    group = deployment.openstack("security", "group", "create", "lab-from-outside")["id"]
    for rule in (("--protocol", "icmp"), ("--protocol", "tcp", "--dst-port", "22")):
        deployment.openstack("security", "group", "rule", "create", "--ingress", *rule,
                             group)
    server = deployment.openstack(
        "server", "create", "--image", "pocketstack-tiny", "--flavor", "lab.micro",
        "--network", "lab-net", "--key-name", "lab-key", "--security-group", group,
        "--availability-zone", "nova:compute2", "--wait", "vm-r", timeout=300)
    assert server["status"] == "ACTIVE"

    # The router is the controller's, not the guest's host's.
    namespace = f"qrouter-{router}"
    deployment.wait_for(lambda: namespace in ctl.ssh("ip netns list").stdout, timeout=60,
                        what="the router's namespace on ctl")
    assert namespace not in compute2.ssh("ip netns list").stdout
    bridge_name = bridge.bridge_name(external)
    deployment.wait_for(
        lambda: ctl.ssh(f"ip link show {bridge_name}", check=False).returncode == 0,
        timeout=60, what="the external bridge on ctl")
    port = deployment.openstack("port", "list", "--server", "vm-r")[0]["ID"]
    fip = deployment.openstack("floating", "ip", "create", "lab-public", "--port", port)
    address = fip["floating_ip_address"]
    # Compute heard of it from the network service: the server shows it.
    assert address in str(deployment.openstack("server", "show", "vm-r")["addresses"])

    outside = Outside(ctl, bridge_name)
    try:
        deployment.wait_for(lambda: outside.pings(address), timeout=360, interval=5,
                            what=f"{address} answering the outside's ping")
        hostname = deployment.wait_for(lambda: outside.ssh(key, address, "hostname"),
                                       timeout=300, interval=5, what="ssh by floating IP")
        assert hostname.strip() == "vm-r"
        # From compute2 over VXLAN to the router on ctl (its interface, the subnet's
        # gateway), and through it to the outside.
        assert outside.ssh(key, address, "ping", "-c", "1", "-W", "5", "10.77.0.1")
        assert outside.ssh(key, address, "ping", "-c", "1", "-W", "5", OUTSIDE_ADDRESS)
    finally:
        outside.remove()
    deployment.openstack("server", "delete", "--wait", "vm-r", parse=False, timeout=300)
    deployment.openstack("floating", "ip", "delete", fip["id"], parse=False)


def _domains(host):
    return set(host.ssh("virsh --connect qemu:///system list --name").stdout.split())


def test_a_host_without_its_agent_is_down_and_gets_no_servers_and_keeps_its_guest(
        deployment):
    compute2 = deployment.lab.hosts["compute2"]
    vm_b = deployment.openstack("server", "show", "vm-b")
    domains_before = _domains(compute2)
    assert domains_before, "vm-b's domain should run on compute2"

    compute2.ssh(f"start-stop-daemon --stop --retry TERM/30/KILL/5 --remove-pidfile "
                 f"--pidfile {AGENT_PIDFILE}")
    deployment.wait_for(lambda: deployment.compute_states().get("compute2") == "down",
                        timeout=60, what="compute2 to be reported down")
    assert deployment.compute_states()["compute1"] == "up"
    # The guest does not depend on its agent.
    assert _domains(compute2) == domains_before
    assert deployment.openstack("server", "show", "vm-b")["status"] == "ACTIVE"

    for name in ("vm-c", "vm-d"):
        server = deployment.openstack("server", "create", "--image", "pocketstack-tiny",
                                      "--flavor", "lab.micro", "--network", "lab-net",
                                      "--wait", name, timeout=300)
        assert server["status"] == "ACTIVE"
        assert _host_of(deployment, name) == "compute1"

    # The playbook, run for that host (and the deploy host's build), brings the agent
    # back; the guest has kept running all along.
    run = deployment.run("deploy-3.log", limit="compute2,localhost")
    assert run.returncode == 0 and not recap_problems(run), run.tail()
    assert run.recap["compute2"]["changed"] > 0
    deployment.wait_for(lambda: deployment.compute_states().get("compute2") == "up",
                        timeout=60, what="compute2 to be up again")
    assert _domains(compute2) == domains_before
    assert deployment.openstack("server", "show", "vm-b")["id"] == vm_b["id"]

    # The restarted agent still manages its guest.
    deployment.openstack("server", "delete", "--wait", "vm-b", parse=False, timeout=300)
    deployment.wait_for(lambda: not _domains(compute2), timeout=60,
                        what="vm-b's domain to go")
