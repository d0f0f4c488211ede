"""A server's ports on the host it runs on (Neutron v2 with the caller's token): bound
to the host, described as network_info entries, released with the server.

``client`` is a ``contract.clients.network.NetworkClient`` holding the token to act with.
"""
from contract.clients.network import NetworkApiError

# A port the user brought goes back to them like this when the server is deleted.
UNBOUND = {"device_id": "", "device_owner": "", "binding:host_id": ""}


def bind_port(client, binder, instance, request, host):
    """The port of one of ``instance``'s requested networks, bound to ``host``: the port
    the user brought, or a new one on the network (at the address asked for, if any).
    ``client`` acts for the user, so the port must be theirs to use; ``binder`` (the
    agent's service user) binds it, which only admins may, as in Neutron."""
    owner = f"compute:{instance['availability_zone'] or 'nova'}"
    if request.get("port_id"):
        port = client.update_port(request["port_id"], device_id=instance["uuid"],
                                  device_owner=owner)
        return binder.update_port(port["id"], **{"binding:host_id": host})
    fields = {}
    if request.get("security_groups"):
        fields["security_groups"] = request["security_groups"]
    if request.get("fixed_ip"):
        fields["fixed_ips"] = [{"ip_address": request["fixed_ip"]}]
    port = client.create_port(request["network_id"], instance["uuid"], owner, **fields)
    try:
        return binder.update_port(port["id"], **{"binding:host_id": host})
    except Exception:
        release_port(client, port["id"], preserve=False)
        raise


def vif(client, plugged, preserve_on_delete):
    """The network_info entry (the shape ``agent.virt.driver`` documents) of a port
    wired on this host; ``plugged`` is what the host network's ``plug`` returned."""
    port = plugged["port"]
    network = client.show_network(port["network_id"])
    addresses = {}
    for fixed_ip in port["fixed_ips"]:
        addresses.setdefault(fixed_ip["subnet_id"], []).append(fixed_ip["ip_address"])
    subnets = []
    for subnet_id, ips in addresses.items():
        subnet = client.show_subnet(subnet_id)
        subnets.append({"id": subnet["id"], "cidr": subnet["cidr"],
                        "gateway": subnet.get("gateway_ip"),
                        "dns": subnet.get("dns_nameservers", []),
                        "ips": [{"address": ip, "version": subnet["ip_version"]}
                                for ip in ips]})
    return {"id": port["id"], "address": port["mac_address"], "devname": plugged["tap"],
            "preserve_on_delete": preserve_on_delete,
            "network": {"id": network["id"], "label": network["name"],
                        "bridge": plugged["bridge"], "mtu": plugged["mtu"],
                        "subnets": subnets}}


def release_port(client, port_id, preserve):
    """Unbind (``preserve``: the user brought it) or delete a server's port; a port
    already gone is fine."""
    try:
        if preserve:
            client.update_port(port_id, **UNBOUND)
        else:
            client.delete_port(port_id)
    except NetworkApiError as exc:
        if exc.status != 404:
            raise
