"""Port security for real: nftables rules on the bridge keep each "guest" (a namespace
joined by a veth named like the port's tap, see test_network_host) to its port's MAC and
addresses, and out of the DHCP server's and the IPv6 router's role.

Each traffic test runs twice: with port security, the spoofing fails; with
``[network] port_security = false``, the very same spoofing succeeds, which shows both
that the option turns it off and that the test would notice rules that let it through.
"""
import json
import subprocess
import sys
import time

import pytest

from agent.network import bridge, dhcp, metadata, plug, port_security
from tests.system.test_network_host import (  # noqa: F401  (fixtures used below)
    client, cloud, guests, host_conf, in_namespace, networks)

pytestmark = pytest.mark.system

METADATA = (metadata.METADATA_ADDRESS, metadata.METADATA_PORT)
SPOOFED_LINK_LOCAL = "fe80::bad:1"
DAD_TIMEOUT = 10

CONNECT = """
import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()
"""
# Print each datagram that reaches UDP port 68 (a DHCP client's), until 2 s of silence.
UDP_LISTENER = """
import socket
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("", 68))
sock.settimeout(2)
print("ready", flush=True)
try:
    while True:
        print(sock.recv(512).decode(), flush=True)
except TimeoutError:
    pass
"""
UDP_SENDER = """
import socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("", int(sys.argv[1])))
sock.sendto(sys.argv[3].encode(), (sys.argv[2], 68))
"""
# Print the type of each ICMPv6 message received, until 2 s of silence.
ICMPV6_LISTENER = """
import socket
sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
sock.settimeout(2)
print("ready", flush=True)
try:
    while True:
        print(sock.recv(2048)[0], flush=True)
except TimeoutError:
    pass
"""
# An ICMPv6 message of the given type to all nodes: type, code, checksum (the kernel's),
# then 12 zero bytes (an echo's identifier and sequence, or a router advertisement with
# lifetime 0).
ICMPV6_SENDER = """
import socket, sys
sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
sock.sendto(bytes([int(sys.argv[1])]) + bytes(15),
            ("ff02::1", 0, 0, socket.if_nametoindex("eth0")))
"""
ECHO_REQUEST, ROUTER_ADVERTISEMENT = 128, 134


def nft_listing():
    """The table's items; none once the host's last port chain took the table away."""
    tables = subprocess.run(["nft", "-j", "list", "tables", port_security.FAMILY],
                            capture_output=True, text=True, timeout=30, check=True)
    if not any(item.get("table", {}).get("name") == port_security.TABLE
               for item in json.loads(tables.stdout)["nftables"]):
        return []
    result = subprocess.run(["nft", "-j", "list", "table", port_security.FAMILY,
                             port_security.TABLE], capture_output=True, text=True,
                            timeout=30, check=True)
    return json.loads(result.stdout)["nftables"]


def chains(network_id):
    """{chain: taps jumping to it} of the network in the kernel's table."""
    return port_security.network_chains(nft_listing(), network_id)


def chain_text(network_id, port_id):
    return subprocess.run(["nft", "list", "chain", port_security.FAMILY,
                           port_security.TABLE,
                           port_security.chain_name(network_id, port_id)],
                          capture_output=True, text=True, timeout=30, check=True).stdout


def python_in(guest, script, *args):
    return guest.run(sys.executable, "-c", script, *args)


