"""Asks the network service (Neutron v2, over HTTP, with the caller's token) which
networks a server may use, and creates, binds and deletes its ports.

Requested networks are resolved once, when the API accepts the server: ``"none"`` means
no NIC; ``"auto"`` means the one network the project can use, or none if the network
service has none (or is not deployed); a list names networks or existing ports.
"""
from controller.compute import exception
from controller.compute.service_client import ServiceClient


class NetworkAPI:
    def __init__(self, runtime):
        conf = runtime.conf
        self.client = ServiceClient(runtime, conf.compute.network_endpoint
                                    or runtime.endpoint("/networking"),
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

    # --- validation, at create time ------------------------------------------------------

    def resolve(self, token, project_id, requested):
        """Validate ``requested`` and return what the build will need:
        ``[{"network_id": ...} | {"port_id": ...}, optionally "fixed_ip"]``."""
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

    # --- ports, at build and delete time -------------------------------------------------

    def allocate(self, token, instance_uuid, requested, host, availability_zone):
        """Create or bind one port per requested network on ``host``; the VIFs in the
        shape drivers take (see agent.virt.driver)."""
        vifs = []
        binding = {"device_id": instance_uuid,
                   "device_owner": f"compute:{availability_zone or 'nova'}",
                   "binding:host_id": host}
        for item in requested:
            if item.get("port_id"):
                resp = self._request("PUT", f"/ports/{item['port_id']}", token,
                                     json={"port": binding})
                self._check(resp, f"port {item['port_id']}")
                preserve = True
            else:
                body = dict(binding, network_id=item["network_id"])
                if item.get("fixed_ip"):
                    body["fixed_ips"] = [{"ip_address": item["fixed_ip"]}]
                resp = self._request("POST", "/ports", token, json={"port": body})
                self._check(resp, f"a port on network {item['network_id']}")
                preserve = False
            vifs.append(self._vif(token, resp.json()["port"], preserve))
        return vifs

    def _vif(self, token, port, preserve_on_delete):
        network = self._get(f"/networks/{port['network_id']}", token,
                            f"Network {port['network_id']}")["network"]
        subnets = []
        ips_by_subnet = {}
        for fixed_ip in port.get("fixed_ips", []):
            ips_by_subnet.setdefault(fixed_ip["subnet_id"], []).append(fixed_ip["ip_address"])
        for subnet_id, addresses in ips_by_subnet.items():
            subnet = self._get(f"/subnets/{subnet_id}", token, f"Subnet {subnet_id}")["subnet"]
            subnets.append({"id": subnet["id"], "cidr": subnet["cidr"],
                            "gateway": subnet.get("gateway_ip"),
                            "dns": subnet.get("dns_nameservers", []),
                            "ips": [{"address": address, "version": subnet["ip_version"]}
                                    for address in addresses]})
        details = port.get("binding:vif_details") or {}
        return {"id": port["id"], "address": port["mac_address"],
                "preserve_on_delete": preserve_on_delete,
                "network": {"id": network["id"], "label": network["name"],
                            "mtu": network.get("mtu"), "bridge": details.get("bridge_name"),
                            "subnets": subnets}}

    def deallocate(self, token, network_info):
        """Delete the ports the build created; unbind the ones the user brought."""
        for vif in network_info:
            if vif.get("preserve_on_delete"):
                resp = self._request("PUT", f"/ports/{vif['id']}", token, json={"port": {
                    "device_id": "", "device_owner": "", "binding:host_id": ""}})
            else:
                resp = self._request("DELETE", f"/ports/{vif['id']}", token)
            if resp.status_code != 404:
                self._check(resp, f"port {vif['id']}")
