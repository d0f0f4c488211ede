"""Projects acting as domains (``is_domain``): Keystone keeps each domain as a project
that acts as one, so the projects API makes, shows, changes and deletes domains too."""
import pytest

from tests.functional.test_identity_api import Api
from tests.lib.cloud import Cloud


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("identity-domain-projects"), roles=["api"],
                     with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def api(cloud):
    return Api(cloud)


def test_projects_acting_as_domains(cloud, api):
    """Keystone keeps domains as projects that act as domains: one made through the
    projects API is a domain, and every domain shows in the projects API."""
    made = api.admin("POST", "/projects", json={"project": {
        "name": "acting-domain", "domain_id": None, "is_domain": True}}, expect=201)
    project = made.json()["project"]
    assert project["is_domain"] is True and project["domain_id"] is None
    assert project["parent_id"] is None
    domains = api.admin("GET", "/domains", expect=200).json()["domains"]
    assert project["id"] in {d["id"] for d in domains}
    listed = api.admin("GET", "/projects", params={"is_domain": "true"},
                       expect=200).json()["projects"]
    assert {"default", project["id"]} <= {p["id"] for p in listed}
    plain = api.admin("GET", "/projects", expect=200).json()["projects"]
    assert project["id"] not in {p["id"] for p in plain}
    # A project of the new domain sits below it.
    child = api.admin("POST", "/projects", json={"project": {
        "name": "inside", "domain_id": project["id"]}}, expect=201).json()["project"]
    assert child["parent_id"] == project["id"]
    api.admin("PATCH", f"/projects/{project['id']}",
              json={"project": {"is_domain": False}}, expect=400)
    api.admin("PATCH", f"/projects/{child['id']}",
              json={"project": {"is_domain": True}}, expect=400)
    api.admin("DELETE", f"/projects/{project['id']}", expect=403)   # still enabled
    disabled = api.admin("PATCH", f"/projects/{project['id']}",
                         json={"project": {"enabled": False}}, expect=200).json()
    assert disabled["project"]["enabled"] is False
    assert cloud.openstack("domain", "show", project["id"])["enabled"] is False
    api.admin("DELETE", f"/projects/{project['id']}", expect=204)
    api.admin("GET", f"/domains/{project['id']}", expect=404)
    api.admin("GET", f"/projects/{child['id']}", expect=404)
