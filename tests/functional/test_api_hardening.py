"""Hostile and careless requests against every API over real HTTP: each gets a 4xx in
its service's own error format, never a 500, and nothing it stores breaks a later read
(issue 19's findings, kept as regression tests)."""
import json
import os
import socket
import sqlite3
import time

import pytest
import requests

from tests.lib.cloud import Cloud

PROJECT_URL = "/volume/v3/{project}"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("hardening"), roles=["api"], with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def token(cloud):
    return cloud.admin_token()


@pytest.fixture(scope="module")
def project_id(cloud, token):
    resp = requests.get(cloud.auth_url + "/auth/tokens", timeout=30,
                        headers={"X-Auth-Token": token, "X-Subject-Token": token})
    return resp.json()["token"]["project"]["id"]


def call(cloud, token, method, path, body=None, data=None, headers=None, **params):
    all_headers = {"X-Auth-Token": token} if token else {}
    all_headers.update({"OpenStack-API-Version": "volume 3.44, compute 2.79"})
    all_headers.update(headers or {})
    if data is not None:
        all_headers.setdefault("Content-Type", "application/json")
    return requests.request(method, cloud.url + path, json=body, data=data, params=params,
                            headers=all_headers, timeout=30)


def error_message(service, resp):
    """The message of an error body, asserting it is in ``service``'s format."""
    body = resp.json()
    if service in ("identity", "image"):
        assert body["error"]["code"] == resp.status_code, body
        return body["error"]["message"]
    if service == "network":
        assert set(body["NeutronError"]) == {"type", "message", "detail"}, body
        return body["NeutronError"]["message"]
    (fault,) = body.values()          # Nova and Cinder: {"badRequest": {...}}
    assert fault["code"] == resp.status_code, body
    return fault["message"]


# One JSON-taking route per service: (service, method, path).
POSTS = [
    ("identity", "POST", "/identity/v3/auth/tokens"),        # unauthenticated
    ("identity", "POST", "/identity/v3/projects"),
    ("compute", "POST", "/compute/v2.1/servers"),
    ("image", "POST", "/image/v2/images"),
    ("network", "POST", "/networking/v2.0/networks"),
    ("volume", "POST", "/volume/v3/volumes"),
]


