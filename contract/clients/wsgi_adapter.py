"""Hands a client's requests to a WSGI app in this very process instead of a socket.

An API worker thread waiting on a request to a sibling API served by the same process
(the all-in-one, or a controller serving every API) would need a second worker thread:
a burst of server creates would let the HTTP server deadlock. The request still passes
the sibling's whole middleware (token validation, policy), unchanged. A body sent from
a file-like object streams through, never held whole in memory.
"""
import io

import requests
import webob
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict


class WSGIAdapter(BaseAdapter):
    """A requests transport: to ``get_app()`` in memory when it is built, else over
    HTTP (``get_app`` returns None until the process's API tree exists)."""

    def __init__(self, get_app):
        super().__init__()
        self.get_app = get_app
        self.http = HTTPAdapter()

    def send(self, request, stream=False, timeout=None, verify=True, cert=None,
             proxies=None):
        app = self.get_app()
        if app is None:
            return self.http.send(request, stream=stream, timeout=timeout, verify=verify,
                                  cert=cert, proxies=proxies)
        body = request.body or b""
        local = webob.Request.blank(request.url, method=request.method,
                                    headers=dict(request.headers))
        if hasattr(body, "read"):
            local.body_file = body      # streamed (image data): read as the app reads it
        else:
            local.body = body.encode() if isinstance(body, str) else body
        reply = local.get_response(app)
        response = requests.Response()
        response.status_code = reply.status_code
        response.reason = reply.status.split(" ", 1)[-1]
        response.headers = CaseInsensitiveDict(reply.headerlist)
        response.raw = io.BytesIO(reply.body)
        response.encoding = reply.charset
        response.url = request.url
        response.request = request
        return response

    def close(self):
        self.http.close()
