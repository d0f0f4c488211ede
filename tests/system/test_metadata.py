"""The metadata service for real, served by the agent inside a network's qdhcp-
namespace at http://169.254.169.254/.

The whole cloud: the stock CLI boots a tiny guest with no config drive on a network (the
libvirt driver), and the guest learns its hostname, SSH key and user data from the
service, and reads EC2 paths from its user data.

The host side up close: this process plays the agent (NetworkPlugger plugs the ports) and
runs a real conductor on the in-process bus over a SQLite database; the "guests" are
namespaces on the bridge. Each reads only its own documents, an address no port has gets
404, and after the last unplug nothing of the service is left.
"""
import base64
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid

import libvirt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from oslo_config import cfg

from agent.network import dhcp, metadata, plug
from conf import api as api_conf, compute as compute_conf, default as default_conf
from conf import quota as quota_conf, scheduler as scheduler_conf
from contract import rpc
from controller.api.app import Runtime
from controller.compute import models, states
from controller.conductor.manager import ConductorManager
from controller.db import migration
from controller.db.engine import Database
from tests.lib.cloud import Cloud
from tests.system.conftest import GUEST_MIB, VIRT_TYPE
from tests.system.test_network_host import (  # noqa: F401  (fixtures used below)
    BUSYBOX, FakeGuest, client, cloud, host_conf)

pytestmark = pytest.mark.system

METADATA_URL = "http://169.254.169.254"
BOOT_TIMEOUT = 180
PUBLIC_KEY = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
    serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() \
    + " tester@metadata"
# Run by the guest from its user data: what it reads at EC2 paths goes to the console.
USER_DATA = f"""#!/bin/sh
for path in instance-id local-ipv4 public-keys/0/openssh-key; do
    echo "ec2 $path: $(timeout 5 wget -q -O - {METADATA_URL}/latest/meta-data/$path)"
done
"""


