"""HTTP requests from compute to its sibling services (image, network), made with the
caller's own token so they see exactly what the caller may see.

When the sibling is served by this very process (its URL starts with this process's
public URL), the request is handed to the process's WSGI app in memory rather than through
a socket: an API worker thread waiting on a request that itself needs a worker thread
would let a burst of server creates deadlock the HTTP server. Either way the request
passes the sibling's full middleware — token validation, policy — unchanged.
"""
import json as jsonlib
import urllib.parse

import requests
import webob

from controller.compute import exception


class _LocalReply:
    """A webob response with the part of ``requests.Response``'s interface we read."""

    def __init__(self, response):
        self.status_code = response.status_code
        self.text = response.text

    def json(self):
        return jsonlib.loads(self.text)


class ServiceClient:
    def __init__(self, runtime, base_url, timeout, name):
        self.runtime = runtime
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.name = name
        self.session = requests.Session()

    def _is_local(self):
        app_root = self.runtime.public_url.rstrip("/") + "/"
        return self.runtime.wsgi_app is not None and self.base_url.startswith(app_root)

    def request(self, method, path, token, params=None, json=None, headers=None):
        """The reply (``status_code``, ``json()``, ``text``) to ``method path``; a
        ServiceUnavailable if the service cannot be reached."""
        url = self.base_url + path
        headers = {"X-Auth-Token": token, "Accept": "application/json", **(headers or {})}
        if self._is_local():
            if params:
                url += "?" + urllib.parse.urlencode(params, doseq=True)
            request = webob.Request.blank(url, method=method, headers=headers)
            if json is not None:
                request.body = jsonlib.dumps(json).encode()
                request.content_type = "application/json"
            return _LocalReply(request.get_response(self.runtime.wsgi_app))
        try:
            return self.session.request(method, url, headers=headers, params=params,
                                        json=json, timeout=self.timeout)
        except requests.RequestException as exc:
            raise exception.ServiceUnavailable(
                f"The {self.name} service did not answer: {exc}") from exc
