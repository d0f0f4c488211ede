"""The network's host side for real: bridges, VXLAN, qdhcp- namespaces and dnsmasq,
driven by NetworkPlugger against a real networking API.

A "guest" here is a network namespace joined to the port's bridge by a veth whose
bridge end carries the port's tap name and whose guest end carries the port's MAC;
busybox udhcpc in it asks for a lease as the tiny image would.
"""
import os
import pathlib
import re
import secrets
import shutil
import subprocess
import tempfile

import pytest
from oslo_config import cfg
from pyroute2 import IPRoute, netns

from agent.network import bridge, dhcp, plug
from conf import default as default_conf, network as network_conf
from contract.clients.network import NetworkClient
from tests.lib.cloud import Cloud

pytestmark = pytest.mark.system

GUEST_NS_PREFIX = "pstest-netguest-"
BUSYBOX = "/bin/busybox"
# udhcpc calls this with the lease in its environment: note it, apply the address.
UDHCPC_SCRIPT = """#!/bin/sh
case "$1" in
bound|renew)
    echo "ip=$ip mask=$mask router=$router mtu=$mtu staticroutes=$staticroutes" >"$LEASE_OUT"
    /bin/busybox ip addr add "$ip/$mask" dev "$interface"
    ;;
esac
"""


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("system tests need root")
    instance = Cloud(tmp_path_factory.mktemp("network-host"), roles=["api"], with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def client(cloud):
    client = NetworkClient(cloud.url + "/networking", cloud.openstack("token", "issue")["id"])
    # Guests are pinged from their network's namespace: the project's default security
    # group lets ICMP in, as a user of a cloud with security groups would make it.
    (default,) = client.list_security_groups(name="default")
    client.create_security_group_rule(security_group_id=default["id"], direction="ingress",
                                      protocol="icmp")
    return client


def api(client, method, path, body=None):
    return client.session.request(method, client.base + path, json=body, timeout=30)


@pytest.fixture
def host_conf():
    """The agent's configuration; state_path is world-traversable (as /var/lib is) so
    that dnsmasq can drop root."""
    state_path = tempfile.mkdtemp(prefix="pstest-netstate-")
    os.chmod(state_path, 0o755)
    conf = cfg.ConfigOpts()
    conf.register_opts(default_conf.default_opts)
    conf.register_opts(network_conf.server_opts + network_conf.host_opts, group="network")
    conf([], default_config_files=[])
    conf.set_override("host", "nettest-" + secrets.token_hex(3))
    conf.set_override("state_path", state_path)
    conf.set_override("local_ip", "127.0.0.1", group="network")
    try:
        yield conf
    finally:
        shutil.rmtree(state_path, ignore_errors=True)


@pytest.fixture
def networks(client, host_conf):
    """Factory: a vxlan network with one subnet. Every network's host side is removed
    afterwards, whatever the test left."""
    made = []

    def make(cidr, **subnet):
        network = api(client, "POST", "/networks", {"network": {"name": "hosttest"}})
        network = network.json()["network"]
        made.append(network["id"])
        response = api(client, "POST", "/subnets", {"subnet": {
            "network_id": network["id"], "cidr": cidr, "ip_version": 4, **subnet}})
        assert response.status_code == 201, response.text
        return network

    try:
        yield make
    finally:
        for network_id in made:
            plug.cleanup(network_id, host_conf)
            for port in client.list_ports(network_id=network_id):
                if port["device_owner"] != "network:dhcp":
                    client.delete_port(port["id"])
            api(client, "DELETE", f"/networks/{network_id}")


class FakeGuest:
    """A namespace standing in for a guest: veth ``tap<port>`` on the host side."""

    def __init__(self, port, workdir):
        self.port = port
        self.namespace = GUEST_NS_PREFIX + secrets.token_hex(4)
        self.tap = bridge.tap_name(port["id"])
        self.workdir = workdir
        netns.create(self.namespace)
        with IPRoute() as ipr:
            ipr.link("add", ifname=self.tap, kind="veth",
                     peer={"ifname": "eth0", "net_ns_fd": self.namespace})
        with IPRoute(netns=self.namespace) as ipr:
            index = ipr.link_lookup(ifname="eth0")[0]
            ipr.link("set", index=index, address=port["mac_address"], state="up")
            ipr.link("set", index=ipr.link_lookup(ifname="lo")[0], state="up")

    def attach(self, bridge_name):
        bridge.attach(self.tap, bridge_name)

    def run(self, *command, timeout=30, env=None):
        return subprocess.run(["nsenter", f"--net=/run/netns/{self.namespace}", *command],
                              capture_output=True, text=True, timeout=timeout, env=env)

    def dhcp(self):
        """Ask for a lease with busybox udhcpc; returns the lease's variables."""
        script = os.path.join(self.workdir, f"{self.namespace}.sh")
        lease_out = os.path.join(self.workdir, f"{self.namespace}.lease")
        with open(script, "w") as f:
            f.write(UDHCPC_SCRIPT)
        os.chmod(script, 0o755)
        result = self.run(BUSYBOX, "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-t", "5",
                          "-T", "1", "-O", "staticroutes", "-O", "mtu", "-s", script,
                          env={**os.environ, "LEASE_OUT": lease_out})
        assert result.returncode == 0, f"no lease:\n{result.stdout}\n{result.stderr}"
        with open(lease_out) as f:
            return dict(item.split("=", 1) for item in f.read().split(" ", 4))

    def ping(self, address):
        return self.run(BUSYBOX, "ping", "-c", "1", "-W", "2", address).returncode == 0

    def remove(self):
        bridge.delete_link(self.tap)
        if self.namespace in netns.listnetns():
            netns.remove(self.namespace)


@pytest.fixture
def guests(tmp_path):
    made = []

    def make(port):
        guest = FakeGuest(port, str(tmp_path))
        made.append(guest)
        return guest

    try:
        yield make
    finally:
        for guest in made:
            guest.remove()


def addresses(ifname):
    with IPRoute() as ipr:
        index = ipr.link_lookup(ifname=ifname)[0]
        return [a.get_attr("IFA_ADDRESS") for a in ipr.get_addr(index=index)]


def in_namespace(namespace, *command):
    return subprocess.run(["nsenter", f"--net=/run/netns/{namespace}", *command],
                          capture_output=True, text=True, timeout=30)


def test_dhcp_ping_isolation_and_teardown(client, host_conf, networks, guests):
    plugger = plug.NetworkPlugger(host_conf)
    first = networks("10.201.0.0/24", dns_nameservers=["192.0.2.53"])
    port = client.create_port(first["id"], "guest-a", "compute:nova")
    wired = plugger.plug(port, client)

    assert wired["bridge"] == bridge.bridge_name(first["id"])
    assert wired["tap"] == "tap" + port["id"][:11] and wired["mtu"] == 1450
    assert wired["port"]["binding:host_id"] == host_conf.host
    assert wired["port"]["binding:profile"] == {"local_ip": "127.0.0.1"}
    assert wired["port"]["status"] == "ACTIVE"
    # The root namespace has no address on the bridge, not even IPv6 link-local.
    assert addresses(wired["bridge"]) == []
    with open(f"/proc/sys/net/ipv6/conf/{wired['bridge']}/disable_ipv6") as f:
        assert f.read().strip() == "1"
    vni = wired["port"]["binding:vif_details"]["segmentation_id"]
    assert (bridge.vxlan_name(vni), "vxlan") in bridge.members(wired["bridge"])

    guest = guests(port)
    guest.attach(wired["bridge"])
    lease = guest.dhcp()
    dhcp_port = client.list_ports(network_id=first["id"], device_owner="network:dhcp")[0]
    dhcp_ip = dhcp_port["fixed_ips"][0]["ip_address"]
    assert lease["ip"] == port["fixed_ips"][0]["ip_address"]
    assert lease["mask"] == "24" and lease["router"] == "10.201.0.1"
    assert lease["mtu"] == "1450"
    assert f"169.254.169.254/32 {dhcp_ip}" in lease["staticroutes"]
    assert "0.0.0.0/0 10.201.0.1" in lease["staticroutes"]
    namespace = dhcp.namespace_name(first["id"])
    assert in_namespace(namespace, BUSYBOX, "ping", "-c", "1", "-W", "2",
                        lease["ip"]).returncode == 0
    assert guest.ping(dhcp_ip)

    # A second port on the same host: dnsmasq learns it by SIGHUP, without restarting.
    server = dhcp.DhcpServer(first["id"], host_conf)
    pid = server.pid()
    second_port = client.create_port(first["id"], "guest-b", "compute:nova")
    plugger.plug(second_port, client)
    assert server.pid() == pid
    second = guests(second_port)
    second.attach(wired["bridge"])
    assert second.dhcp()["ip"] == second_port["fixed_ips"][0]["ip_address"]
    assert second.ping(lease["ip"])

    # Another network with the same addresses is another layer 2: no way across.
    other = networks("10.201.0.0/24")
    other_port = client.create_port(other["id"], "guest-c", "compute:nova",
                                    fixed_ips=[{"ip_address": "10.201.0.77"}])
    other_wired = plugger.plug(other_port, client)
    stranger = guests(other_port)
    stranger.attach(other_wired["bridge"])
    assert stranger.dhcp()["ip"] == "10.201.0.77"
    assert not stranger.ping(lease["ip"])
    assert not guest.ping("10.201.0.77")

    # A port bound to another host makes that host a flooding peer of the tunnel.
    client.create_port(first["id"], "remote", "compute:nova", host="elsewhere",
                       **{"binding:profile": {"local_ip": "127.0.0.9"}})
    plugger.refresh(first["id"], client)
    assert bridge.flood_peers(bridge.vxlan_name(vni)) == {"127.0.0.9"}

    # Unplugging one port keeps the network up; the last one takes everything away.
    second.remove()
    plugger.unplug(second_port["id"])
    assert server.pid() == pid
    for guest_, port_ in ((guest, port), (stranger, other_port)):
        plugger.unplug(port_["id"])
        guest_.remove()
    for network in (first, other):
        assert not bridge.link_exists(bridge.bridge_name(network["id"]))
        assert dhcp.namespace_name(network["id"]) not in netns.listnetns()
        assert not bridge.link_exists(dhcp.veth_names(network["id"])[0])
        assert not os.path.exists(dhcp.state_dir(host_conf.state_path, network["id"]))
    assert not bridge.link_exists(bridge.vxlan_name(vni))
    assert server.pid() is None and not dnsmasq_pids(first["id"])
    assert plugger.plugged_networks() == []


def test_an_address_freed_by_a_deleted_port_leases_to_the_next_port(
        client, host_conf, networks, guests):
    """IPAM hands a deleted port's address to the next port at once; dnsmasq must not
    keep it for the old MAC (its lease lasts a day) but release it when the port goes."""
    plugger = plug.NetworkPlugger(host_conf)
    network = networks("10.202.0.0/24")
    keeper = client.create_port(network["id"], "keeper", "compute:nova")
    wired = plugger.plug(keeper, client)
    old = client.create_port(network["id"], "old", "compute:nova",
                             fixed_ips=[{"ip_address": "10.202.0.50"}])
    plugger.plug(old, client)
    old_guest = guests(old)
    old_guest.attach(wired["bridge"])
    assert old_guest.dhcp()["ip"] == "10.202.0.50"
    leases = os.path.join(dhcp.state_dir(host_conf.state_path, network["id"]), "leases")
    with open(leases) as f:
        assert old["mac_address"] in f.read()

    old_guest.remove()
    plugger.unplug(old["id"])
    client.delete_port(old["id"])
    new = client.create_port(network["id"], "new", "compute:nova",
                             fixed_ips=[{"ip_address": "10.202.0.50"}])
    assert new["mac_address"] != old["mac_address"]
    plugger.plug(new, client)
    new_guest = guests(new)
    new_guest.attach(wired["bridge"])
    assert new_guest.dhcp()["ip"] == "10.202.0.50"
    with open(leases) as f:
        assert old["mac_address"] not in f.read()
    for port in (new, keeper):
        plugger.unplug(port["id"])


def dnsmasq_pids(network_id):
    """dnsmasq processes whose command line mentions the network."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace")
        except OSError:
            continue
        if "dnsmasq" in argv and network_id in argv:
            found.append(int(entry))
    return found


def test_cleanup_removes_a_half_built_network(client, host_conf, networks):
    """Cleanup removes whatever exists of a network left with no ports, e.g. after the
    agent died mid-teardown."""
    network = networks("10.202.0.0/24")
    port = client.create_port(network["id"], "guest", "compute:nova")
    plugger = plug.NetworkPlugger(host_conf)
    plugger.plug(port, client)
    # Leave a stray tap on the bridge, as a guest that was never unplugged would.
    with IPRoute() as ipr:
        ipr.link("add", ifname=bridge.tap_name(port["id"]), kind="tuntap", mode="tap")
    bridge.attach(bridge.tap_name(port["id"]), bridge.bridge_name(network["id"]))
    # As if the agent died between forgetting the last port and tearing down.
    registry = plug.Registry(host_conf.state_path, network["id"])
    registry.ports = {}
    registry.save()
    plugger.cleanup_stale()
    assert not bridge.link_exists(bridge.bridge_name(network["id"]))
    assert not bridge.link_exists(bridge.tap_name(port["id"]))
    assert dhcp.namespace_name(network["id"]) not in netns.listnetns()
    assert not dnsmasq_pids(network["id"])
    assert plugger.plugged_networks() == []


TINY_IMAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "images", "build", "pocketstack-tiny.qcow2")
GUEST_BOOT_TIMEOUT = 180


def interface_xml(wired, mac):
    """The guest NIC as compute writes it: a tap on the network's bridge."""
    return (f"<interface type='bridge'><mac address='{mac}'/>"
            f"<source bridge='{wired['bridge']}'/><target dev='{wired['tap']}'/>"
            f"<model type='virtio'/><mtu size='{wired['mtu']}'/></interface>")


@pytest.fixture
def boot_on_network(libvirt_conn):
    """Factory: boot a pocketstack-tiny guest with one NIC and a user-data script.
    Domains and their files are removed afterwards, whatever happened."""
    import libvirt

    from agent.virt.configdrive import build_config_drive
    from tests.system.conftest import DOMAIN_PREFIX, Guest, domain_xml

    if not os.path.exists(TINY_IMAGE):
        pytest.skip("images/build/pocketstack-tiny.qcow2 is not built")
    made, workdirs = [], []

    def boot(wired, mac, user_data):
        workdir = tempfile.mkdtemp(prefix=DOMAIN_PREFIX)
        workdirs.append(workdir)
        os.chmod(workdir, 0o755)              # qemu runs as libvirt-qemu
        overlay = os.path.join(workdir, "disk.qcow2")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                        TINY_IMAGE, overlay], check=True)
        drive = os.path.join(workdir, "config-drive.iso")
        name = f"{DOMAIN_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        build_config_drive(drive, {"uuid": name, "name": name}, user_data.encode())
        console_log = os.path.join(workdir, "console.log")
        xml = domain_xml(name, overlay, console_log, drive).replace(
            "<memballoon", interface_xml(wired, mac) + "\n    <memballoon")
        dom = libvirt_conn.createXML(xml, 0)
        made.append(dom)
        return Guest(dom, pathlib.Path(console_log))

    try:
        yield boot
    finally:
        for dom in made:
            try:
                dom.destroy()
            except libvirt.libvirtError:
                pass
        for workdir in workdirs:
            shutil.rmtree(workdir, ignore_errors=True)


