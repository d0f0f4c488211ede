"""The compute API (Nova v2.1) as the dashboard uses it, with the user's token: JSON
in, JSON out, at one microversion, errors raised with Nova's own message."""
from contract.clients.base import ClientError, HTTPClient

MICROVERSION = "compute 2.79"


class ComputeApiError(ClientError):
    """The compute API refused or failed; the message is its own."""


class ComputeClient(HTTPClient):
    error = ComputeApiError
    service_name = "Compute service"

    def __init__(self, endpoint, token, timeout=60.0, transport=None):
        """``endpoint``: the catalog's compute endpoint (``.../compute/v2.1``)."""
        super().__init__(endpoint, token, timeout, transport=transport,
                         headers={"OpenStack-API-Version": MICROVERSION})

    def fault(self, response):
        """Nova's ``{"<fault name>": {"code", "message"}}``."""
        try:
            (body,) = response.json().values()
            message = body["message"]
        except (ValueError, KeyError, TypeError, AttributeError):
            message = response.text[:200]
        return message, response.status_code

    def get(self, path, **params):
        return self.request("GET", path, params=params or None).json()

    def post(self, path, body):
        response = self.request("POST", path, json=body)
        return response.json() if response.content else None

    def delete(self, path):
        self.request("DELETE", path)
