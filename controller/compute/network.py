"""Compute's side of the network service (Neutron v2 over HTTP, with the caller's token).

The API validates the networks a server asks for when it accepts the server (as Nova's
API does); the agent of the host the server lands on then creates and binds its ports,
and deletes them with the server — exactly what the caller may do, no more.

Requested networks are resolved once, when the API accepts the server: ``"none"`` means
no NIC; ``"auto"`` means the one network the project can use, or none if the network
service has none (or is not deployed); a list names networks or existing ports.
"""
from controller.compute import exception
from controller.compute.service_client import ServiceClient
from controller.conf import public_url
from controller.network.client import NetworkApiError

# A port the user brought goes back to them like this when the server is deleted.
UNBOUND = {"device_id": "", "device_owner": "", "binding:host_id": ""}


def network_endpoint(conf):
    """The networking API compute talks to, from the API and from the agents alike."""
    return conf.compute.network_endpoint or public_url(conf) + "/networking"


class NetworkAPI:
    """The compute API's requests, through ``ServiceClient`` (in-process when the network
    service is served by this very process)."""

    def __init__(self, runtime):
        conf = runtime.conf
        self.client = ServiceClient(runtime, network_endpoint(conf),
                                    conf.compute.service_timeout, "network")

    def _request(self, method, path, token, **kwargs):
        return self.client.request(method, f"/v2.0{path}", token, **kwargs)

    def _get(self, path, token, what, **params):
        resp = self._request("GET", path, token, params=params)
        if resp.status_code == 404:
            raise exception.InvalidRequest(f"{what} could not be found.")
        self._check(resp, what)
        return resp.json()

    @staticmethod
    def _check(resp, what):
        if resp.status_code >= 400:
            raise exception.ServiceUnavailable(
                f"The network service answered {resp.status_code} for {what}: "
                f"{resp.text[:200]}")

    def resolve(self, token, project_id, requested):
        """Validate ``requested`` and return what the build will need:
        ``[{"network_id": ...} | {"port_id": ..., "network_id": ...}, optionally
        "fixed_ip"]``."""
        if requested == "none":
            return []
        if requested == "auto":
            return self._auto(token, project_id)
        resolved = []
        for item in requested:
            if item.get("port"):
                port = self._get(f"/ports/{item['port']}", token,
                                 f"Port {item['port']}")["port"]
                if port.get("device_id"):
                    raise exception.RequestConflict(f"Port {item['port']} is still in use.")
                resolved.append({"port_id": port["id"], "network_id": port["network_id"]})
                continue
            network = self._get(f"/networks/{item['uuid']}", token,
                                f"Network {item['uuid']}")["network"]
            entry = {"network_id": network["id"]}
            if item.get("fixed_ip"):
                entry["fixed_ip"] = item["fixed_ip"]
            resolved.append(entry)
        return resolved

    def _auto(self, token, project_id):
        resp = self._request("GET", "/networks", token, params={"project_id": project_id})
        if resp.status_code == 404:   # no network service deployed
            return []
        self._check(resp, "networks")
        networks = {n["id"]: n for n in resp.json()["networks"]
                    if not n.get("router:external")}
        resp = self._request("GET", "/networks", token, params={"shared": "true"})
        self._check(resp, "shared networks")
        networks.update({n["id"]: n for n in resp.json()["networks"]
                         if not n.get("router:external")})
        if len(networks) > 1:
            raise exception.RequestConflict(
                "Multiple possible networks found, use a Network ID to be more specific.")
        return [{"network_id": network_id} for network_id in networks]

    def deallocate(self, token, network_info):
        """Release the ports of a server deleted while its agent was away (the API's
        local delete): delete the ones its build created, unbind the user's own."""
        for vif in network_info:
            if vif.get("preserve_on_delete"):
                resp = self._request("PUT", f"/ports/{vif['id']}", token,
                                     json={"port": UNBOUND})
            else:
                resp = self._request("DELETE", f"/ports/{vif['id']}", token)
            if resp.status_code != 404:
                self._check(resp, f"port {vif['id']}")


# --- the agent's side: ports of a server on its host ----------------------------------
# ``client`` is a ``controller.network.client.NetworkClient`` holding the token to act with.


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
    wired on this host; ``plugged`` is what the driver's ``plug_vif`` returned."""
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
