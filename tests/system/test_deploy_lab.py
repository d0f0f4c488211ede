"""The multi-host deployment as an operator runs it: ansible/site.yml over SSH into a lab
of three hosts on this machine (tests/lab: a controller with PostgreSQL and RabbitMQ, two
compute hosts each with its own libvirtd), then the stock ``openstack`` CLI boots a guest
on each compute host and the two ping each other over the tenant network's VXLAN.

The tests of this module share one deployment and run in order: deploy, deploy again
(nothing changes), guests across hosts (and their remote-group sets on both hosts), then
a compute host losing its agent.
"""
import re
import time

import pytest

from tests.lab.deployment import Deployment
from tests.lab.lab import Lab

pytestmark = [pytest.mark.system, pytest.mark.slow]

GROUPS = {"database": ["ctl"], "messaging": ["ctl"], "controller": ["ctl"],
          "compute": ["compute1", "compute2"]}
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
        deployment = Deployment(lab, GROUPS, workdir)
        deployment.first_run = deployment.run("deploy-1.log")
        deployment.first_run_seconds = time.monotonic() - started
        deployment.tiny_image = tiny_image
        yield deployment


def test_site_yml_deploys_the_lab_over_ssh(deployment):
    run = deployment.first_run
    assert run.returncode == 0 and not recap_problems(run), run.tail()
    assert set(run.recap) >= {"ctl", "compute1", "compute2"}
    # site.yml itself waits for the agents; the stock CLI sees them too.
    assert deployment.compute_states() == {"compute1": "up", "compute2": "up"}
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
