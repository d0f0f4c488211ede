"""The sibling API clients' shared base: in-process transport, error mapping, retries."""
import json

import pytest
import requests
from requests.adapters import BaseAdapter

from contract.clients import base
from contract.clients.base import ClientError, HTTPClient
from contract.clients.image import ImageClient, ImageError
from contract.clients.network import NetworkApiError, NetworkClient
from contract.clients.volume import VolumeClient, VolumeError
from contract.clients.wsgi_adapter import WSGIAdapter

URL = "http://in-process.invalid:5000"


def app(environ, start_response):
    """Echoes the token and query; ``/conflict`` answers a Neutron fault."""
    if environ["PATH_INFO"].endswith("/conflict"):
        body = {"NeutronError": {"type": "PortInUse", "message": "Port p is in use."}}
        start_response("409 Conflict", [("Content-Type", "application/json")])
    else:
        body = {"token": environ.get("HTTP_X_AUTH_TOKEN"),
                "query": environ.get("QUERY_STRING"),
                "length": int(environ.get("CONTENT_LENGTH") or 0)}
        start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


def test_wsgi_adapter_hands_the_request_to_the_app_in_memory():
    client = HTTPClient(URL, token="t0", transport=WSGIAdapter(lambda: app))
    answer = client.request("POST", "/things", params={"a": "1"}, json={"x": 1})
    assert answer.status_code == 200
    assert answer.json() == {"token": "t0", "query": "a=1", "length": len('{"x": 1}')}
    # A per-call token replaces the client's.
    assert client.request("GET", "/things", token="t1").json()["token"] == "t1"


def test_error_answers_map_to_the_clients_error_class():
    client = NetworkClient(URL + "/networking", "t0")
    client.session.mount(URL + "/", WSGIAdapter(lambda: app))
    with pytest.raises(NetworkApiError) as caught:
        client.show_port("conflict")
    assert (caught.value.status, caught.value.error_type) == (409, "PortInUse")
    assert caught.value.message == "Port p is in use."
    assert isinstance(caught.value, ClientError)


class Refusing(BaseAdapter):
    """A transport that cannot connect, counting the attempts."""

    def __init__(self):
        super().__init__()
        self.attempts = 0

    def send(self, request, **kwargs):
        self.attempts += 1
        raise requests.ConnectionError("refused")

    def close(self):
        pass


@pytest.mark.parametrize("method, attempts", [
    ("GET", 1 + base.CONNECT_RETRIES), ("DELETE", 1 + base.CONNECT_RETRIES),
    ("POST", 1)])
def test_only_idempotent_requests_are_retried(monkeypatch, method, attempts):
    monkeypatch.setattr(base, "CONNECT_RETRY_DELAY", 0.0)
    transport = Refusing()
    client = VolumeClient(URL + "/volume/v3")
    client.session.mount(URL + "/", transport)
    with pytest.raises(VolumeError) as caught:
        client.request(method, "/volumes", token="t0")
    assert caught.value.status is None
    assert "Volume service unreachable" in str(caught.value)
    assert transport.attempts == attempts


def test_wsgi_adapter_goes_over_http_until_the_app_exists():
    client = HTTPClient("http://127.0.0.1:9", transport=WSGIAdapter(lambda: None))
    with pytest.raises(ClientError) as caught:
        client.request("POST", "/x")
    assert caught.value.status is None


class Source:
    """A body sent from a stream: records how much each read asked for."""

    def __init__(self, size):
        self.left = size
        self.reads = []

    def read(self, size=-1):
        size = self.left if size is None or size < 0 else min(size, self.left)
        self.reads.append(size)
        self.left -= size
        return b"x" * size

    def __iter__(self):
        return iter(lambda: self.read(4096), b"")


def reading_app(environ, start_response):
    """Reads its input 64 KiB at a time until it ends, as the image API reads data."""
    total = 0
    while chunk := environ["wsgi.input"].read(65536):
        total += len(chunk)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"received": total}).encode()]


def test_wsgi_adapter_streams_a_file_like_body_to_the_app():
    client = HTTPClient(URL, token="t0", transport=WSGIAdapter(lambda: reading_app))
    source = Source(3 * 1024 * 1024 + 5)
    answer = client.request("PUT", "/data", data=source)
    assert answer.json() == {"received": 3 * 1024 * 1024 + 5}
    assert max(source.reads) <= 65536                  # never read whole


def test_image_errors_carry_the_image_apis_own_message():
    def refusing(environ, start_response):
        start_response("400 Bad Request", [("Content-Type", "application/json")])
        return [json.dumps({"error": {"code": 400, "title": "Bad Request", "message":
                                      "Image claims disk format 'qcow2'."}}).encode()]

    client = ImageClient(URL + "/image")
    client.session.mount(URL + "/", WSGIAdapter(lambda: refusing))
    with pytest.raises(ImageError) as caught:
        client.request("PUT", "/v2/images/x/file", token="t0", data=b"x")
    assert (caught.value.message, caught.value.status) == (
        "Image claims disk format 'qcow2'.", 400)