def listen(guest, script):
    """Start a listener script in ``guest``; returns once it listens."""
    process = subprocess.Popen(["nsenter", f"--net=/run/netns/{guest.namespace}",
                                sys.executable, "-c", script],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    return process


def heard(process):
    out, _ = process.communicate(timeout=30)
    return out.split()


def wait_for_link_local(guest):
    """The guest's EUI-64 link-local address once duplicate address detection is done."""
    deadline = time.monotonic() + DAD_TIMEOUT
    while True:
        shown = guest.run("ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link")
        if shown.stdout and "tentative" not in shown.stdout:
            return shown.stdout.split()[3].split("/")[0]
        assert time.monotonic() < deadline, shown.stdout
        time.sleep(0.2)


@pytest.fixture(params=[True, False], ids=["port_security", "no_port_security"])
def pair(request, client, host_conf, networks, guests):
    """Two guests with leases on one network, with port security on or off."""
    host_conf.set_override("port_security", request.param, group="network")
    plugger = plug.NetworkPlugger(host_conf)
    network = networks("10.204.0.0/24")
    ports = [client.create_port(network["id"], f"guest-{i}", "compute:nova")
             for i in range(2)]
    wired = [plugger.plug(port, client) for port in ports]
    made = [guests(port) for port in ports]
    for guest in made:
        guest.attach(wired[0]["bridge"])
        guest.dhcp()
    dhcp_port = client.list_ports(network_id=network["id"], device_owner="network:dhcp")[0]
    expected = ({port_security.chain_name(network["id"], port["id"]) for port in ports}
                if request.param else set())
    assert set(chains(network["id"])) == expected
    return {"protected": request.param, "network": network, "ports": ports,
            "guests": made, "dhcp_ip": dhcp_port["fixed_ips"][0]["ip_address"]}


def test_a_guest_that_takes_another_address_or_mac_is_cut_off(pair):
    network, (port_a, port_b), (guest_a, guest_b) = (pair["network"], pair["ports"],
                                                     pair["guests"])
    ip_a, ip_b = (port["fixed_ips"][0]["ip_address"] for port in (port_a, port_b))
    dhcp_ip, namespace = pair["dhcp_ip"], dhcp.namespace_name(network["id"])

    def reaches_dhcp_and_metadata():
        # The DHCP namespace must ask who has the address now, not use what it knew.
        assert in_namespace(namespace, "ip", "neigh", "flush", "all").returncode == 0
        guest_b.run("ip", "route", "replace", f"{METADATA[0]}/32", "via", dhcp_ip)
        pinged = guest_b.ping(dhcp_ip)
        connected = python_in(guest_b, CONNECT, *map(str, METADATA)).returncode == 0
        assert pinged == connected, (pinged, connected)
        return pinged

    assert guest_a.ping(dhcp_ip) and reaches_dhcp_and_metadata()

    # Guest A is switched off; B takes its address to read A's metadata.
    guest_a.remove()
    for args in (("del", f"{ip_b}/24"), ("add", f"{ip_a}/24")):
        guest_b.run("ip", "addr", *args, "dev", "eth0")
    assert reaches_dhcp_and_metadata() is not pair["protected"]

    # Back on its own address, B reaches both again.
    for args in (("del", f"{ip_a}/24"), ("add", f"{ip_b}/24")):
        guest_b.run("ip", "addr", *args, "dev", "eth0")
    assert reaches_dhcp_and_metadata()

    # Its address with A's MAC: nothing gets through either.
    guest_b.run("ip", "link", "set", "eth0", "address", port_a["mac_address"])
    assert reaches_dhcp_and_metadata() is not pair["protected"]
    guest_b.run("ip", "link", "set", "eth0", "address", port_b["mac_address"])
    assert reaches_dhcp_and_metadata()


def test_a_guest_cannot_answer_as_a_dhcp_server(pair):
    (port_a, _), (guest_a, guest_b) = pair["ports"], pair["guests"]
    ip_a = port_a["fixed_ips"][0]["ip_address"]
    listener = listen(guest_a, UDP_LISTENER)
    for source_port, text in (("6767", "harmless"), ("67", "rogue-offer")):
        assert python_in(guest_b, UDP_SENDER, source_port, ip_a, text).returncode == 0
    expected = ["harmless"] if pair["protected"] else ["harmless", "rogue-offer"]
    assert heard(listener) == expected


def test_ipv6_only_from_the_link_local_address_of_the_mac_and_no_router_adverts(pair):
    guest_a, guest_b = pair["guests"]
    link_local_a = wait_for_link_local(guest_a)
    wait_for_link_local(guest_b)
    listener = listen(guest_a, ICMPV6_LISTENER)
    for kind in (ECHO_REQUEST, ROUTER_ADVERTISEMENT):
        assert python_in(guest_b, ICMPV6_SENDER, str(kind)).returncode == 0
    received = {int(kind) for kind in heard(listener)}
    assert ECHO_REQUEST in received
    assert (ROUTER_ADVERTISEMENT in received) is not pair["protected"]
    assert guest_b.ping(f"{link_local_a}%eth0")

    guest_b.run("ip", "-6", "addr", "flush", "dev", "eth0", "scope", "link")
    guest_b.run("ip", "-6", "addr", "add", f"{SPOOFED_LINK_LOCAL}/64", "dev", "eth0",
                "nodad")
    assert guest_b.ping(f"{link_local_a}%eth0") is not pair["protected"]


def test_rules_follow_the_ports_here(client, host_conf, networks):
    """Plug, an address change, a restart that finds rules lost or left over, port
    security turned off, unplug, and the network's teardown."""
    plugger = plug.NetworkPlugger(host_conf)
    network = networks("10.205.0.0/24")
    ports = [client.create_port(network["id"], f"guest-{i}", "compute:nova")
             for i in range(2)]
    for port in ports:
        plugger.plug(port, client)
    names = [port_security.chain_name(network["id"], port["id"]) for port in ports]
    taps = [bridge.tap_name(port["id"]) for port in ports]
    assert chains(network["id"]) == {names[0]: [taps[0]], names[1]: [taps[1]]}

    old_ip = ports[1]["fixed_ips"][0]["ip_address"]
    client.update_port(ports[1]["id"], fixed_ips=[{"ip_address": "10.205.0.200"}])
    plugger.refresh(network["id"], client)
    assert "10.205.0.200" in chain_text(network["id"], ports[1]["id"])
    assert old_ip not in chain_text(network["id"], ports[1]["id"])

    # At start: port 0's rules were lost (a reboot), port 1 is no longer here but its
    # rules are (the agent died between forgetting the port and removing them).
    subprocess.run(["nft", "delete", "element", "bridge", "pocketstack", "ports",
                    f'{{ "{taps[0]}" }}'], check=True, timeout=30)
    subprocess.run(["nft", "delete", "chain", "bridge", "pocketstack", names[0]],
                   check=True, timeout=30)
    registry = plug.Registry(host_conf.state_path, network["id"])
    del registry.ports[ports[1]["id"]]
    registry.save()
    plug.NetworkPlugger(host_conf).cleanup_stale()
    assert chains(network["id"]) == {names[0]: [taps[0]]}

    host_conf.set_override("port_security", False, group="network")
    plug.NetworkPlugger(host_conf).cleanup_stale()
    assert chains(network["id"]) == {}
    host_conf.set_override("port_security", True, group="network")
    third = client.create_port(network["id"], "guest-2", "compute:nova")
    plugger.plug(third, client)
    third_chain = port_security.chain_name(network["id"], third["id"])
    assert set(chains(network["id"])) == {names[0], third_chain}

    plugger.unplug(third["id"])
    assert chains(network["id"]) == {names[0]: [taps[0]]}
    plugger.unplug(ports[0]["id"])
    listed = json.dumps(nft_listing())
    assert network["id"] not in listed
    assert not any(port["id"][:11] in listed for port in (*ports, third))