def fingerprint(public_key):
    blob = base64.b64decode(public_key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def listeners_in(namespace_fd):
    """Listening TCP sockets in the namespace behind this process's fd."""
    result = subprocess.run(["nsenter", f"--net=/proc/{os.getpid()}/fd/{namespace_fd}",
                             "ss", "-Hltn"], capture_output=True, text=True, timeout=30,
                            check=True)
    return result.stdout.strip()


# --- the whole cloud ----------------------------------------------------------------------

@pytest.fixture
def libvirt_cloud(libvirt_conn, tiny_image):
    """A stack whose agent boots real guests, none with a config drive. Whatever the test
    leaves is removed: servers through the API, then any guest or network host side the
    agent left in its state directory."""
    # Not pytest's tmp_path: qemu runs as its own user and must reach the state dir.
    workdir = tempfile.mkdtemp(prefix="pstest-metadata-", dir="/var/tmp")
    os.chmod(workdir, 0o755)
    stack = Cloud(workdir, conf={"agent": {"virt_driver": "libvirt",
                                           "force_config_drive": "false"},
                                 "libvirt": {"virt_type": VIRT_TYPE}})
    try:
        yield stack.start(timeout=120)
    finally:
        try:
            for server in stack.openstack("server", "list", check=False) or ():
                stack.openstack("server", "delete", "--wait", server["ID"], parse=False,
                                check=False, timeout=180)
        finally:
            stack.stop()
            state_path = os.path.join(workdir, "state")
            instances = os.path.join(state_path, "instances")
            for name in os.listdir(instances) if os.path.isdir(instances) else ():
                with contextlib.suppress(libvirt.libvirtError):
                    dom = libvirt_conn.lookupByName(f"pocketstack-{name}")
                    with contextlib.suppress(libvirt.libvirtError):
                        dom.destroy()
                    dom.undefine()
            leftover = plug_conf(state_path)
            for network_id in plug.Registry.network_ids(state_path):
                plug.cleanup(network_id, leftover)
            shutil.rmtree(workdir, ignore_errors=True)


def plug_conf(state_path):
    """Just enough configuration to remove a network's host side under ``state_path``."""
    conf = cfg.ConfigOpts()
    conf.register_opts(default_conf.default_opts)
    conf([], default_config_files=[])
    conf.set_override("state_path", state_path)
    return conf


def console_until(stack, server_id, pattern, timeout=BOOT_TIMEOUT):
    """The server's console log, as the stock CLI shows it, once ``pattern`` is in it.
    Waiting polls the compute API itself: a CLI run costs a second of CPU, which the
    booting guest needs more."""
    compute = requests.Session()
    compute.headers["X-Auth-Token"] = stack.admin_token()
    url = f"{stack.url}/compute/v2.1/servers/{server_id}/action"
    deadline = time.monotonic() + timeout
    while True:
        console = compute.post(url, json={"os-getConsoleOutput": {}}, timeout=30).json()
        if re.search(pattern, console.get("output", ""), re.MULTILINE):
            break
        assert time.monotonic() < deadline, f"{pattern!r} not on the console:\n{console}"
        time.sleep(0.5)
    return stack.openstack("console", "log", "show", server_id, parse=False).stdout


@pytest.mark.slow
def test_stock_cli_server_without_config_drive_reads_the_metadata_service(
        libvirt_cloud, tiny_image, tmp_path):
    stack = libvirt_cloud
    stack.openstack("image", "create", "--disk-format", "qcow2", "--container-format",
                    "bare", "--file", str(tiny_image), "--public", "metadata-tiny")
    stack.openstack("flavor", "create", "--ram", str(GUEST_MIB), "--disk", "1", "--vcpus",
                    "1", "metadata-nano")
    network = stack.openstack("network", "create", "metadata-net")
    stack.openstack("subnet", "create", "--network", "metadata-net", "--subnet-range",
                    "10.205.0.0/24", "metadata-subnet")
    (tmp_path / "key.pub").write_text(PUBLIC_KEY + "\n")
    stack.openstack("keypair", "create", "--public-key", str(tmp_path / "key.pub"), "tester")
    (tmp_path / "user-data").write_text(USER_DATA)
    server = stack.openstack("server", "create", "--image", "metadata-tiny", "--flavor",
                             "metadata-nano", "--network", "metadata-net", "--key-name",
                             "tester", "--user-data", str(tmp_path / "user-data"), "--wait",
                             "meta-vm", timeout=300)
    assert server["status"] == "ACTIVE", stack.log_tail()
    address = server["addresses"]["metadata-net"][0]

    console = console_until(stack, server["id"], r"user-data: ec2 public-keys/0/openssh-key")
    assert "datasource: metadata-service" in console
    assert "\nhostname: meta-vm\n" in console
    assert f"\ninstance-id: {server['id']}\n" in console
    assert f"ssh-key: ssh-ed25519 {fingerprint(PUBLIC_KEY)} tester@metadata" in console
    assert f"user-data: ec2 instance-id: {server['id']}" in console
    assert f"user-data: ec2 local-ipv4: {address}" in console
    assert f"user-data: ec2 public-keys/0/openssh-key: {PUBLIC_KEY}" in console

    # The server's deletion takes the network's last port here: the service goes too.
    namespace_fd = os.open(f"/run/netns/{dhcp.namespace_name(network['id'])}", os.O_RDONLY)
    try:
        assert ":80 " in listeners_in(namespace_fd)
        stack.openstack("server", "delete", "--wait", "meta-vm", parse=False, timeout=180)
        assert dhcp.namespace_name(network["id"]) not in os.listdir("/run/netns")
        assert listeners_in(namespace_fd) == ""
    finally:
        os.close(namespace_fd)


# --- the host side up close ---------------------------------------------------------------


@pytest.fixture
def conductor(cloud, tmp_path):
    """A real ConductorManager serving the in-process bus (as the controller's does),
    with its own database and the cloud's network service."""
    conf = cfg.ConfigOpts()
    conf.register_opts(default_conf.default_opts)
    conf.register_opts(api_conf.api_opts, group="api")
    for group, opts in (compute_conf.list_opts() + quota_conf.list_opts()
                         + scheduler_conf.list_opts()):
        conf.register_opts(opts, group=group)
    conf([], default_config_files=[])
    conf.set_override("host", "metadata-conductor")
    conf.set_override("network_endpoint", cloud.url + "/networking", group="compute")
    url = f"sqlite:///{tmp_path / 'conductor.sqlite'}"
    migration.upgrade(url)
    db = Database(url)
    manager = ConductorManager(Runtime(conf=conf, db=db))
    server = rpc.get_server(rpc.CONDUCTOR_TOPIC, conf.host, [manager])
    server.start()
    try:
        yield manager
    finally:
        server.stop()
        server.wait()
        db.dispose()


def add_instance(db, host, network_id, **fields):
    instance_uuid = str(uuid.uuid4())
    flavor = {"id": "f", "name": "m1.nano", "vcpus": 1, "memory_mb": GUEST_MIB,
              "root_gb": 0, "ephemeral_gb": 0, "swap": 0, "extra_specs": {}}
    values = dict(uuid=instance_uuid, name="vm", hostname="vm", project_id="p",
                  user_id="u", image_ref="i", image_meta={}, flavor_id="f", flavor=flavor,
                  vcpus=1, memory_mb=GUEST_MIB, root_gb=0, vm_state=states.ACTIVE,
                  task_state=None, host=host, node=host, availability_zone="nova",
                  requested_networks=[{"network_id": network_id}], request_spec={},
                  retry={}, reservation_id="r-1")
    values.update(fields)
    with db.session() as session:
        session.add(models.Instance(**values))
    return instance_uuid


def record_network_info(db, instance_uuid, port, subnet, wired):
    """The instance's network_info, as the agent records it once it plugged the port."""
    vif = {"id": port["id"], "address": port["mac_address"], "devname": wired["tap"],
           "network": {"id": port["network_id"], "label": "metadata-test",
                       "bridge": wired["bridge"], "mtu": wired["mtu"],
                       "subnets": [{"id": subnet["id"], "cidr": subnet["cidr"],
                                    "gateway": subnet["gateway_ip"],
                                    "dns": subnet["dns_nameservers"],
                                    "ips": [{"address": ip["ip_address"], "version": 4}
                                            for ip in port["fixed_ips"]]}]}}
    with db.session() as session:
        session.get(models.Instance, instance_uuid).network_info = [vif]


@pytest.fixture
def network(client, host_conf):
    """A vxlan network with one subnet; its host side and ports go afterwards."""
    made = client.session.post(client.base + "/networks", timeout=30,
                               json={"network": {"name": "metadata-test"}}).json()["network"]
    response = client.session.post(client.base + "/subnets", timeout=30, json={"subnet": {
        "network_id": made["id"], "cidr": "10.204.0.0/24", "ip_version": 4}})
    assert response.status_code == 201, response.text
    try:
        yield made, response.json()["subnet"]
    finally:
        plug.cleanup(made["id"], host_conf)
        for port in client.list_ports(network_id=made["id"]):
            if port["device_owner"] != plug.DHCP_OWNER:
                client.delete_port(port["id"])
        client.session.delete(f"{client.base}/networks/{made['id']}", timeout=30)


def fetch(guest, path, *options):
    """(exit status, output) of busybox wget for ``path`` inside a namespace guest."""
    result = guest.run(BUSYBOX, "timeout", "10", BUSYBOX, "wget", "-q", "-O", "-", *options,
                       METADATA_URL + path)
    return result.returncode, result.stdout + result.stderr


def use_address(guest, address, dhcp_address):
    """Give the namespace guest ``address`` and the route to the metadata service that
    DHCP would give it."""
    for command in (("ip", "addr", "flush", "dev", "eth0"),
                    ("ip", "addr", "add", f"{address}/24", "dev", "eth0"),
                    ("ip", "route", "add", "169.254.169.254/32", "via", dhcp_address)):
        result = guest.run(BUSYBOX, *command)
        assert result.returncode == 0, result.stderr


def test_each_guest_reads_only_its_own_metadata_and_nothing_is_left(
        conductor, client, host_conf, network, tmp_path):
    network, subnet = network
    plugger = plug.NetworkPlugger(host_conf)
    user_data = base64.b64encode(USER_DATA.encode()).decode()
    first = add_instance(conductor.db, host_conf.host, network["id"], name="first",
                         hostname="first.novalocal", key_name="tester",
                         key_data=PUBLIC_KEY, user_data=user_data)
    second = add_instance(conductor.db, host_conf.host, network["id"], name="second",
                          hostname="second")
    ports, guests = [], []
    try:
        for instance_uuid in (first, second):
            port = client.create_port(network["id"], instance_uuid, "compute:nova")
            ports.append(port)
            wired = plugger.plug(port, client)
            record_network_info(conductor.db, instance_uuid, port, subnet, wired)
            guests.append(FakeGuest(port, str(tmp_path)))
            guests[-1].attach(wired["bridge"])
        assert network["id"] in metadata.running()
        dhcp_port = client.list_ports(network_id=network["id"],
                                      device_owner=plug.DHCP_OWNER)[0]
        dhcp_address = dhcp_port["fixed_ips"][0]["ip_address"]
        addresses = [port["fixed_ips"][0]["ip_address"] for port in ports]
        for guest, address in zip(guests, addresses):
            use_address(guest, address, dhcp_address)
        one, two = guests

        status, body = fetch(one, "/openstack/latest/meta_data.json")
        assert status == 0, body
        meta = json.loads(body)
        assert (meta["uuid"], meta["hostname"]) == (first, "first.novalocal")
        assert meta["public_keys"] == {"tester": PUBLIC_KEY}
        assert fetch(one, "/openstack/latest/user_data") == (0, USER_DATA)
        status, body = fetch(one, "/openstack/latest/network_data.json")
        assert json.loads(body)["networks"][0]["ip_address"] == addresses[0]
        assert fetch(one, "/latest/meta-data/local-ipv4") == (0, addresses[0])
        assert fetch(one, "/latest/meta-data/public-keys/0/openssh-key") == (0, PUBLIC_KEY)

        status, body = fetch(two, "/openstack/latest/meta_data.json")
        assert status == 0 and json.loads(body)["uuid"] == second, body
        assert fetch(two, "/latest/meta-data/instance-id") == (0, second)
        status, body = fetch(two, "/latest/meta-data/public-keys/")
        assert status != 0 and "404" in body        # the second instance has no key
        status, body = fetch(two, "/openstack/latest/meta_data.json", "--post-data", "x")
        assert status != 0 and "405" in body

        # The service lives in the agent's process, so an agent restart ends it; the
        # agent's start (cleanup_stale) serves the networks still here again.
        metadata.stop(network["id"])
        assert fetch(one, "/latest/meta-data/instance-id")[0] != 0
        plugger.cleanup_stale()
        assert fetch(one, "/latest/meta-data/instance-id") == (0, first)

        # The same namespace with an address no port here has: port security keeps it
        # from the service; without port security, 404 for every path.
        use_address(two, "10.204.0.250", dhcp_address)
        assert "can't connect" in fetch(two, "/latest/meta-data/instance-id")[1]
        host_conf.set_override("port_security", False, group="network")
        plug.NetworkPlugger(host_conf).cleanup_stale()
        for path in ("/openstack/latest/meta_data.json", "/latest/meta-data/instance-id"):
            status, body = fetch(two, path)
            assert status != 0 and "404" in body, (path, body)
    finally:
        for guest in guests:
            guest.remove()

    # Unplugging the last port stops the service with the namespace: no thread, no socket.
    namespace_fd = os.open(f"/run/netns/{dhcp.namespace_name(network['id'])}", os.O_RDONLY)
    try:
        assert ":80 " in listeners_in(namespace_fd)
        plugger.unplug(ports[1]["id"])
        assert network["id"] in metadata.running()
        plugger.unplug(ports[0]["id"])
        assert network["id"] not in metadata.running()
        assert dhcp.namespace_name(network["id"]) not in os.listdir("/run/netns")
        assert listeners_in(namespace_fd) == ""
    finally:
        os.close(namespace_fd)
    assert not [thread.name for thread in threading.enumerate()
                if thread.name == f"metadata-{network['id'][:11]}"]
