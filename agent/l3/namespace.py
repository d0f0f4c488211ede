"""A router's namespace in the kernel, made to match a ``RouterPlan``: veth pairs from
the namespace to the networks' bridges (pyroute2), exact addresses and routes, IP
forwarding, and the NAT table (one ``nft -j -f -`` transaction inside the namespace).

Each step makes what is there what the plan says, so applying a plan again, after a
change or a restart, converges; ``destroy`` removes the namespace and with it the
namespace ends (and so both ends) of every veth.
"""
import json
import logging
import subprocess

from pyroute2 import IPRoute, netns
from pyroute2.netlink.exceptions import NetlinkError

from agent.network import bridge
from agent.l3 import plan as plan_module

LOG = logging.getLogger(__name__)

COMMAND_TIMEOUT = 30


class L3Error(Exception):
    """A router's namespace could not be made as planned."""


def _run(namespace, *command, stdin=None):
    """Run ``command`` inside ``namespace`` (nsenter, as dnsmasq is started)."""
    try:
        result = subprocess.run(["nsenter", f"--net=/run/netns/{namespace}", *command],
                                input=stdin, capture_output=True, text=True,
                                timeout=COMMAND_TIMEOUT, check=False)
    except FileNotFoundError as exc:
        raise L3Error(f"{exc.filename} not found (routers need nsenter and nft)") from None
    if result.returncode != 0:
        raise L3Error(f"{command[0]} in {namespace} failed: {result.stderr.strip()}")
    return result.stdout


def existing_namespaces():
    return [name for name in netns.listnetns() if plan_module.is_router_namespace(name)]


def _ensure_namespace(name):
    if name not in netns.listnetns():
        LOG.info("creating namespace %s", name)
        netns.create(name)
    with IPRoute(netns=name) as ipr:
        ipr.link("set", index=ipr.link_lookup(ifname="lo")[0], state="up")
    _run(name, "sysctl", "-qw", "net.ipv4.ip_forward=1")


def _ensure_device(namespace, device, bridge_name, mtu):
    """The veth pair of ``device``: root end up on the bridge (not isolated: it must
    reach guests and the tunnel), namespace end with the port's MAC and exactly the
    planned addresses."""
    if not bridge.link_exists(device.root_name):
        LOG.info("creating veth %s <-> %s:%s", device.root_name, namespace, device.name)
        with IPRoute() as ipr:
            ipr.link("add", ifname=device.root_name, kind="veth",
                     peer={"ifname": device.name, "net_ns_fd": namespace})
    bridge.disable_ipv6(device.root_name)
    with IPRoute() as ipr:
        ipr.link("set", index=ipr.link_lookup(ifname=device.root_name)[0], mtu=mtu)
    bridge.attach(device.root_name, bridge_name, isolated=False)
    with IPRoute(netns=namespace) as ipr:
        index = ipr.link_lookup(ifname=device.name)[0]
        if ipr.get_links(index)[0].get_attr("IFLA_ADDRESS") != device.mac:
            ipr.link("set", index=index, state="down")
            ipr.link("set", index=index, address=device.mac)
        ipr.link("set", index=index, mtu=mtu, state="up")
        current = {f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}"
                   for a in ipr.get_addr(index=index, family=2)}
        for cidr in current - set(device.addresses):
            address, prefixlen = cidr.split("/")
            ipr.addr("del", index=index, address=address, prefixlen=int(prefixlen))
        for cidr in sorted(set(device.addresses) - current):
            address, prefixlen = cidr.split("/")
            ipr.addr("add", index=index, address=address, prefixlen=int(prefixlen))


def _remove_other_devices(namespace, plan):
    wanted = {device.name for device in plan.devices}
    with IPRoute(netns=namespace) as ipr:
        for link in ipr.get_links():
            name = link.get_attr("IFLA_IFNAME")
            if name.startswith((plan_module.INTERFACE_PREFIX, plan_module.GATEWAY_PREFIX)) \
                    and name not in wanted:
                LOG.info("%s: removing %s", namespace, name)
                ipr.link("del", index=link["index"])


def _sync_routes(namespace, routes):
    """Exactly the planned gateway routes in the main table (connected routes are the
    kernel's)."""
    wanted = {(destination, nexthop) for destination, nexthop in routes}
    with IPRoute(netns=namespace) as ipr:
        current = set()
        for route in ipr.get_routes(family=2, table=254):
            nexthop = route.get_attr("RTA_GATEWAY")
            if nexthop is None:
                continue
            destination = route.get_attr("RTA_DST") or "0.0.0.0"
            current.add((f"{destination}/{route['dst_len']}", nexthop))
        for destination, nexthop in current - wanted:
            ipr.route("del", dst=destination, gateway=nexthop)
        for destination, nexthop in sorted(wanted - current):
            try:
                ipr.route("replace", dst=destination, gateway=nexthop)
            except NetlinkError as exc:
                # A nexthop not on any connected subnet (yet): the API allows a route
                # only via a connected subnet, so this is a transient state.
                LOG.warning("%s: route %s via %s not set: %s", namespace, destination,
                            nexthop, exc)


def apply(plan, bridges):
    """Make the router's namespace what ``plan`` says. ``bridges``: {port_id: (bridge
    name, mtu)} of the plan's devices, whose bridges exist (the ports are plugged)."""
    _ensure_namespace(plan.namespace)
    _remove_other_devices(plan.namespace, plan)
    for device in plan.devices:
        bridge_name, mtu = bridges[device.port_id]
        _ensure_device(plan.namespace, device, bridge_name, mtu)
    _sync_routes(plan.namespace, plan.routes)
    _run(plan.namespace, "nft", "-j", "-f", "-",
         stdin=json.dumps({"nftables": plan_module.nat_commands(plan)}))
    LOG.info("router %s: %d interface(s), gateway %s, %d floating IP(s)", plan.router_id,
             len(plan.interfaces), "yes" if plan.gateway else "no", len(plan.floating_ips))


def destroy(namespace):
    """Remove the namespace: its veth pairs, addresses, routes and NAT table go with it."""
    if namespace in netns.listnetns():
        LOG.info("removing namespace %s", namespace)
        with IPRoute(netns=namespace) as ipr:
            for link in ipr.get_links():
                if link.get_attr("IFLA_IFNAME") != "lo":
                    ipr.link("del", index=link["index"])
        netns.remove(namespace)
