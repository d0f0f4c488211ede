"""HTTP client of the networking API, for compute and the agents.

They call it with the caller's own token (or the agent's service user's, to bind ports),
so they see and change exactly what that user may. Neutron errors come back as
``NetworkApiError`` with the status and Neutron's error type (``PortNotFound``,
``IpAddressGenerationFailure``, ...).
"""
from conf.api import public_url
from contract.clients.base import ClientError, HTTPClient

DEFAULT_TIMEOUT = 30


def network_endpoint(conf):
    """The networking API compute talks to, from the API and from the agents alike."""
    return conf.compute.network_endpoint or public_url(conf) + "/networking"


class NetworkApiError(ClientError):
    def __init__(self, status, error_type, message):
        super().__init__(f"{status} {error_type}: {message}", status, error_type)
        self.message = message


class NetworkClient(HTTPClient):
    error = NetworkApiError
    service_name = "The network service"

    def __init__(self, endpoint, token, timeout=DEFAULT_TIMEOUT):
        """``endpoint``: the catalog's network endpoint, e.g. http://host:5000/networking."""
        super().__init__(endpoint.rstrip("/") + "/v2.0", token, timeout,
                         headers={"Accept": "application/json"})
        self.base = self.endpoint

    def unreachable(self, url, exc):
        return (None, "ServiceUnavailable",
                f"{self.service_name} unreachable at {url}: {exc}")

    def fault(self, response):
        try:
            error = response.json()["NeutronError"]
            error_type, message = error["type"], error["message"]
        except (ValueError, KeyError, TypeError):
            error_type, message = "HTTPError", response.text[:500]
        return (response.status_code, error_type, message)

    def _request(self, method, path, body=None, params=None):
        response = self.request(method, path, json=body, params=params)
        return response.json() if response.content else None

    def _list(self, collection, filters):
        """Every page of a listing, following ``<collection>_links``."""
        body = self._request("GET", f"/{collection}", params=filters)
        key = collection.replace("-", "_")
        items = list(body[key])
        while True:
            nxt = [link["href"] for link in body.get(f"{key}_links", ())
                   if link["rel"] == "next"]
            if not nxt:
                return items
            body = self._request("GET", nxt[0])
            items += body[key]

    # --- networks and subnets ------------------------------------------------------

    def list_networks(self, **filters):
        return self._list("networks", filters)

    def show_network(self, network_id):
        return self._request("GET", f"/networks/{network_id}")["network"]

    def list_subnets(self, **filters):
        return self._list("subnets", filters)

    def show_subnet(self, subnet_id):
        return self._request("GET", f"/subnets/{subnet_id}")["subnet"]

    # --- ports ---------------------------------------------------------------------

    def create_port(self, network_id, device_id, device_owner, host=None, **fields):
        """A port for ``device_id``; ``host`` binds it (``binding:host_id``) at once.
        ``fields`` are further port attributes, e.g. ``fixed_ips``, ``name``,
        ``mac_address``."""
        port = {"network_id": network_id, "device_id": device_id,
                "device_owner": device_owner, **fields}
        if host is not None:
            port["binding:host_id"] = host
        return self._request("POST", "/ports", {"port": port})["port"]

    def update_port(self, port_id, **fields):
        """Neutron attribute names, e.g. ``update_port(id, **{"binding:host_id": h})``."""
        return self._request("PUT", f"/ports/{port_id}", {"port": fields})["port"]

    def show_port(self, port_id):
        return self._request("GET", f"/ports/{port_id}")["port"]

    def list_ports(self, **filters):
        return self._list("ports", filters)

    def delete_port(self, port_id):
        self._request("DELETE", f"/ports/{port_id}")

    # --- security groups -----------------------------------------------------------

    def list_security_groups(self, **filters):
        return self._list("security-groups", filters)

    def show_security_group(self, group_id):
        return self._request("GET", f"/security-groups/{group_id}")["security_group"]

    def create_security_group(self, **fields):
        return self._request("POST", "/security-groups",
                             {"security_group": fields})["security_group"]

    def update_security_group(self, group_id, **fields):
        return self._request("PUT", f"/security-groups/{group_id}",
                             {"security_group": fields})["security_group"]

    def delete_security_group(self, group_id):
        self._request("DELETE", f"/security-groups/{group_id}")

    def list_security_group_rules(self, **filters):
        return self._list("security-group-rules", filters)

    def create_security_group_rule(self, **fields):
        return self._request("POST", "/security-group-rules",
                             {"security_group_rule": fields})["security_group_rule"]

    def delete_security_group_rule(self, rule_id):
        self._request("DELETE", f"/security-group-rules/{rule_id}")

    # --- routers and floating IPs ----------------------------------------------------

    def list_routers(self, **filters):
        return self._list("routers", filters)

    def list_floating_ips(self, **filters):
        return self._list("floatingips", filters)
