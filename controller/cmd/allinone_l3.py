"""The all-in-one's external network and router, made through the public APIs as a user
would: an admin's flat external network ``public`` on a host-only bridge (physical
network ``public`` maps to no interface, so nothing reaches the machine's uplink), and
the demo project's ``router1`` joining ``private`` to it, as DevStack sets them up."""
PUBLIC_CIDR = "172.24.4.0/24"
PUBLIC_GATEWAY = "172.24.4.1"
PUBLIC_POOL = {"start": "172.24.4.10", "end": "172.24.4.250"}


def _named(items, name):
    return next((item for item in items if item.get("name") == name), None)


def ensure_public_network(admin):
    network = _named(admin.get("network", "/v2.0/networks",
                                      name="public")["networks"], "public")
    if network is None:
        network = admin.post("network", "/v2.0/networks", {"network": {
            "name": "public", "router:external": True,
            "provider:network_type": "flat", "provider:physical_network": "public"}},
            "create the public network")["network"]
    subnets = admin.get("network", "/v2.0/subnets", network_id=network["id"])["subnets"]
    if not subnets:
        admin.post("network", "/v2.0/subnets", {"subnet": {
            "name": "public-subnet", "network_id": network["id"], "ip_version": 4,
            "cidr": PUBLIC_CIDR, "gateway_ip": PUBLIC_GATEWAY, "enable_dhcp": False,
            "allocation_pools": [PUBLIC_POOL]}}, "create the public subnet")
    return network


def ensure_router(demo, public):
    router = _named(demo.get("network", "/v2.0/routers",
                                    name="router1")["routers"], "router1")
    if router is None:
        router = demo.post("network", "/v2.0/routers", {"router": {
            "name": "router1", "external_gateway_info": {"network_id": public["id"]}}},
            "create router1")["router"]
    private = _named(demo.get("network", "/v2.0/networks",
                                     name="private")["networks"], "private")
    subnet_ids = set(private["subnets"])
    plugged = {ip["subnet_id"]
               for port in demo.get("network", "/v2.0/ports", device_id=router["id"],
                                    device_owner="network:router_interface")["ports"]
               for ip in port["fixed_ips"]}
    for subnet_id in sorted(subnet_ids - plugged):
        resp = demo.session.put(demo.url(
            "network", f"/v2.0/routers/{router['id']}/add_router_interface"),
            json={"subnet_id": subnet_id}, timeout=60)
        demo._check(resp, "join private to router1")
    return router