def _response(sock):
    """One whole HTTP response (headers and Content-Length body) as text."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += sock.recv(65536)
    return (head + b"\r\n\r\n" + body).decode()


@pytest.mark.parametrize("service,method,path", POSTS)
def test_an_announced_2_gib_body_is_413_before_it_is_sent(cloud, token, service, method,
                                                         path):
    """Only the headers go out: the answer comes without the server waiting for 2 GiB."""
    host, port = "127.0.0.1", cloud.port
    request = (f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
               f"X-Auth-Token: {token}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {2 * 1024 ** 3}\r\n\r\n{{").encode()
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request)
        answer = _response(sock)
    assert answer.startswith("HTTP/1.1 413"), answer
    assert time.monotonic() - started < 2
    body = answer.split("\r\n\r\n", 1)[1]
    expected = {"identity": '"error"', "image": '"error"', "network": '"NeutronError"',
                "compute": '"overLimit"', "volume": '"overLimit"'}[service]
    assert expected in body


@pytest.mark.parametrize("service,method,path", POSTS)
def test_a_chunked_body_past_the_bound_is_413(cloud, token, service, method, path):
    def chunks():
        yield b'{"x": "'
        for _ in range(64):
            yield b"a" * 4096
        yield b'"}'

    resp = requests.request(method, cloud.url + path, data=chunks(), timeout=30,
                            headers={"X-Auth-Token": token,
                                     "Content-Type": "application/json"})
    assert resp.status_code == 413, resp.text
    error_message(service, resp)


@pytest.mark.parametrize("service,method,path", POSTS)
@pytest.mark.parametrize("raw,words", [
    (b"[" * 5000 + b"]" * 5000, "nests deeper"),
    (b'{"a": "\\ud800"}', "valid UTF-8"),
    (b'{"a": 9223372036854775808}', "2^63"),
    (b'{"a": 1e999}', "out of range"),
    (b'{"a": "\xff"}', ""),
])
def test_bodies_nothing_could_store_are_400(cloud, token, service, method, path, raw,
                                            words):
    resp = call(cloud, token, method, path, data=raw)
    assert resp.status_code == 400, resp.text
    assert words in error_message(service, resp)


def test_a_password_with_a_lone_surrogate_is_400_not_500(cloud):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": "x\ud800"}}}}}
    resp = call(cloud, None, "POST", "/identity/v3/auth/tokens",
                data=json.dumps(body).encode())
    assert resp.status_code == 400, resp.text
    error_message("identity", resp)


@pytest.mark.parametrize("field,value", [("vcpus", 1e308), ("vcpus", 2 ** 63),
                                         ("ram", 2 ** 31), ("vcpus", 2.0),
                                         ("disk", "99999999999999999999")])
def test_flavor_numbers_out_of_range_are_400(cloud, token, field, value):
    flavor = {"name": f"f-{field}-{value}", "ram": 64, "vcpus": 1, "disk": 1, field: value}
    resp = call(cloud, token, "POST", "/compute/v2.1/flavors", {"flavor": flavor})
    assert resp.status_code == 400, resp.text
    error_message("compute", resp)


@pytest.mark.parametrize("service,path,key,value", [
    ("compute", "/compute/v2.1/os-quota-sets/{project}", "quota_set",
     {"instances": 2 ** 63}),
    ("compute", "/compute/v2.1/os-quota-sets/{project}", "quota_set",
     {"cores": "99999999999999999999"}),
    ("compute", "/compute/v2.1/os-quota-sets/{project}", "quota_set", {"ram": 1e308}),
    ("volume", PROJECT_URL + "/os-quota-sets/{project}", "quota_set",
     {"volumes": "99999999999999999999"}),
    ("volume", PROJECT_URL + "/os-quota-sets/{project}", "quota_set", {"gigabytes": 1e308}),
    ("network", "/networking/v2.0/quotas/{project}", "quota", {"network": 2 ** 63}),
    ("network", "/networking/v2.0/quotas/{project}", "quota", {"port": 1e308}),
])
def test_quotas_out_of_range_are_400(cloud, token, project_id, service, path, key, value):
    resp = call(cloud, token, "PUT", path.format(project=project_id), {key: value})
    assert resp.status_code == 400, resp.text
    error_message(service, resp)


def test_a_non_ascii_volume_id_never_reaches_the_volume_url(cloud, token):
    resp = call(cloud, token, "POST", "/compute/v2.1/servers/"
                "00000000-0000-4000-8000-000000000000/os-volume_attachments",
                {"volumeAttachment": {"volumeId": "żółw"}})
    assert resp.status_code == 400, resp.text
    error_message("compute", resp)


def test_volume_snapshot_list_with_limit_zero_is_an_empty_page(cloud, token, project_id):
    for path in ("/snapshots", "/snapshots/detail", "/volumes", "/volumes/detail"):
        resp = call(cloud, token, "GET", PROJECT_URL.format(project=project_id) + path,
                    limit=0)
        assert resp.status_code == 200, resp.text
        assert list(resp.json().values())[0] == []


@pytest.mark.parametrize("path", ["/compute/v2.1/flavors", "/compute/v2.1/flavors/detail"])
@pytest.mark.parametrize("name", ["minRam", "minDisk"])
def test_flavor_filters_out_of_range_are_400(cloud, token, path, name):
    resp = call(cloud, token, "GET", path, **{name: str(2 ** 63)})
    assert resp.status_code == 400, resp.text
    error_message("compute", resp)


def test_image_list_with_limit_zero_is_an_empty_page(cloud, token):
    image = call(cloud, token, "POST", "/image/v2/images", {"name": "page-zero"})
    assert image.status_code == 201, image.text
    resp = call(cloud, token, "GET", "/image/v2/images", limit=0)
    assert resp.status_code == 200, resp.text
    assert resp.json()["images"] == [] and "next" not in resp.json()


def test_a_stored_lone_surrogate_still_lists(cloud, token, project_id):
    """A record from before this validation existed must not break the listings."""
    base = PROJECT_URL.format(project=project_id)
    created = call(cloud, token, "POST", base + "/volumes",
                   {"volume": {"size": 1, "metadata": {"k": "v"}}})
    assert created.status_code == 202, created.text
    volume_id = created.json()["volume"]["id"]
    refused = call(cloud, token, "POST", f"{base}/volumes/{volume_id}/metadata",
                   data=b'{"metadata": {"k": "\\udc80"}}')
    assert refused.status_code == 400
    db = sqlite3.connect(os.path.join(cloud.workdir, "state", "pocketstack.sqlite"))
    with db:
        db.execute("UPDATE volumes SET metadata = ? WHERE id = ?",
                   ('{"k": "\\udc80"}', volume_id))
    db.close()
    for params in ({}, {"all_tenants": 1}):
        resp = call(cloud, token, "GET", base + "/volumes/detail", **params)
        assert resp.status_code == 200, resp.text
        assert {"k": "\udc80"} in [v["metadata"] for v in resp.json()["volumes"]]


def test_unscoped_tokens_are_refused_except_by_identity(cloud, token):
    made = call(cloud, token, "POST", "/identity/v3/users", {"user": {
        "name": "no-project", "domain_id": "default", "password": "secret-1"}})
    assert made.status_code == 201, made.text
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "no-project", "domain": {"id": "default"}, "password": "secret-1"}}}}}
    issued = requests.post(cloud.auth_url + "/auth/tokens", json=body, timeout=30)
    assert issued.status_code == 201 and "project" not in issued.json()["token"]
    unscoped = issued.headers["X-Subject-Token"]
    assert call(cloud, unscoped, "GET", "/identity/v3/auth/projects").status_code == 200
    for service, path in [("compute", "/compute/v2.1/servers"),
                          ("image", "/image/v2/images"),
                          ("network", "/networking/v2.0/networks"),
                          ("volume", "/volume/v3/volumes")]:
        resp = call(cloud, unscoped, "GET", path)
        assert resp.status_code == 401, (path, resp.text)
        error_message(service, resp)


def test_a_catastrophic_name_filter_answers_at_once(cloud, token):
    started = time.monotonic()
    resp = call(cloud, token, "GET", "/compute/v2.1/servers", name="(a+)+$")
    assert resp.status_code == 200 and time.monotonic() - started < 1
    resp = call(cloud, token, "GET", "/compute/v2.1/servers", name=r"(\w)\1")
    assert resp.status_code == 400
    assert "Invalid name filter" in error_message("compute", resp)
