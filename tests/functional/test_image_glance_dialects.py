"""The image API answers as Glance where other tools (tempest, older clients) reach:
deactivate/reactivate, the draft-4 JSON-patch media type, every Glance status as a list
filter, protected images and URLs with a trailing slash."""
import pytest

from tests.functional.test_image_api import make_member_project, user_api
from tests.lib.cloud import Cloud

DRAFT4 = "application/openstack-images-v2.0-json-patch"
GLANCE_STATUSES = ("queued", "saving", "active", "killed", "deleted", "pending_delete",
                   "deactivated", "uploading", "importing")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("image-dialects"), roles=["api"],
                     with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def admin(cloud):
    return user_api(cloud, "admin", "admin-secret", "admin")


@pytest.fixture(scope="module")
def demo(cloud, admin):
    return make_member_project(cloud, "demo")


@pytest.fixture(scope="module")
def other(cloud, admin):
    return make_member_project(cloud, "other")


def active_image(api, name, data=b"0123456789" * 100):
    image = api.create(name=name, disk_format="raw", container_format="bare")
    response = api.upload(image["id"], data)
    assert response.status_code == 204, response.text
    assert api.image(image["id"])["status"] == "active"
    return image["id"]


def test_owner_deactivates_and_reactivates(admin, demo, other):
    data = b"deactivate me " * 64
    image_id = active_image(demo, "deactivated-one", data)
    action = f"/v2/images/{image_id}/actions/"
    response = admin.request("PATCH", f"/v2/images/{image_id}", json=[
        {"op": "replace", "path": "/visibility", "value": "public"}],
        headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})
    assert response.status_code == 200, response.text

    response = other.request("POST", action + "deactivate")
    assert response.status_code == 403, response.text  # sees it, but does not own it
    assert demo.request("POST", action + "deactivate").status_code == 204
    assert demo.request("POST", action + "deactivate").status_code == 204  # no-op
    assert demo.image(image_id)["status"] == "deactivated"
    assert "deactivated-one" in demo.names(status="deactivated")

    refused = demo.request("GET", f"/v2/images/{image_id}/file")
    assert refused.status_code == 403
    assert "deactivated" in refused.json()["error"]["message"]
    assert admin.request("GET", f"/v2/images/{image_id}/file").content == data

    assert other.request("GET", f"/v2/images/{image_id}/file").status_code == 403
    assert demo.request("POST", action + "reactivate").status_code == 204
    assert demo.image(image_id)["status"] == "active"
    assert demo.request("GET", f"/v2/images/{image_id}/file").content == data
    assert admin.request("POST", action + "unknown").status_code == 404


def test_only_active_images_can_be_deactivated(admin, demo):
    queued = demo.create(name="queued-one", disk_format="raw", container_format="bare")
    for action in ("deactivate", "reactivate"):
        response = admin.request("POST", f"/v2/images/{queued['id']}/actions/{action}")
        assert response.status_code == 403, response.text
        assert "queued" in response.json()["error"]["message"]
    assert demo.image(queued["id"])["status"] == "queued"


def test_draft4_patch_media_type(demo):
    image = demo.create(name="draft4", disk_format="raw", container_format="bare")
    response = demo.patch(image["id"], {"replace": "/name", "value": "draft4-renamed"},
                          {"add": "/speed", "value": "88mph"}, media_type=DRAFT4)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "draft4-renamed"
    assert response.json()["speed"] == "88mph"
    response = demo.patch(image["id"], {"remove": "/speed"}, media_type=DRAFT4)
    assert response.status_code == 200, response.text
    assert "speed" not in response.json()
    for bad in ({"replace": "/name", "add": "/x", "value": 1},
                {"op": "replace", "path": "/name", "value": "rfc6902-is-not-draft4"},
                {"replace": "/name", "value": "x", "extra": 1}):
        response = demo.patch(image["id"], bad, media_type=DRAFT4)
        assert response.status_code == 400, response.text
    assert demo.image(image["id"])["name"] == "draft4-renamed"


@pytest.mark.parametrize("status", GLANCE_STATUSES)
def test_every_glance_status_filters_the_list(demo, status):
    response = demo.request("GET", "/v2/images", params={"status": status})
    assert response.status_code == 200, response.text
    assert all(image["status"] == status for image in response.json()["images"])


def test_unknown_status_filter_is_refused(demo):
    response = demo.request("GET", "/v2/images", params={"status": "sleeping"})
    assert response.status_code == 400


def test_protected_image_is_deleted_once_unprotected(demo):
    image = demo.create(name="protected-one", disk_format="raw", container_format="bare",
                        protected=True)
    response = demo.request("DELETE", f"/v2/images/{image['id']}")
    assert response.status_code == 403, response.text
    response = demo.patch(image["id"], {"replace": "/protected", "value": False},
                          media_type=DRAFT4)
    assert response.status_code == 200, response.text
    assert demo.request("DELETE", f"/v2/images/{image['id']}").status_code == 204
    assert demo.request("GET", f"/v2/images/{image['id']}").status_code == 404


def test_an_empty_image_id_names_no_image(demo):
    """Glance's routes do not match a trailing slash: ``/v2/images/`` is an image with
    an empty id, which does not exist."""
    demo.create(name="slashed", disk_format="raw", container_format="bare")
    for method in ("GET", "DELETE"):
        response = demo.request(method, "/v2/images/")
        assert response.status_code == 404, (method, response.text)
        assert response.json()["error"]["code"] == 404
    assert "slashed" in demo.names()
