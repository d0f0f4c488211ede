"""The all-in-one as a new user meets it: ``pocketstack up``, the stock ``openstack`` CLI
from its own venv through to a guest that answers ping and SSH, then ``pocketstack down``
leaving nothing behind."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from tests.lib.cloud import REPO, client_bin, free_port
from tests.system.conftest import VIRT_TYPE

pytestmark = [pytest.mark.system, pytest.mark.slow, pytest.mark.guests]


def run(*cmd, timeout=300, check=True, env=None):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


class AllInOne:
    def __init__(self, tmp_path):
        self.config_dir = str(tmp_path / "etc")
        self.state_path = str(tmp_path / "state")
        self.clouds_yaml = str(tmp_path / "clouds.yaml")
        self.key = str(tmp_path / "id_ed25519")
        self.port = free_port()
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "aio-test", "-f", self.key)

    def pocketstack(self, *args, timeout=600):
        return run(sys.executable, "-m", "controller.cmd.cli", *args,
                   "--config-dir", self.config_dir, "--state-path", self.state_path,
                   timeout=timeout)

    def up(self):
        return self.pocketstack("up", "--port", str(self.port), "--virt-type", VIRT_TYPE,
                                "--clouds-yaml", self.clouds_yaml, "--ssh-key", self.key + ".pub")

    def openstack(self, *args, cloud="pocketstack", parse=True):
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env.update(OS_CLIENT_CONFIG_FILE=self.clouds_yaml, OS_CLOUD=cloud)
        result = run(client_bin("openstack"), *args, *(["-f", "json"] if parse else []),
                     env=env)
        return json.loads(result.stdout) if parse else result.stdout

    def log_tail(self):
        path = os.path.join(self.state_path, "pocketstack.log")
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            return "".join(f.readlines()[-80:])


@pytest.fixture(scope="module")
def aio():
    # Not pytest's tmp_path: qemu runs as its own user and must reach the state dir.
    workdir = tempfile.mkdtemp(prefix="pocketstack-aio-", dir="/var/tmp")
    os.chmod(workdir, 0o755)
    cloud = AllInOne(pathlib.Path(workdir))
    try:
        cloud.up()
        yield cloud
    finally:
        subprocess.run([sys.executable, "-m", "controller.cmd.cli", "down",
                        "--config-dir", cloud.config_dir, "--state-path", cloud.state_path],
                       capture_output=True, timeout=300, cwd=REPO)
        shutil.rmtree(workdir, ignore_errors=True)


def wait_for(predicate, timeout, interval=1.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def in_namespace(namespace, *cmd, timeout=30):
    return subprocess.run(["ip", "netns", "exec", namespace, *cmd], capture_output=True,
                          text=True, timeout=timeout)


def test_up_is_idempotent(aio):
    again = aio.up()
    assert "already running" in again.stdout


def test_stock_cli_boots_a_guest_that_answers_ping_and_ssh(aio):
    token = aio.openstack("token", "issue")
    assert token["project_id"]
    assert "pocketstack-tiny" in [i["Name"] for i in aio.openstack("image", "list")]
    networks = {n["Name"]: n for n in aio.openstack("network", "list")}
    assert "private" in networks
    network_id = networks["private"]["ID"]

    server = aio.openstack("server", "create", "--image", "pocketstack-tiny",
                           "--flavor", "m1.nano", "--network", "private",
                           "--key-name", "default", "--wait", "vm1")
    assert server["status"] == "ACTIVE", aio.log_tail()
    address = re.search(r"(\d+\.\d+\.\d+\.\d+)", json.dumps(server["addresses"])).group(1)

    # The guest's console log is watched on disk for the banner (a CLI run per look would
    # take a second of CPU from the booting guest); the stock CLI then shows the console.
    console_log = pathlib.Path(aio.state_path, "instances", server["id"], "console.log")
    wait_for(lambda: console_log.exists() and "hostname: vm1" in console_log.read_text(
        errors="replace"), timeout=180, interval=0.5, what="the guest's banner on its console")
    console = aio.openstack("console", "log", "show", "vm1", parse=False)
    assert "hostname: vm1" in console and "ssh-key: ssh-ed25519" in console

    namespace = f"qdhcp-{network_id}"
    wait_for(lambda: in_namespace(namespace, "ping", "-c", "1", "-W", "2", address)
             .returncode == 0, timeout=60, what=f"ping {address}")
    ssh = wait_for(
        lambda: (lambda r: r if r.returncode == 0 else None)(in_namespace(
            namespace, "ssh", "-i", aio.key, "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
            "-o", "BatchMode=yes", f"root@{address}", "hostname")),
        timeout=90, interval=3, what="SSH into the guest")
    assert ssh.stdout.strip() == "vm1"

    # The build, step by step as the seed tells it, with the host-side steps this time.
    trace = run(sys.executable, "-m", "controller.cmd.cli", "trace", "vm1",
                "--config-dir", aio.config_dir).stdout
    for step in ("1 auth", "2 API", "2 scheduling", "3 network", "4 storage", "5 image",
                 "6 boot", "7 state"):
        assert f"\n{step}" in trace, trace

    aio.openstack("server", "delete", "--wait", "vm1", parse=False)
    assert aio.openstack("server", "list") == []


def test_floating_ip_reaches_a_guest_through_router1_and_pocketstack_ssh(aio):
    public = aio.openstack("network", "show", "public")
    assert public["router:external"] is True
    router = aio.openstack("router", "show", "router1")
    assert router["external_gateway_info"]["network_id"] == public["id"]
    # The external bridge is host-only: no address of the host's on it.
    public_bridge = f"brq{public['id'][:11]}"
    wait_for(lambda: public_bridge in run("ip", "-o", "link", "show").stdout, timeout=60,
             what="the public bridge")
    assert run("ip", "-o", "addr", "show", "dev", public_bridge).stdout == ""

    aio.openstack("server", "create", "--image", "pocketstack-tiny", "--flavor", "m1.nano",
                  "--network", "private", "--key-name", "default", "--wait", "vm3")
    fip = aio.openstack("floating", "ip", "create", "public")
    address = fip["floating_ip_address"]
    aio.openstack("server", "add", "floating", "ip", "vm3", address, parse=False)
    attempts = []

    def pocketstack_ssh():
        result = subprocess.run(
            [sys.executable, "-m", "controller.cmd.cli", "ssh", "--config-dir",
             aio.config_dir, "--state-path", aio.state_path, "-i", aio.key, "vm3",
             "hostname"], capture_output=True, text=True, timeout=120,
            stdin=subprocess.DEVNULL)
        attempts.append(result)
        return result if result.returncode == 0 else None

    try:
        ssh = wait_for(pocketstack_ssh, timeout=300, interval=3, what="pocketstack ssh vm3")
    except AssertionError:
        namespace = f"qrouter-{router['id']}"
        raise AssertionError(
            f"pocketstack ssh vm3 failed: {attempts[-1].stderr}\n"
            f"{in_namespace(namespace, 'ip', 'addr').stdout}\n"
            f"{in_namespace(namespace, 'nft', 'list', 'ruleset').stdout}\n"
            f"{aio.openstack('console', 'log', 'show', 'vm3', parse=False)[-2000:]}\n"
            f"{aio.log_tail()}") from None
    assert ssh.stdout.strip() == "vm3"
    pinged = run(sys.executable, "-m", "controller.cmd.cli", "exec", "--config-dir",
                 aio.config_dir, "--state-path", aio.state_path, "vm3", "--", "ping", "-c",
                 "1", "-W", "5", "{ip}")
    assert f"from {address}" in pinged.stdout
    aio.openstack("server", "delete", "--wait", "vm3", parse=False)
    aio.openstack("floating", "ip", "delete", fip["id"], parse=False)


def test_down_leaves_nothing_behind(aio):
    networks = {n["Name"]: n["ID"] for n in aio.openstack("network", "list")}
    router_id = aio.openstack("router", "show", "router1")["id"]
    aio.openstack("server", "create", "--image", "pocketstack-tiny", "--flavor", "m1.nano",
                  "--network", "private", "--wait", "vm2")
    aio.pocketstack("down")
    status = subprocess.run([sys.executable, "-m", "controller.cmd.cli", "status",
                             "--config-dir", aio.config_dir, "--state-path", aio.state_path],
                            capture_output=True, text=True)
    assert status.returncode == 3, status.stdout

    domains = run("virsh", "-c", "qemu:///system", "list", "--all", "--uuid").stdout
    instances_dir = os.path.join(aio.state_path, "instances")
    leftover_instances = [d for d in os.listdir(instances_dir)] if os.path.isdir(
        instances_dir) else []
    assert not any(uuid in domains for uuid in leftover_instances), domains
    links = run("ip", "-o", "link", "show").stdout
    namespaces = run("ip", "netns", "list").stdout
    dnsmasq = run("pgrep", "-af", "dnsmasq", check=False).stdout
    tables = run("nft", "list", "tables", "inet", check=False).stdout
    assert f"qrouter-{router_id}" not in namespaces
    for network_id in networks.values():
        assert f"pocketstack-sg-{network_id}" not in tables
        assert f"brq{network_id[:11]}" not in links
        assert f"qdhcp-{network_id}" not in namespaces
        assert network_id not in dnsmasq
