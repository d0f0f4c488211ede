"""What a router's namespace must hold, computed from the network API's view of it:
its interfaces (``qr-``) and gateway (``qg-``) with their addresses, its routes, and the
nftables ruleset that does SNAT for the internal subnets and 1:1 NAT per floating IP.

Pure logic: no kernel, so the plan and the ruleset are unit-tested as data.
"""
import dataclasses
import ipaddress

NAMESPACE_PREFIX = "qrouter-"
INTERFACE_PREFIX = "qr-"
GATEWAY_PREFIX = "qg-"
# The root-namespace ends of the veth pairs, on the networks' bridges. Not ``tap``:
# port security filters taps by name, and a router forwards others' addresses.
ROOT_INTERFACE_PREFIX = "ri-"
ROOT_GATEWAY_PREFIX = "rg-"
ROUTER_INTERFACE = "network:router_interface"
ROUTER_GATEWAY = "network:router_gateway"
NAT_TABLE = "pocketstack-l3"
DEFAULT_ROUTE = "0.0.0.0/0"


def namespace_name(router_id):
    return NAMESPACE_PREFIX + router_id


def is_router_namespace(name):
    return name.startswith(NAMESPACE_PREFIX)


@dataclasses.dataclass(frozen=True)
class Device:
    """One veth pair: ``name`` in the namespace, ``root_name`` on the network's bridge."""

    port_id: str
    network_id: str
    name: str
    root_name: str
    mac: str
    addresses: tuple  # ("ip/prefixlen", ...)


@dataclasses.dataclass(frozen=True)
class RouterPlan:
    router_id: str
    namespace: str
    interfaces: tuple          # Device per internal port
    gateway: Device | None     # addresses include each floating IP as /32
    routes: tuple              # ((destination, nexthop), ...)
    internal_cidrs: tuple      # subnets SNAT applies to
    snat_address: str | None   # the gateway's address when enable_snat
    floating_ips: tuple        # ((floating, fixed), ...)

    @property
    def devices(self):
        return self.interfaces + ((self.gateway,) if self.gateway else ())


def _device(port, subnets, prefix, root_prefix, extra=()):
    addresses = []
    for fixed in port["fixed_ips"]:
        subnet = subnets.get(fixed["subnet_id"])
        if subnet is not None and ipaddress.ip_network(subnet["cidr"]).version == 4:
            prefixlen = ipaddress.ip_network(subnet["cidr"]).prefixlen
            addresses.append(f"{fixed['ip_address']}/{prefixlen}")
    return Device(port_id=port["id"], network_id=port["network_id"],
                  name=prefix + port["id"][:11], root_name=root_prefix + port["id"][:11],
                  mac=port["mac_address"], addresses=tuple(addresses) + tuple(extra))


def plan_router(router, ports, subnets, floating_ips):
    """``router``: the API's router; ``ports``: its interface and gateway ports;
    ``subnets``: {id: subnet} covering those ports; ``floating_ips``: those whose
    router_id is this router."""
    interfaces = tuple(_device(port, subnets, INTERFACE_PREFIX, ROOT_INTERFACE_PREFIX)
                       for port in sorted(ports, key=lambda p: p["id"])
                       if port["device_owner"] == ROUTER_INTERFACE)
    gateway_ports = [port for port in ports if port["device_owner"] == ROUTER_GATEWAY]
    mapped = tuple(sorted((fip["floating_ip_address"], fip["fixed_ip_address"])
                          for fip in floating_ips if fip.get("fixed_ip_address")))
    gateway, routes, snat_address = None, [], None
    if gateway_ports and router.get("external_gateway_info"):
        port = gateway_ports[0]
        gateway = _device(port, subnets, GATEWAY_PREFIX, ROOT_GATEWAY_PREFIX,
                          extra=[f"{floating}/32" for floating, _ in mapped])
        for fixed in port["fixed_ips"]:
            subnet = subnets.get(fixed["subnet_id"])
            if subnet and subnet.get("gateway_ip"):
                routes.append((DEFAULT_ROUTE, subnet["gateway_ip"]))
                break
        if router["external_gateway_info"].get("enable_snat", True) and gateway.addresses:
            snat_address = gateway.addresses[0].split("/")[0]
    else:
        mapped = ()
    routes += [(route["destination"], route["nexthop"]) for route in router["routes"]]
    internal = tuple(str(ipaddress.ip_interface(address).network)
                     for device in interfaces for address in device.addresses)
    return RouterPlan(router_id=router["id"], namespace=namespace_name(router["id"]),
                      interfaces=interfaces, gateway=gateway, routes=tuple(routes),
                      internal_cidrs=internal, snat_address=snat_address,
                      floating_ips=mapped)


# --- nftables ------------------------------------------------------------------------

def _match(left, right, op="=="):
    return {"match": {"op": op, "left": left, "right": right}}


def _address(field):
    return {"payload": {"protocol": "ip", "field": field}}


def _prefixes(cidrs):
    items = []
    for cidr in cidrs:
        net = ipaddress.ip_network(cidr)
        items.append({"prefix": {"addr": str(net.network_address), "len": net.prefixlen}})
    return {"set": items}


def _chain(name, hook, priority):
    return {"add": {"chain": {"family": "ip", "table": NAT_TABLE, "name": name,
                              "type": "nat", "hook": hook, "prio": priority,
                              "policy": "accept"}}}


def _rule(chain, *expr):
    return {"add": {"rule": {"family": "ip", "table": NAT_TABLE, "chain": chain,
                             "expr": list(expr)}}}


def nat_commands(plan):
    """The namespace's whole NAT ruleset as one nftables transaction: the table is
    emptied and refilled atomically, so the router is never half-configured."""
    table = {"table": {"family": "ip", "name": NAT_TABLE}}
    commands = [{"add": table}, {"delete": table}, {"add": table},
                _chain("prerouting", "prerouting", -100), _chain("output", "output", -100),
                _chain("postrouting", "postrouting", 100)]
    if plan.gateway is None:
        return commands
    outside = _match({"meta": {"key": "oifname"}}, plan.gateway.name)
    for floating, fixed in plan.floating_ips:
        # Traffic to the floating IP, from outside or from the router itself, goes to
        # the fixed IP; what the fixed IP sends out leaves as the floating IP.
        for chain in ("prerouting", "output"):
            commands.append(_rule(chain, _match(_address("daddr"), floating),
                                  {"dnat": {"addr": fixed}}))
        commands.append(_rule("postrouting", outside, _match(_address("saddr"), fixed),
                              {"snat": {"addr": floating}}))
    if plan.snat_address:
        if plan.internal_cidrs:
            commands.append(_rule("postrouting", outside,
                                  _match(_address("saddr"), _prefixes(plan.internal_cidrs)),
                                  {"snat": {"addr": plan.snat_address}}))
        # An internal guest reaching another one by its floating IP: the reply must
        # come back through the router, so such traffic leaves as the router.
        if plan.floating_ips:
            commands.append(_rule(
                "postrouting",
                _match({"meta": {"key": "iifname"}}, plan.gateway.name, "!="),
                _match({"ct": {"key": "status"}}, "dnat", "in"),
                {"snat": {"addr": plan.snat_address}}))
    return commands
