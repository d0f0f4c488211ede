"""A lab deployed for live migration (the controller as network node, two compute hosts
whose libvirtds log in to each other with the lab's key) and a guest reached from
outside by its floating IP: shared by the lab test and the downtime benchmark."""
import re
import signal
import subprocess
import time

from agent.network import bridge
from tests.lab.deployment import Deployment
from tests.system.test_deploy_lab import (EXTERNAL_CIDR, FLOATING_POOL, TENANT_CIDR,
                                          Outside, recap_problems)

GROUPS = {"database": ["ctl"], "messaging": ["ctl"], "controller": ["ctl"],
          "compute": ["ctl", "compute1", "compute2"]}
HOSTS = ["ctl", "compute1", "compute2"]


def deploy(lab, workdir):
    """site.yml over the lab; the controller's compute service disabled (it routes)."""
    migration_key = {"pocketstack_migration_ssh_key": str(lab.key)}
    deployment = Deployment(lab, GROUPS, workdir, host_vars={
        "ctl": {"pocketstack_l3_host": True, **migration_key},
        "compute1": migration_key, "compute2": migration_key})
    run = deployment.run("deploy.log")
    if run.returncode != 0 or recap_problems(run):
        raise AssertionError(run.tail())
    deployment.openstack("compute", "service", "set", "--disable", "--disable-reason",
                         "network node", "ctl", "nova-compute", parse=False)
    return deployment


class Guest:
    """A server on ``host`` with a floating IP, and the outside namespace reaching it."""

    def __init__(self, deployment, tiny_image, workdir, name, host):
        self.deployment, self.name = deployment, name
        ctl = deployment.lab.hosts["ctl"]
        self._network(tiny_image)
        self.key = workdir / f"{name}_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.key)],
                       check=True, timeout=30)
        deployment.openstack("keypair", "create", "--public-key", f"{self.key}.pub",
                             f"{name}-key")
        self.server = deployment.openstack(
            "server", "create", "--image", "pocketstack-tiny", "--flavor", "lab.micro",
            "--network", "lab-net", "--key-name", f"{name}-key", "--security-group",
            "lab-in", "--availability-zone", f"nova:{host}", "--wait", name, timeout=300)
        assert self.server["status"] == "ACTIVE", self.server.get("fault")
        self.port = deployment.openstack("port", "list", "--server", name)[0]["ID"]
        self.address = deployment.openstack("floating", "ip", "create", "lab-public",
                                            "--port", self.port)["floating_ip_address"]
        bridge_name = bridge.bridge_name(self.external)
        deployment.wait_for(
            lambda: ctl.ssh(f"ip link show {bridge_name}", check=False).returncode == 0,
            timeout=60, what="the external bridge on ctl")
        self.outside = Outside(ctl, bridge_name)
        deployment.wait_for(lambda: self.outside.pings(self.address), timeout=360,
                            interval=5, what=f"{self.address} answering ping")
        deployment.wait_for(self.uptime, timeout=300, interval=5, what="ssh to the guest")

    def _network(self, tiny_image):
        """The image, flavor, networks, router and security group (made once)."""
        deployment = self.deployment
        existing = deployment.openstack("network", "list", "--name", "lab-public")
        if existing:
            self.external = existing[0]["ID"]
            return
        deployment.upload_image(tiny_image)
        deployment.openstack("flavor", "create", "--ram", "128", "--vcpus", "1", "--disk",
                             "1", "lab.micro")
        deployment.openstack("network", "create", "lab-net")
        deployment.openstack("subnet", "create", "--network", "lab-net", "--subnet-range",
                             TENANT_CIDR, "lab-subnet")
        self.external = deployment.openstack(
            "network", "create", "lab-public", "--external", "--provider-network-type",
            "flat", "--provider-physical-network", "public")["id"]
        deployment.openstack("subnet", "create", "lab-public-subnet", "--network",
                             self.external, "--subnet-range", EXTERNAL_CIDR,
                             "--allocation-pool", FLOATING_POOL, "--no-dhcp")
        router = deployment.openstack("router", "create", "lab-router")["id"]
        deployment.openstack("router", "set", router, "--external-gateway", self.external,
                             parse=False)
        deployment.openstack("router", "add", "subnet", router, "lab-subnet", parse=False)
        deployment.openstack("security", "group", "create", "lab-in")
        for rule in (("--protocol", "icmp"), ("--protocol", "tcp", "--dst-port", "22")):
            deployment.openstack("security", "group", "rule", "create", "--ingress", *rule,
                                 "lab-in")

    def ssh(self, *command):
        return self.outside.ssh(self.key, self.address, *command)

    def uptime(self):
        answer = self.ssh("cat", "/proc/uptime")
        return float(answer.split()[0]) if answer else None

    def host(self):
        return self.deployment.openstack("server", "show", self.name)[
            "OS-EXT-SRV-ATTR:host"]

    def live_migrate(self, *args):
        """``openstack server migrate --live-migration ARGS --wait``; its seconds."""
        started = time.monotonic()
        self.deployment.openstack("server", "migrate", "--live-migration", *args, "--wait",
                                  self.name, parse=False, timeout=600)
        return time.monotonic() - started

    def remove(self):
        self.outside.remove()
        self.deployment.openstack("server", "delete", "--wait", self.name, parse=False,
                                  timeout=300)


class Pinger:
    """``ping`` from the outside namespace every ``interval`` seconds until stopped."""

    def __init__(self, guest, interval):
        self.process = subprocess.Popen(
            ["ip", "netns", "exec", guest.outside.namespace, "ping", "-n", "-i",
             str(interval), "-W", "1", guest.address],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def stop(self):
        """(sent, answered)."""
        self.process.send_signal(signal.SIGINT)
        output, _ = self.process.communicate(timeout=30)
        found = re.search(r"(\d+) packets transmitted, (\d+) received", output)
        assert found, output
        return int(found.group(1)), int(found.group(2))


def domains(host):
    return set(host.ssh("virsh --connect qemu:///system list --name").stdout.split())


def completed_job(host, server_id):
    """libvirt's statistics of the migration that brought the guest to ``host``:
    {"Time elapsed": ms, "Total downtime": ms, ...} as ``virsh domjobinfo --completed``
    prints them."""
    out = host.ssh(f"virsh --connect qemu:///system domjobinfo --completed "
                   f"pocketstack-{server_id}", check=False).stdout
    figures = {}
    for line in out.splitlines():
        name, _, value = line.partition(":")
        number = re.match(r"\s*([\d.]+)", value)
        if number:
            figures[name.strip()] = float(number.group(1))
    return figures
