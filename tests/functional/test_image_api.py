"""The image API over real HTTP: data in and out, content inspection, limits, JSON patch,
listing, sharing between projects, web-download import, and recovery after a crash."""
import functools
import hashlib
import http.server
import os
import socket
import subprocess
import threading
import time
import urllib.parse

import jsonschema
import pytest
import requests

from tests.lib.cloud import Cloud

DEMO_PASSWORD = "demo-secret"
MiB = 1024 * 1024
MAX_IMAGE_SIZE = 4 * MiB
PROJECT_QUOTA = 6 * MiB


def qemu_img(*args):
    subprocess.run(["qemu-img", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Disk images made by qemu-img: a good qcow2, and two that point at host files."""
    root = tmp_path_factory.mktemp("image-files")
    qemu_img("create", "-f", "qcow2", str(root / "good.qcow2"), "1G")
    qemu_img("create", "-f", "qcow2", "-b", "/etc/passwd", "-F", "raw",
             str(root / "backing.qcow2"), "1G")
    (root / "plain.raw").write_bytes(os.urandom(64 * 1024))
    qemu_img("create", "-f", "qcow2", "-o",
             f"data_file={root / 'external.raw'},data_file_raw=on",
             str(root / "external.qcow2"), "10M")
    return root


@pytest.fixture(scope="module")
def web_server(files):
    """An HTTP server on loopback serving ``files``, for web-download imports."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(files))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory, web_server):
    port = urllib.parse.urlsplit(web_server).port
    instance = Cloud(tmp_path_factory.mktemp("image-api"), roles=["api"], with_agent=False,
                     conf={"image": {"max_image_size": str(MAX_IMAGE_SIZE),
                                     "project_quota_bytes": str(PROJECT_QUOTA),
                                     "import_allowed_ports": str(port)}})
    try:
        yield instance.start()
    finally:
        instance.stop()


class ImageApi:
    """Raw requests to /image with one user's token."""

    def __init__(self, cloud, token, project_id):
        self.base = cloud.url + "/image"
        self.project_id = project_id
        self.session = requests.Session()
        self.session.headers["X-Auth-Token"] = token

    def request(self, method, path, **kwargs):
        return self.session.request(method, self.base + path, timeout=60, **kwargs)

    def create(self, expect=201, **attributes):
        response = self.request("POST", "/v2/images", json=attributes)
        assert response.status_code == expect, response.text
        return response.json()

    def image(self, image_id):
        response = self.request("GET", f"/v2/images/{image_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def upload(self, image_id, data):
        return self.request("PUT", f"/v2/images/{image_id}/file", data=data,
                            headers={"Content-Type": "application/octet-stream"})

    def patch(self, image_id, *operations,
              media_type="application/openstack-images-v2.1-json-patch"):
        return self.request("PATCH", f"/v2/images/{image_id}", json=list(operations),
                            headers={"Content-Type": media_type})

    def names(self, **params):
        response = self.request("GET", "/v2/images", params=params)
        assert response.status_code == 200, response.text
        return [image["name"] for image in response.json()["images"]]


def user_api(cloud, user, password, project):
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
    response = requests.post(cloud.auth_url + "/auth/tokens", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return ImageApi(cloud, response.headers["X-Subject-Token"],
                    response.json()["token"]["project"]["id"])


@pytest.fixture(scope="module")
def admin(cloud):
    return user_api(cloud, "admin", "admin-secret", "admin")


def make_member_project(cloud, name):
    """A project whose user is a plain member (made through the identity API); returns
    its image API client."""
    cloud.add_member_project(name, DEMO_PASSWORD)
    return user_api(cloud, name, DEMO_PASSWORD, name)


@pytest.fixture(scope="module")
def demo(cloud, admin):
    return make_member_project(cloud, "demo")


@pytest.fixture(scope="module")
def other(cloud, admin):
    return make_member_project(cloud, "other")


def store_files(cloud):
    return sorted(os.listdir(os.path.join(cloud.workdir, "state", "images")))


def error_message(response):
    return response.json()["error"]["message"]


def wait_for_status(api, image_id, wanted, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        image = api.image(image_id)
        if image["status"] in wanted:
            return image
        time.sleep(0.1)
    raise AssertionError(f"image {image_id} stayed {image['status']}")


def test_version_discovery(cloud):
    root = requests.get(cloud.url + "/image/", timeout=10)
    assert root.status_code == 300
    explicit = requests.get(cloud.url + "/image/versions", timeout=10)
    assert explicit.status_code == 200
    for body in (root.json(), explicit.json()):
        current = [v for v in body["versions"] if v["status"] == "CURRENT"]
        assert [v["id"] for v in current] == ["v2.7"]
        assert current[0]["links"][0]["href"] == cloud.url + "/image/v2/"


def test_images_match_the_published_schema(admin):
    schema = admin.request("GET", "/v2/schemas/image").json()
    image = admin.create(name="schema", disk_format="raw", container_format="bare",
                         os_distro="debian", custom="value")
    admin.upload(image["id"], b"\0" * 1024)
    jsonschema.Draft4Validator(schema).validate(admin.image(image["id"]))
    images = admin.request("GET", "/v2/schemas/images").json()
    jsonschema.Draft4Validator(images).validate(admin.request("GET", "/v2/images").json())
    assert admin.request("GET", "/v2/schemas/member").json()["name"] == "member"


def test_create_defaults_and_headers(admin):
    response = admin.request("POST", "/v2/images", json={"name": "defaults"})
    assert response.status_code == 201
    image = response.json()
    assert response.headers["Location"].endswith(f"/image/v2/images/{image['id']}")
    assert response.headers["OpenStack-image-import-methods"] == "web-download"
    assert (image["status"], image["visibility"], image["size"], image["checksum"]) == (
        "queued", "shared", None, None)
    assert image["owner"] == admin.project_id
    assert image["self"] == f"/v2/images/{image['id']}"


def test_create_with_given_id_and_duplicate(admin):
    image_id = "4f4b0e5c-7a4e-4c1e-9b39-0d3d3f6a1111"
    assert admin.create(id=image_id, name="given-id")["id"] == image_id
    response = admin.request("POST", "/v2/images", json={"id": image_id})
    assert response.status_code == 409


@pytest.mark.parametrize("body, status, message", [
    ({"status": "active"}, 403, "'status' is read-only"),
    ({"size": 10}, 403, "'size' is read-only"),
    ({"os_glance_import_error": "x"}, 403, "reserved"),
    ({"min_ram": "lots"}, 400, "is not of type 'integer'"),
    ({"disk_format": "ploop"}, 400, "is not one of"),
    ({"custom": 5}, 400, "is not of type 'string'"),
    ({"visibility": "everyone"}, 400, "is not one of"),
])
def test_create_refuses_bad_attributes(admin, body, status, message):
    response = admin.request("POST", "/v2/images", json=body)
    assert response.status_code == status
    assert message in error_message(response)


def test_upload_and_download_roundtrip(admin):
    data = os.urandom(3 * MiB + 5)
    image = admin.create(name="roundtrip", disk_format="raw", container_format="bare")
    response = admin.upload(image["id"], data)
    assert response.status_code == 204, response.text
    shown = admin.image(image["id"])
    assert shown["status"] == "active"
    assert (shown["size"], shown["virtual_size"]) == (len(data), len(data))
    assert shown["checksum"] == hashlib.md5(data).hexdigest()
    assert shown["os_hash_algo"] == "sha512"
    assert shown["os_hash_value"] == hashlib.sha512(data).hexdigest()
    download = admin.request("GET", f"/v2/images/{image['id']}/file", stream=True)
    assert download.status_code == 200
    assert download.headers["Content-MD5"] == shown["checksum"]
    assert int(download.headers["Content-Length"]) == len(data)
    assert download.content == data
    partial = admin.request("GET", f"/v2/images/{image['id']}/file",
                            headers={"Range": "bytes=100-199"})
    assert partial.status_code == 206
    assert partial.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert partial.content == data[100:200]
    beyond = admin.request("GET", f"/v2/images/{image['id']}/file",
                           headers={"Range": f"bytes={len(data)}-"})
    assert beyond.status_code == 416
    again = admin.upload(image["id"], b"more")
    assert again.status_code == 409
    assert "only be uploaded to a queued image" in error_message(again)


def test_chunked_qcow2_upload_reads_virtual_size_from_header(admin, files):
    image = admin.create(name="chunked", disk_format="qcow2", container_format="bare")
    data = (files / "good.qcow2").read_bytes()

    def body():   # a generator body makes requests send Transfer-Encoding: chunked
        for start in range(0, len(data), 65536):
            yield data[start:start + 65536]

    assert admin.upload(image["id"], body()).status_code == 204
    shown = admin.image(image["id"])
    assert (shown["status"], shown["size"], shown["virtual_size"]) == (
        "active", len(data), 1024 ** 3)


def test_queued_image_has_no_data(admin):
    image = admin.create(name="empty")
    assert admin.request("GET", f"/v2/images/{image['id']}/file").status_code == 204
    upload = admin.upload(image["id"], b"data")
    assert upload.status_code == 400
    assert "disk_format and container_format must be set" in error_message(upload)


def test_upload_needs_octet_stream(admin):
    image = admin.create(name="typed", disk_format="raw", container_format="bare")
    response = admin.request("PUT", f"/v2/images/{image['id']}/file", data=b"x",
                             headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


@pytest.mark.parametrize("file_name, disk_format, message", [
    ("backing.qcow2", "qcow2", "Image has a backing file"),
    ("external.qcow2", "qcow2", "Image has data_file set"),
    ("good.qcow2", "raw", "claims disk format 'raw' but its content is qcow2"),
    ("plain.raw", "qcow2", "claims disk format 'qcow2' but its content is not qcow2"),
    ("good.qcow2", "iso", "claims disk format 'iso' but its content is qcow2"),
])
def test_unsafe_or_mismatched_content_is_refused(cloud, admin, files, file_name,
                                                 disk_format, message):
    image = admin.create(name="refused", disk_format=disk_format, container_format="bare")
    response = admin.upload(image["id"], (files / file_name).read_bytes())
    assert response.status_code == 400
    assert message in error_message(response)
    refused = admin.image(image["id"])
    # Glance's rule: the image goes back to queued, never active, and keeps no data.
    assert (refused["status"], refused["size"], refused["checksum"]) == ("queued", None,
                                                                         None)
    assert image["id"] not in store_files(cloud)
    assert admin.request("GET", f"/v2/images/{image['id']}/file").status_code == 204


def test_refused_image_can_be_uploaded_again(admin, files):
    image = admin.create(name="retry", disk_format="qcow2", container_format="bare")
    assert admin.upload(image["id"], (files / "backing.qcow2").read_bytes()).status_code \
        == 400
    assert admin.upload(image["id"], (files / "good.qcow2").read_bytes()).status_code == 204
    assert admin.image(image["id"])["status"] == "active"


def raw_put(cloud, api, image_id, headers, body):
    """Send a PUT by hand, so the body can be cut short; returns after closing."""
    with socket.create_connection(("127.0.0.1", cloud.port), timeout=10) as sock:
        head = [f"PUT /image/v2/images/{image_id}/file HTTP/1.1",
                f"Host: 127.0.0.1:{cloud.port}",
                f"X-Auth-Token: {api.session.headers['X-Auth-Token']}",
                "Content-Type: application/octet-stream", *headers, "", ""]
        sock.sendall("\r\n".join(head).encode() + body)


@pytest.mark.parametrize("headers, body", [
    (["Content-Length: 200000"], b"\0" * 50000),
    (["Transfer-Encoding: chunked"], b"1000\r\n" + b"\0" * 4096 + b"\r\n" + b"1000\r\n"),
], ids=["short-body", "broken-chunks"])
def test_interrupted_upload_kills_the_image_and_leaves_no_data(cloud, admin, headers,
                                                               body):
    image = admin.create(name="interrupted", disk_format="raw", container_format="bare")
    raw_put(cloud, admin, image["id"], headers, body)
    killed = wait_for_status(admin, image["id"], {"killed"})
    assert killed["size"] is None
    assert not [name for name in store_files(cloud) if image["id"] in name]
    assert admin.request("GET", f"/v2/images/{image['id']}/file").status_code == 204


def test_image_over_the_maximum_size_is_refused(cloud, admin):
    image = admin.create(name="too-big", disk_format="raw", container_format="bare")
    response = admin.upload(image["id"], b"\0" * (MAX_IMAGE_SIZE + 1))
    assert response.status_code == 413
    assert f"maximum image size of {MAX_IMAGE_SIZE} bytes" in error_message(response)
    assert admin.image(image["id"])["status"] == "queued"
    assert image["id"] not in store_files(cloud)


def test_announced_size_over_the_limit_is_refused_before_reading(admin):
    image = admin.create(name="announced", disk_format="raw", container_format="bare")
    response = admin.request("PUT", f"/v2/images/{image['id']}/file", data=b"\0" * 10,
                             headers={"Content-Type": "application/octet-stream",
                                      "x-openstack-image-size": str(MAX_IMAGE_SIZE + 1)})
    assert response.status_code == 413
    assert admin.image(image["id"])["status"] == "queued"


def test_project_quota_counts_every_image_of_the_project(cloud, admin):
    quota_user = make_member_project(cloud, "quota")
    first = quota_user.create(name="q1", disk_format="raw", container_format="bare")
    assert quota_user.upload(first["id"], b"\0" * (4 * MiB)).status_code == 204
    second = quota_user.create(name="q2", disk_format="raw", container_format="bare")
    response = quota_user.upload(second["id"], b"\0" * (3 * MiB))
    assert response.status_code == 413
    assert "quota" in error_message(response)
    assert quota_user.image(second["id"])["status"] == "queued"
    assert quota_user.upload(second["id"], b"\0" * (2 * MiB)).status_code == 204


def test_patch_properties_and_core_attributes(admin):
    image = admin.create(name="patchme", os_distro="cirros", tags=["a"])
    response = admin.patch(image["id"],
                           {"op": "replace", "path": "/name", "value": "patched"},
                           {"op": "add", "path": "/hw_disk_bus", "value": "virtio"},
                           {"op": "remove", "path": "/os_distro"},
                           {"op": "replace", "path": "/min_ram", "value": 512},
                           {"op": "add", "path": "/tags/-", "value": "b"},
                           {"op": "replace", "path": "/protected", "value": True})
    assert response.status_code == 200, response.text
    patched = response.json()
    assert (patched["name"], patched["hw_disk_bus"], patched["min_ram"]) == (
        "patched", "virtio", 512)
    assert "os_distro" not in patched
    assert patched["tags"] == ["a", "b"]
    assert admin.image(image["id"]) == patched
    deleted = admin.request("DELETE", f"/v2/images/{image['id']}")
    assert deleted.status_code == 403
    assert "protected" in error_message(deleted)
    admin.patch(image["id"], {"op": "replace", "path": "/protected", "value": False})
    assert admin.request("DELETE", f"/v2/images/{image['id']}").status_code == 204


@pytest.mark.parametrize("operation, status", [
    ({"op": "replace", "path": "/status", "value": "active"}, 403),
    ({"op": "replace", "path": "/checksum", "value": "0"}, 403),
    ({"op": "remove", "path": "/name"}, 403),
    ({"op": "replace", "path": "/missing", "value": "x"}, 409),
    ({"op": "remove", "path": "/missing"}, 409),
    ({"op": "replace", "path": "/min_disk", "value": "big"}, 400),
    ({"op": "copy", "from": "/name", "path": "/x"}, 400),
], ids=lambda value: str(value))
def test_patch_refusals(admin, operation, status):
    image = admin.create(name="refusals")
    response = admin.patch(image["id"], operation)
    assert response.status_code == status, response.text
    assert admin.image(image["id"]) == image


def test_patch_needs_the_json_patch_media_type(admin):
    image = admin.create(name="media")
    response = admin.patch(image["id"], {"op": "add", "path": "/x", "value": "1"},
                           media_type="application/json")
    assert response.status_code == 415


def test_disk_format_is_fixed_once_there_is_data(admin):
    image = admin.create(name="fixed", disk_format="raw", container_format="bare")
    admin.upload(image["id"], b"\0" * 512)
    response = admin.patch(image["id"],
                           {"op": "replace", "path": "/disk_format", "value": "qcow2"})
    assert response.status_code == 403


def test_tags_api(admin):
    image = admin.create(name="tagged")
    assert admin.request("PUT", f"/v2/images/{image['id']}/tags/blue").status_code == 204
    assert admin.request("PUT", f"/v2/images/{image['id']}/tags/blue").status_code == 204
    assert admin.image(image["id"])["tags"] == ["blue"]
    assert admin.names(tag="blue") == ["tagged"]
    assert admin.request("DELETE", f"/v2/images/{image['id']}/tags/blue").status_code == 204
    assert admin.request("DELETE", f"/v2/images/{image['id']}/tags/blue").status_code == 404


def test_list_filters_sorting_and_pages(cloud, admin):
    lister = make_member_project(cloud, "lister")
    for index, (name, fmt) in enumerate([("l-c", "raw"), ("l-a", "qcow2"), ("l-b", "raw"),
                                         ("l-e", "iso"), ("l-d", "raw")]):
        lister.create(name=name, disk_format=fmt, container_format="bare",
                      os_distro="even" if index % 2 == 0 else "odd")
    lister.create(name="l-hidden", os_hidden=True)
    assert lister.names(sort="name:asc") == ["l-a", "l-b", "l-c", "l-d", "l-e"]
    assert lister.names(sort_key="name", sort_dir="desc") == ["l-e", "l-d", "l-c", "l-b",
                                                              "l-a"]
    assert lister.names(disk_format="raw", sort="name:asc") == ["l-b", "l-c", "l-d"]
    assert lister.names(name="in:l-a,l-e", sort="name:asc") == ["l-a", "l-e"]
    assert lister.names(os_distro="odd", sort="name:asc") == ["l-a", "l-e"]
    assert lister.names(os_hidden="true") == ["l-hidden"]
    seen, url = [], "/v2/images?sort=name:asc&limit=2"
    while url:
        body = lister.request("GET", url).json()
        assert len(body["images"]) <= 2
        seen += [image["name"] for image in body["images"]]
        url = body.get("next", "").removeprefix("/v2/images") and body["next"]
    assert seen == ["l-a", "l-b", "l-c", "l-d", "l-e"]
    bad = lister.request("GET", "/v2/images", params={"sort_key": "nope"})
    assert bad.status_code == 400
    assert "Invalid sort key" in error_message(bad)
    missing_marker = lister.request("GET", "/v2/images",
                                    params={"marker": "00000000-0000-0000-0000-000000000000"})
    assert missing_marker.status_code == 400


def test_delete_removes_the_data(cloud, admin):
    image = admin.create(name="doomed", disk_format="raw", container_format="bare")
    admin.upload(image["id"], b"\0" * 1024)
    assert image["id"] in store_files(cloud)
    assert admin.request("DELETE", f"/v2/images/{image['id']}").status_code == 204
    assert image["id"] not in store_files(cloud)
    assert admin.request("GET", f"/v2/images/{image['id']}").status_code == 404


def test_private_images_are_invisible_to_other_projects(demo, other):
    image = demo.create(name="secret", visibility="private", disk_format="raw",
                        container_format="bare")
    demo.upload(image["id"], b"\0" * 1024)
    for method, path in [("GET", ""), ("GET", "/file"), ("DELETE", ""),
                         ("PUT", "/tags/x"), ("GET", "/members")]:
        response = other.request(method, f"/v2/images/{image['id']}{path}")
        assert response.status_code == 404, (method, path)
    assert other.patch(image["id"], {"op": "add", "path": "/x", "value": "1"}).status_code \
        == 404
    assert "secret" not in other.names()
    assert demo.image(image["id"])["name"] == "secret"


def test_only_admin_publicizes_and_everyone_sees_public_images(admin, demo, other):
    assert demo.create(expect=403, name="nope", visibility="public")
    image = demo.create(name="almost-public")
    assert demo.patch(image["id"], {"op": "replace", "path": "/visibility",
                                    "value": "public"}).status_code == 403
    public = admin.create(name="everyones", visibility="public")
    assert "everyones" in other.names()
    assert other.image(public["id"])["visibility"] == "public"
    refused = other.patch(public["id"], {"op": "add", "path": "/x", "value": "1"})
    assert refused.status_code == 403


def test_community_images_are_listed_only_when_asked(demo, other):
    image = demo.create(name="community-img", visibility="community")
    assert "community-img" not in other.names()
    assert "community-img" in other.names(visibility="community")
    assert other.image(image["id"])["name"] == "community-img"


def test_sharing_through_members(demo, other):
    image = demo.create(name="shared-img", disk_format="raw", container_format="bare")
    demo.upload(image["id"], b"\1" * 2048)
    members = f"/v2/images/{image['id']}/members"
    added = demo.request("POST", members, json={"member": other.project_id})
    assert added.status_code == 200, added.text
    assert added.json()["status"] == "pending"
    assert demo.request("POST", members, json={"member": other.project_id}).status_code \
        == 409
    # Pending: visible by id, not in the default list.
    assert other.image(image["id"])["name"] == "shared-img"
    assert "shared-img" not in other.names()
    assert "shared-img" in other.names(member_status="pending")
    member = f"{members}/{other.project_id}"
    assert demo.request("PUT", member, json={"status": "accepted"}).status_code == 403
    assert other.request("PUT", member, json={"status": "maybe"}).status_code == 400
    accepted = other.request("PUT", member, json={"status": "accepted"})
    assert accepted.json()["status"] == "accepted"
    assert "shared-img" in other.names()
    assert other.request("GET", f"/v2/images/{image['id']}/file").content == b"\1" * 2048
    assert [m["member_id"] for m in other.request("GET", members).json()["members"]] == [
        other.project_id]
    assert other.request("POST", members, json={"member": "someone"}).status_code == 403
    assert other.request("DELETE", member).status_code == 403
    assert demo.request("DELETE", member).status_code == 204
    assert other.request("GET", f"/v2/images/{image['id']}").status_code == 404


def test_only_shared_images_have_members(demo, other):
    image = demo.create(name="private-img", visibility="private")
    response = demo.request("POST", f"/v2/images/{image['id']}/members",
                            json={"member": other.project_id})
    assert response.status_code == 403
    assert "Only shared images have members" in error_message(response)


def test_web_download_import(admin, web_server, files):
    info = admin.request("GET", "/v2/info/import").json()
    assert info["import-methods"]["value"] == ["web-download"]
    image = admin.create(name="imported", disk_format="qcow2", container_format="bare")
    response = admin.request("POST", f"/v2/images/{image['id']}/import", json={
        "method": {"name": "web-download", "uri": f"{web_server}/good.qcow2"}})
    assert response.status_code == 202, response.text
    imported = wait_for_status(admin, image["id"], {"active"})
    data = (files / "good.qcow2").read_bytes()
    assert imported["checksum"] == hashlib.md5(data).hexdigest()
    assert imported["virtual_size"] == 1024 ** 3
    assert admin.request("GET", f"/v2/images/{image['id']}/file").content == data
    again = admin.request("POST", f"/v2/images/{image['id']}/import", json={
        "method": {"name": "web-download", "uri": f"{web_server}/good.qcow2"}})
    assert again.status_code == 409


@pytest.mark.parametrize("path, disk_format, message", [
    ("/missing.qcow2", "qcow2", "answered 404"),
    ("/backing.qcow2", "qcow2", "Image has a backing file"),
    ("/good.qcow2", "raw", "its content is qcow2"),
])
def test_failed_import_returns_the_image_to_queued_with_the_reason(cloud, admin, web_server,
                                                                   path, disk_format,
                                                                   message):
    image = admin.create(name="bad-import", disk_format=disk_format,
                         container_format="bare")
    admin.request("POST", f"/v2/images/{image['id']}/import", json={
        "method": {"name": "web-download", "uri": web_server + path}})
    failed = wait_for_status(admin, image["id"], {"queued"})
    assert message in failed["os_glance_import_error"]
    assert image["id"] not in store_files(cloud)


@pytest.mark.parametrize("uri, message", [
    ("http://127.0.0.1:1/x.qcow2", "Port 1 is not allowed"),
    ("file:///etc/passwd", "scheme 'file' is not allowed"),
])
def test_import_refuses_urls_the_operator_does_not_allow(admin, uri, message):
    image = admin.create(name="filtered", disk_format="raw", container_format="bare")
    response = admin.request("POST", f"/v2/images/{image['id']}/import",
                             json={"method": {"name": "web-download", "uri": uri}})
    assert response.status_code == 400
    assert message in error_message(response)
    assert admin.image(image["id"])["status"] == "queued"


def test_import_method_must_be_known(admin):
    image = admin.create(name="glance-direct", disk_format="raw", container_format="bare")
    response = admin.request("POST", f"/v2/images/{image['id']}/import",
                             json={"method": {"name": "glance-direct"}})
    assert response.status_code == 400


def test_requests_need_a_token(cloud):
    response = requests.get(cloud.url + "/image/v2/images", timeout=10)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == 401


def test_restart_settles_an_upload_cut_by_a_crash(tmp_path):
    """A controller killed mid-upload: after restart the image is killed, no temp file."""
    crashing = Cloud(tmp_path, roles=["api"], with_agent=False)
    crashing.start()
    try:
        api = user_api(crashing, "admin", "admin-secret", "admin")
        image = api.create(name="crash", disk_format="raw", container_format="bare")
        with socket.create_connection(("127.0.0.1", crashing.port), timeout=10) as sock:
            sock.sendall("\r\n".join([
                f"PUT /image/v2/images/{image['id']}/file HTTP/1.1", "Host: x",
                f"X-Auth-Token: {api.session.headers['X-Auth-Token']}",
                "Content-Type: application/octet-stream", "Content-Length: 10000000",
                "", ""]).encode() + b"\0" * 100000)
            wait_for_status(api, image["id"], {"saving"})
            # The temporary file: made just after the status turns "saving".
            deadline = time.monotonic() + 10
            while not store_files(crashing) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert store_files(crashing)
            crashing.process.kill()
            crashing.process.wait()
        crashing.start()
        api = user_api(crashing, "admin", "admin-secret", "admin")
        assert api.image(image["id"])["status"] == "killed"
        assert store_files(crashing) == []
    finally:
        crashing.stop()
