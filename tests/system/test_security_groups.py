"""Security groups on real guests (libvirt, qemu) through the stock CLI: guests of the
default group reach each other; a group allowing ICMP but not TCP 22 lets ping through
and stops SSH, from the network's namespace and from another guest; removing the rule
stops ping to the running guest within 2 s, adding it back lets it through again; and
a restarted agent rebuilds the same table from the API; the network's table goes with
its last guest."""
import subprocess
import time

import pytest

from agent.network import security_groups as firewall
from tests.system.test_compute_libvirt import (BOOT_TIMEOUT, console, delete_servers,
                                               libvirt_cloud, ping_from_dhcp_namespace,
                                               wait_for)

pytestmark = [pytest.mark.system, pytest.mark.slow]

CIDR = "10.236.0.0/24"
VM_A, VM_B, VM_C = "10.236.0.10", "10.236.0.20", "10.236.0.30"
# vm-a's user data: once its peers answer ping, try SSH's port on each and say so.
PROBE = f"""#!/bin/sh
for attempt in $(seq 60); do
    ping -c 1 -W 2 {VM_B} >/dev/null 2>&1 && ping -c 1 -W 2 {VM_C} >/dev/null 2>&1 && break
    sleep 2
done
ping -c 1 -W 2 {VM_B} >/dev/null 2>&1 && echo "probe ping-b ok" || echo "probe ping-b failed"
ping -c 1 -W 2 {VM_C} >/dev/null 2>&1 && echo "probe ping-c ok" || echo "probe ping-c failed"
for peer in b:{VM_B} c:{VM_C}; do
    if echo | nc -w 3 ${{peer#*:}} 22 2>/dev/null | grep -q SSH; then
        echo "probe ssh-${{peer%%:*}} open"
    else
        echo "probe ssh-${{peer%%:*}} closed"
    fi
done
"""


@pytest.fixture(scope="module")
def cloud(libvirt_conn, tiny_image):
    with libvirt_cloud("ps-secgroups-", tiny_image, CIDR) as instance:
        yield instance


def in_namespace(network_id, *cmd):
    return subprocess.run(["ip", "netns", "exec", f"qdhcp-{network_id}", *cmd],
                          capture_output=True, text=True, timeout=30, check=False)


def ssh_port_open(network_id, address):
    probe = (f"import socket; socket.create_connection(('{address}', 22), 3)"
             f".recv(64).startswith(b'SSH') or exit(1)")
    return in_namespace(network_id, "python3", "-c", probe).returncode == 0


def sg_tables():
    listing = subprocess.run(["nft", "list", "tables", "inet"], capture_output=True,
                             text=True, check=False).stdout
    return [line.split()[-1] for line in listing.splitlines()
            if firewall.TABLE_PREFIX in line]


def table_listing(network_id):
    return subprocess.run(["nft", "list", "table", "inet", firewall.table_name(network_id)],
                          capture_output=True, text=True, check=False).stdout


def boot(cloud, name, address, *options):
    res = cloud.resources
    return cloud.openstack("server", "create", "--image", res.image, "--flavor", res.flavor,
                           "--key-name", res.key_name, "--nic",
                           f"net-id={res.network},v4-fixed-ip={address}", *options, name,
                           timeout=180)["id"]


def test_groups_filter_real_guests_and_changes_reach_running_ones(cloud, tmp_path):
    network = cloud.resources.network
    cloud.openstack("security", "group", "create", "icmp-only")
    icmp = cloud.openstack("security", "group", "rule", "create", "icmp-only",
                           "--protocol", "icmp", "--ingress")
    probe = tmp_path / "probe.sh"
    probe.write_text(PROBE)
    ids = {"vm-b": boot(cloud, "vm-b", VM_B),
           "vm-c": boot(cloud, "vm-c", VM_C, "--security-group", "icmp-only"),
           "vm-a": boot(cloud, "vm-a", VM_A, "--user-data", str(probe))}
    for name, server_id in ids.items():
        server = cloud.api.wait_for_status(server_id, "ACTIVE", BOOT_TIMEOUT)
        assert server["status"] == "ACTIVE"
    assert [g["name"] for g in cloud.openstack("server", "show", "vm-c")[
        "security_groups"]] == ["icmp-only"]

    # From the network's namespace: vm-b (default group, which the fixture opened to
    # ICMP and SSH) answers both; vm-c answers ping, not SSH.
    for address in (VM_B, VM_C):
        wait_for(lambda: ping_from_dhcp_namespace(network, address), BOOT_TIMEOUT,
                 f"ping {address}")
    wait_for(lambda: ssh_port_open(network, VM_B), BOOT_TIMEOUT, "vm-b's SSH")
    assert not ssh_port_open(network, VM_C)

    # Guest to guest: vm-a reaches vm-b fully (same default group) and vm-c by ping only.
    text = wait_for(lambda: (lambda t: t if "probe ssh-c" in t else None)(
        console(cloud, "vm-a")), BOOT_TIMEOUT + 180, "vm-a's probe results")
    for line in ("probe ping-b ok", "probe ping-c ok", "probe ssh-b open",
                 "probe ssh-c closed"):
        assert line in text, text[-3000:]

    # A rule removed stops traffic to the running guest within 2 s; added back, it flows.
    cloud.openstack("security", "group", "rule", "delete", icmp["id"], parse=False)
    time.sleep(2)
    assert not ping_from_dhcp_namespace(network, VM_C)
    cloud.openstack("security", "group", "rule", "create", "icmp-only", "--protocol",
                    "icmp", "--ingress")
    time.sleep(2)
    assert ping_from_dhcp_namespace(network, VM_C)

    # Port security off on vm-c's port (no groups): SSH's port answers, unfiltered.
    (port,) = cloud.api.ports(device_id=ids["vm-c"])
    cloud.openstack("port", "set", "--no-security-group", "--disable-port-security",
                    port["id"], parse=False)
    wait_for(lambda: ssh_port_open(network, VM_C), 10, "vm-c's SSH unfiltered")

    # A restarted agent rebuilds exactly the same table from the network API, even when
    # the kernel lost it meanwhile.
    before = table_listing(network)
    cloud.stop()
    subprocess.run(["nft", "delete", "table", "inet", firewall.table_name(network)],
                   check=True)
    cloud.start(timeout=120)
    assert wait_for(lambda: table_listing(network) == before, 30,
                    "the restarted agent's table")

    assert f"{firewall.TABLE_PREFIX}{network}" in sg_tables()
    delete_servers(cloud)
    wait_for(lambda: f"{firewall.TABLE_PREFIX}{network}" not in sg_tables(), 30,
             "the network's security group table to go")