def ping_script(peer):
    return f"""#!/bin/sh
for try in $(seq 1 60); do
    if ping -c 1 -W 1 {peer} >/dev/null 2>&1; then echo "peer {peer} answered"; exit 0; fi
    sleep 1
done
echo "peer {peer} silent"
"""


@pytest.mark.guests
def test_two_tiny_guests_get_dhcp_addresses_and_reach_each_other(
        client, host_conf, networks, boot_on_network):
    plugger = plug.NetworkPlugger(host_conf)
    network = networks("10.203.0.0/24")
    ports = [client.create_port(network["id"], f"tiny-{i}", "compute:nova") for i in range(2)]
    addresses = [port["fixed_ips"][0]["ip_address"] for port in ports]
    wired = [plugger.plug(port, client) for port in ports]
    guests = [boot_on_network(wired[i], ports[i]["mac_address"], ping_script(addresses[1 - i]))
              for i in range(2)]
    for guest, address in zip(guests, addresses):
        guest.wait_for_console(rf"^address: eth0 {re.escape(address)}/24", GUEST_BOOT_TIMEOUT)
    namespace = dhcp.namespace_name(network["id"])
    for address in addresses:
        assert in_namespace(namespace, BUSYBOX, "ping", "-c", "3", "-W", "2",
                            address).returncode == 0
    for guest, peer in zip(guests, reversed(addresses)):
        # Not anchored: the console's "press Enter" prompt may share the line.
        guest.wait_for_console(rf"user-data: peer {re.escape(peer)} answered",
                               GUEST_BOOT_TIMEOUT)
    for guest, port in zip(guests, ports):
        guest.dom.destroy()
        plugger.unplug(port["id"])
    assert not bridge.link_exists(wired[0]["bridge"])
    assert namespace not in netns.listnetns()
