"""Routers and floating IPs for real: a cloud whose agent has the L3 role boots two
tiny guests behind a router; a test "outside" namespace on the external network's
bridge pings and SSHes a guest by its floating IP, the guests reach the outside through
SNAT, a disassociated floating IP stops answering and, reassociated, reaches the other
guest. Deleting the router leaves no namespace, bridge or address behind.

All traffic stays between the guests and namespaces this test makes.
"""
import os
import secrets
import subprocess

import pytest

from agent.l3 import namespace as l3_namespace
from agent.network import bridge
from tests.system.test_compute_libvirt import (BOOT_TIMEOUT, console, delete_servers,
                                               fixed_address, libvirt_cloud,
                                               libvirt_cloud_conf, wait_for)

pytestmark = pytest.mark.system

EXTERNAL_CIDR = "198.51.100.0/24"
OUTSIDE_ADDRESS = "198.51.100.250"


def run(*command, check=True, timeout=60):
    return subprocess.run(command, capture_output=True, text=True, check=check,
                          timeout=timeout)


class Outside:
    """A namespace on the external network's bridge: the world outside the cloud."""

    def __init__(self, bridge_name):
        tag = secrets.token_hex(3)
        self.namespace, self.veth = f"ps-outside-{tag}", f"pso-{tag}"
        run("ip", "netns", "add", self.namespace)
        run("ip", "link", "add", self.veth, "type", "veth", "peer", "name", "eth0",
            "netns", self.namespace)
        bridge.disable_ipv6(self.veth)
        run("ip", "link", "set", self.veth, "master", bridge_name, "up")
        self.run("ip", "link", "set", "lo", "up")
        self.run("ip", "addr", "add", f"{OUTSIDE_ADDRESS}/24", "dev", "eth0")
        self.run("ip", "link", "set", "eth0", "up")

    def run(self, *command, check=True, timeout=60):
        return run("ip", "netns", "exec", self.namespace, *command, check=check,
                   timeout=timeout)

    def pings(self, address):
        return self.run("ping", "-c", "1", "-W", "2", address, check=False).returncode == 0

    def remove(self):
        run("ip", "netns", "delete", self.namespace, check=False)
        run("ip", "link", "delete", self.veth, check=False)


def ssh(namespace, key, address, *command):
    return run("ip", "netns", "exec", namespace, "ssh", "-i", key, "-o",
               "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
               "ConnectTimeout=30", "-o", "BatchMode=yes", f"root@{address}", *command,
               check=False, timeout=90)


def ssh_ok(namespace, key, address, *command, what, timeout=120):
    """The command's output once it succeeds (dropbear answers slowly on a busy host)."""
    return wait_for(lambda: (lambda r: r.stdout or "ok" if r.returncode == 0 else None)(
        ssh(namespace, key, address, *command)), timeout, what)


@pytest.fixture(scope="module")
def cloud(libvirt_conn, tiny_image):
    conf = libvirt_cloud_conf(l3={"enabled": "true", "sync_interval": "1"})
    with libvirt_cloud("ps-l3-", tiny_image, "10.232.0.0/24", conf) as instance:
        try:
            yield instance
        finally:
            # What a failed test left: servers, then (agent stopped) its routers.
            if instance.process.poll() is None:
                delete_servers(instance)
            instance.stop()
            instance.pocketstack("l3-cleanup", check=False)


def test_floating_ip_reaches_guests_and_snat_reaches_outside(cloud):
    res = cloud.resources
    key = os.path.join(cloud.workdir, "id_ed25519")
    tag = secrets.token_hex(3)
    external = cloud.openstack("network", "create", f"ext-{tag}", "--external",
                               "--provider-network-type", "flat",
                               "--provider-physical-network", f"ext{tag}")["id"]
    cloud.openstack("subnet", "create", f"ext-subnet-{tag}", "--network", external,
                    "--subnet-range", EXTERNAL_CIDR, "--no-dhcp")
    router = cloud.openstack("router", "create", f"router-{tag}")["id"]
    cloud.openstack("router", "set", router, "--external-gateway", external, parse=False)
    private_subnet = cloud.openstack("network", "show", res.network)["subnets"][0]
    cloud.openstack("router", "add", "subnet", router, private_subnet, parse=False)
    servers = {}
    for name in ("vm-a", "vm-b"):
        server = cloud.openstack("server", "create", "--image", res.image, "--flavor",
                                 res.flavor, "--network", res.network, "--key-name",
                                 res.key_name, "--wait", name, timeout=BOOT_TIMEOUT)
        servers[name] = server
    ports = {name: cloud.api.ports(device_id=server["id"])[0]["id"]
             for name, server in servers.items()}
    for name, server in servers.items():
        wait_for(lambda: "end of banner" in console(cloud, server["id"]), BOOT_TIMEOUT,
                 f"{name}'s banner")

    namespace = f"qrouter-{router}"
    wait_for(lambda: namespace in l3_namespace.existing_namespaces(), 60,
             "the router's namespace")
    bridge_name = bridge.bridge_name(external)
    wait_for(lambda: bridge.link_exists(bridge_name), 60, "the external bridge")
    outside = Outside(bridge_name)
    try:
        fip = cloud.openstack("floating", "ip", "create", external, "--port",
                              ports["vm-a"])
        address = fip["floating_ip_address"]
        wait_for(lambda: outside.pings(address), 60, f"ping {address} from outside")
        answer = ssh_ok(outside.namespace, key, address, "hostname",
                        what="ssh by floating IP")
        assert answer.strip() == "vm-a"
        # The guest reaches the outside as its floating IP...
        ssh_ok(outside.namespace, key, address, "ping", "-c", "1", "-W", "3",
               OUTSIDE_ADDRESS, what="vm-a pinging the outside")
        # ...and the guest without one through the router's SNAT: the outside has no
        # route to the private subnet, so only translated traffic gets an answer.
        assert outside.run("ip", "route", "get", "10.232.0.5", check=False).returncode != 0
        b_address = fixed_address(servers["vm-b"])
        ssh_ok(f"qdhcp-{res.network}", key, b_address, "ping", "-c", "1", "-W", "3",
               OUTSIDE_ADDRESS, what="vm-b pinging the outside through SNAT")

        cloud.openstack("floating", "ip", "unset", "--port", fip["id"], parse=False)
        wait_for(lambda: not outside.pings(address), 30, f"{address} to stop answering")

        cloud.openstack("floating", "ip", "set", "--port", ports["vm-b"], fip["id"],
                        parse=False)
        answer = ssh_ok(outside.namespace, key, address, "hostname",
                        what="ssh to the reassociated floating IP")
        assert answer.strip() == "vm-b"
        cloud.openstack("floating", "ip", "delete", fip["id"], parse=False)
    finally:
        outside.remove()

    for server in servers.values():
        cloud.openstack("server", "delete", "--wait", server["id"], parse=False)
    cloud.openstack("router", "remove", "subnet", router, private_subnet, parse=False)
    cloud.openstack("router", "delete", router, parse=False)
    wait_for(lambda: namespace not in l3_namespace.existing_namespaces(), 60,
             "the router's namespace to go")
    wait_for(lambda: not bridge.link_exists(bridge_name), 30, "the external bridge to go")
    assert not bridge.link_exists(bridge.bridge_name(res.network))
    assert "ri-" not in run("ip", "-o", "link", "show").stdout
