"""Endpoint filtering (OS-EP-FILTER) with the stock ``openstack`` CLI: endpoint groups,
endpoints and groups given to a project, and the catalog of that project's tokens."""
import json

import pytest
import requests

from tests.lib.cloud import Cloud

DEMO_PASSWORD = "demo-secret"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("identity-ep-filter"), roles=["api"],
                     with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def demo(cloud):
    cloud.add_member_project("demo", DEMO_PASSWORD)
    return cloud.openstack("project", "show", "demo")["id"]


def demo_catalog(cloud):
    """Service type → interfaces in the catalog of demo's project-scoped token."""
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "demo", "domain": {"id": "default"}, "password": DEMO_PASSWORD}}},
        "scope": {"project": {"name": "demo", "domain": {"id": "default"}}}}}
    response = requests.post(cloud.auth_url + "/auth/tokens", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return {service["type"]: sorted(e["interface"] for e in service["endpoints"])
            for service in response.json()["token"]["catalog"]}


def endpoint_id(cloud, service_type, interface):
    return next(e["ID"] for e in cloud.openstack("endpoint", "list", "--service",
                                                 service_type, "--interface", interface))


def test_endpoint_group_lifecycle(cloud, tmp_path):
    image = cloud.openstack("service", "show", "image")["id"]
    filters = tmp_path / "filters.json"
    filters.write_text(json.dumps({"service_id": image, "interface": "public"}))
    group = cloud.openstack("endpoint", "group", "create", "--description", "images",
                            "image-public", str(filters))
    assert group["filters"] == {"service_id": image, "interface": "public"}
    listed = cloud.openstack("endpoint", "group", "list")
    assert group["id"] in {g["ID"] for g in listed}
    filters.write_text(json.dumps({"service_id": image, "interface": "internal"}))
    cloud.openstack("endpoint", "group", "set", "--name", "glance-internal", "--filters",
                    str(filters), "--description", "images inside", group["id"],
                    parse=False)
    shown = cloud.openstack("endpoint", "group", "show", group["id"])
    assert shown["name"] == "glance-internal" and shown["description"] == "images inside"
    assert shown["filters"]["interface"] == "internal"
    cloud.openstack("endpoint", "group", "delete", group["id"], parse=False)
    assert cloud.openstack("endpoint", "group", "show", group["id"], parse=False,
                           check=False).returncode != 0


def test_bad_endpoint_groups_are_refused(cloud):
    session = requests.Session()
    session.headers["X-Auth-Token"] = cloud.admin_token()
    url = cloud.auth_url + "/OS-EP-FILTER/endpoint_groups"
    for group in ({"name": "x", "filters": {"color": "red"}}, {"name": "x", "filters": {}},
                  {"filters": {"interface": "public"}}):
        assert session.post(url, json={"endpoint_group": group}, timeout=30
                            ).status_code == 400
    assert session.head(f"{url}/0123456789abcdef0123456789abcdef",
                        timeout=30).status_code == 404


def test_a_project_given_endpoints_sees_only_those(cloud, demo, tmp_path):
    full = demo_catalog(cloud)
    assert full["image"] == ["admin", "internal", "public"]

    # One endpoint directly: the catalog narrows to it.
    identity_public = endpoint_id(cloud, "identity", "public")
    cloud.openstack("endpoint", "add", "project", identity_public, "demo", parse=False)
    assert demo_catalog(cloud) == {"identity": ["public"]}
    listed = cloud.openstack("endpoint", "list", "--project", "demo")
    assert [e["ID"] for e in listed] == [identity_public]

    # And a group: its endpoints join.
    filters = tmp_path / "compute.json"
    filters.write_text(json.dumps({
        "service_id": cloud.openstack("service", "show", "compute")["id"]}))
    group = cloud.openstack("endpoint", "group", "create", "compute", str(filters))
    cloud.openstack("endpoint", "group", "add", "project", group["id"], "demo",
                    parse=False)
    assert demo_catalog(cloud) == {"identity": ["public"],
                                   "compute": ["admin", "internal", "public"]}
    duplicate = cloud.openstack("endpoint", "group", "add", "project", group["id"], "demo",
                                parse=False, check=False)
    assert duplicate.returncode != 0

    # Taken back: the whole catalog again.
    cloud.openstack("endpoint", "group", "remove", "project", group["id"], "demo",
                    parse=False)
    cloud.openstack("endpoint", "remove", "project", identity_public, "demo", parse=False)
    assert demo_catalog(cloud) == full
    assert cloud.openstack("endpoint", "list", "--project", "demo") == []
