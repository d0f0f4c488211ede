"""Compute's side of the network service (Neutron v2 over HTTP, with the caller's token).

The API validates the networks a server asks for when it accepts the server (as Nova's
API does); the agent of the host the server lands on then creates and binds its ports,
and deletes them with the server — exactly what the caller may do, no more.

Requested networks are resolved once, when the API accepts the server: ``"none"`` means
no NIC; ``"auto"`` means the one network the project can use, or none if the network
service has none (or is not deployed); a list names networks or existing ports.
"""
from contract import exception
from contract.clients.network import network_endpoint
from contract.port_binding import UNBOUND
from controller.compute.exception import RequestConflict
from controller.compute.siblings import SiblingClient


class NetworkAPI:
    """The compute API's requests, through ``SiblingClient`` (in-process when the network
    service is served by this very process)."""

    def __init__(self, runtime):
        conf = runtime.conf
        self.runtime = runtime
        self.client = SiblingClient(runtime, network_endpoint(conf),
                                    conf.compute.service_timeout, "network")

    def local_sibling(self):
        """The network service's in-process interface (``api.local.LocalNetwork``) when
        this process serves the network API compute talks to, else None."""
        return self.runtime.siblings.get("network") if self.client.local else None

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
                    raise RequestConflict(f"Port {item['port']} is still in use.")
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
            raise RequestConflict(
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

    def port_addresses(self, token, instance_uuid):
        """What the network service says of the server's ports now, for its network
        info cache: port id → {"fixed_ips": [...], "floating": {fixed address: [floating
        address, ...]}}, and the subnets those fixed IPs are on (id → subnet)."""
        ports = self._get("/ports", token, "ports", device_id=instance_uuid)["ports"]
        found = {}
        for port in ports:
            floating = {}
            for fip in self._get("/floatingips", token, "floating IPs",
                                 port_id=port["id"])["floatingips"]:
                floating.setdefault(fip["fixed_ip_address"], []).append(
                    fip["floating_ip_address"])
            found[port["id"]] = {"fixed_ips": port["fixed_ips"], "floating": floating}
        return found

    def subnet(self, token, subnet_id):
        return self._get(f"/subnets/{subnet_id}", token, f"Subnet {subnet_id}")["subnet"]
