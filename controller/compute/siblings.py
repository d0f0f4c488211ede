"""How compute's API reaches its sibling services (image, network, volume): the shared
client (``contract.clients.base.HTTPClient``) with the caller's own token, so it sees
exactly what the caller may see; in memory when the sibling is served by this very
process (``WSGIAdapter``); a sibling that does not answer is a 503 for the API's client.
"""
import requests

from contract import exception
from contract.clients.base import HTTPClient
from contract.clients.wsgi_adapter import WSGIAdapter


class SiblingClient(HTTPClient):
    """Answers come back as they are (status, ``json()``, ``text``) for the caller to
    judge; only an unreachable service raises (ServiceUnavailable)."""

    error = exception.ServiceUnavailable

    def __init__(self, runtime, endpoint, timeout, name):
        self.local = endpoint.startswith(runtime.public_url.rstrip("/") + "/")
        super().__init__(endpoint, timeout=timeout, headers={"Accept": "application/json"},
                         transport=WSGIAdapter(lambda: runtime.wsgi_app) if self.local
                         else None)
        self.name = name

    def request(self, method, path, token, **kwargs):
        if self.local:
            return self._in_process(method, path, token, **kwargs)
        return super().request(method, path, token, check=False, **kwargs)

    def _in_process(self, method, path, token, **kwargs):
        """A sibling in this very process: straight to the WSGI adapter. No connection
        to retry, and keystoneauth's layer (request logging, header handling) cost more
        than the in-memory call itself (a server show makes two of these)."""
        headers = dict(kwargs.pop("headers", None) or {})
        if token is not None:
            headers["X-Auth-Token"] = token
        try:
            return self.session.request(method, self.endpoint + path, headers=headers,
                                        timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise self.error(*self.unreachable(self.endpoint + path, exc)) from exc

    def unreachable(self, url, exc):
        return (f"The {self.name} service did not answer: {exc}",)
