"""A network's layer 2 on this host, as Neutron's Linux-bridge agent builds it: one
bridge per network (``brq<network-id[:11]>``), guests' taps on it, and for vxlan
networks a VXLAN device (``vxlan-<vni>``) with a unicast flooding entry per peer host.

Everything goes through netlink (pyroute2). The root namespace never gets an address on
these devices: IPv6 is switched off on each before it comes up, so not even a link-local
address appears.
"""
import errno
import logging
import os

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

LOG = logging.getLogger(__name__)

BRIDGE_PREFIX = "brq"
TAP_PREFIX = "tap"
VXLAN_PREFIX = "vxlan-"
# The all-zeros FDB entry of a VXLAN device lists where broadcast and unknown unicast go.
FLOOD_MAC = "00:00:00:00:00:00"
# Device kinds this module creates, so removes; any other member (a physical interface
# of a flat network) is only detached.
OWN_KINDS = ("bridge", "vxlan", "veth", "tun")  # "tun" covers taps


def bridge_name(network_id):
    return BRIDGE_PREFIX + network_id[:11]


def tap_name(port_id):
    """The guest NIC's tap, named as Neutron and Nova name it."""
    return TAP_PREFIX + port_id[:11]


def vxlan_name(vni):
    return f"{VXLAN_PREFIX}{vni}"


def disable_ipv6(ifname):
    """No IPv6 (so no link-local address) on a root-namespace device we create."""
    path = f"/proc/sys/net/ipv6/conf/{ifname}/disable_ipv6"
    if os.path.exists(path):
        with open(path, "w") as f:
            f.write("1")


def _index(ipr, ifname):
    found = ipr.link_lookup(ifname=ifname)
    return found[0] if found else None


def _kind(link):
    info = link.get_attr("IFLA_LINKINFO")
    return info.get_attr("IFLA_INFO_KIND") if info else None


def link_exists(ifname):
    with IPRoute() as ipr:
        return _index(ipr, ifname) is not None


def ensure_bridge(network_id, mtu):
    """The network's bridge, created if missing, up, with no address. Returns its name."""
    name = bridge_name(network_id)
    with IPRoute() as ipr:
        index = _index(ipr, name)
        if index is None:
            LOG.info("creating bridge %s", name)
            try:
                ipr.link("add", ifname=name, kind="bridge")
            except NetlinkError as exc:
                if exc.code != errno.EEXIST:
                    raise
            index = _index(ipr, name)
        disable_ipv6(name)
        ipr.link("set", index=index, mtu=mtu, state="up")
    return name


def set_netfilter_hooks(name, enabled):
    """Whether the bridge hands its IPv4/IPv6 frames to the inet netfilter hooks
    (br_netfilter, for this bridge only), where security groups track connections."""
    value = 1 if enabled else 0
    with IPRoute() as ipr:
        index = _index(ipr, name)
        if index is not None:
            ipr.link("set", index=index, kind="bridge", br_nf_call_iptables=value,
                     br_nf_call_ip6tables=value)


def attach(ifname, bridge, isolated=False):
    """Put ``ifname`` on ``bridge`` and bring it up. An isolated port exchanges no
    frames with other isolated ports (the tunnel and the DHCP namespace), only with
    guests."""
    with IPRoute() as ipr:
        index = _index(ipr, ifname)
        ipr.link("set", index=index, master=_index(ipr, bridge), state="up")
        ipr.brport("set", index=index, isolated=1 if isolated else 0)


def ensure_vxlan(bridge, vni, local_ip, udp_port, mtu):
    """The network's VXLAN device on its bridge (created there in one step, so it is
    never left outside it). Learning stays on so replies find their host at once."""
    name = vxlan_name(vni)
    with IPRoute() as ipr:
        if _index(ipr, name) is None:
            LOG.info("creating %s (local %s) on %s", name, local_ip, bridge)
            ipr.link("add", ifname=name, kind="vxlan", vxlan_id=vni, vxlan_local=local_ip,
                     vxlan_port=udp_port, vxlan_learning=1, master=_index(ipr, bridge))
        disable_ipv6(name)
        ipr.link("set", index=_index(ipr, name), mtu=mtu)
    attach(name, bridge, isolated=True)
    return name


def flood_peers(vxlan):
    """The peer hosts ``vxlan`` floods broadcast and unknown unicast to."""
    with IPRoute() as ipr:
        index = _index(ipr, vxlan)
        return {entry.get_attr("NDA_DST") for entry in ipr.fdb("dump", ifindex=index)
                if entry.get_attr("NDA_LLADDR") == FLOOD_MAC and entry.get_attr("NDA_DST")}


def set_flood_peers(vxlan, peers):
    """Make the all-zeros FDB entries of ``vxlan`` exactly ``peers``."""
    current = flood_peers(vxlan)
    with IPRoute() as ipr:
        index = _index(ipr, vxlan)
        for peer in sorted(set(peers) - current):
            LOG.info("%s: flooding to peer %s", vxlan, peer)
            ipr.fdb("append", ifindex=index, lladdr=FLOOD_MAC, dst=peer)
        for peer in sorted(current - set(peers)):
            LOG.info("%s: no longer flooding to %s", vxlan, peer)
            ipr.fdb("del", ifindex=index, lladdr=FLOOD_MAC, dst=peer)


def delete_link(ifname):
    """Remove a device if it exists."""
    with IPRoute() as ipr:
        index = _index(ipr, ifname)
        if index is None:
            return False
        try:
            ipr.link("del", index=index)
        except NetlinkError as exc:
            if exc.code != errno.ENODEV:
                raise
        return True


def members(bridge):
    """(name, kind) of every device on ``bridge``."""
    with IPRoute() as ipr:
        index = _index(ipr, bridge)
        if index is None:
            return []
        return [(link.get_attr("IFLA_IFNAME"), _kind(link)) for link in ipr.get_links()
                if link.get_attr("IFLA_MASTER") == index]


def remove_bridge(network_id):
    """Remove the network's bridge with every device on it that this agent creates;
    anything else on it (a physical interface) is only detached."""
    name = bridge_name(network_id)
    for member, kind in members(name):
        if kind in OWN_KINDS:
            delete_link(member)
        else:
            with IPRoute() as ipr:
                ipr.link("set", index=_index(ipr, member), master=0)
    if delete_link(name):
        LOG.info("removed bridge %s", name)
