"""Compute's network proxies (``os-networks``, ``os-tenant-networks``, to microversion
2.35): the networks the caller sees in the network service, asked with the caller's
token, as Nova's neutron-backed proxies do. Their create, delete and association
actions belonged to nova-network and are gone (410), as in Nova."""
from controller.api import errors


class NetworkProxy:
    def __init__(self, svc):
        self.network = svc.network

    def list(self, token):
        resp = self.network._request("GET", "/networks", token)
        if resp.status_code >= 400:
            raise errors.ServiceUnavailable(
                f"The network service answered {resp.status_code} for networks.")
        return resp.json()["networks"]

    def get(self, token, network_id):
        resp = self.network._request("GET", f"/networks/{network_id}", token)
        if resp.status_code == 404:
            raise errors.NotFound("Network not found")
        if resp.status_code >= 400:
            raise errors.ServiceUnavailable(
                f"The network service answered {resp.status_code} for network "
                f"{network_id}.")
        return resp.json()["network"]
