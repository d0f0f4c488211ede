"""The stock ``openstack`` CLI against pocketstack's identity service.

Each CLI run costs about a second, so checks that need no CLI live in test_identity_api.
"""
import pytest
import requests

from tests.lib.cloud import ADMIN_PASSWORD, Cloud

DEMO_PASSWORD = "demo-secret"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    """Identity alone: the api role without an agent."""
    instance = Cloud(tmp_path_factory.mktemp("identity-cli"), roles=["api"], with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def demo(cloud):
    """Project demo with user demo holding the member role on it, made with the CLI."""
    project = cloud.openstack("project", "create", "--description", "Demo project", "demo")
    user = cloud.openstack("user", "create", "--project", "demo", "--password",
                           DEMO_PASSWORD, "demo")
    cloud.openstack("role", "add", "--user", "demo", "--project", "demo", "member",
                    parse=False)
    return {"project": project, "user": user}


def admin_api(cloud, method, path, **kwargs):
    """A direct admin call, for set-up and checks the CLI is not under test for."""
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": ADMIN_PASSWORD}}}}}
    token = requests.post(cloud.auth_url + "/auth/tokens", json=body,
                          timeout=10).headers["X-Subject-Token"]
    resp = requests.request(method, cloud.auth_url + path, headers={"X-Auth-Token": token},
                            timeout=10, **kwargs)
    resp.raise_for_status()
    return resp.json() if resp.content else None


def failure(result):
    assert result.returncode != 0, result.stdout
    return result.stderr


def test_token_issue_and_project_list(cloud, demo):
    token = cloud.openstack("token", "issue")
    projects = {p["Name"]: p["ID"] for p in cloud.openstack("project", "list")}
    assert projects.keys() >= {"admin", "demo"}
    assert token["project_id"] == projects["admin"]
    assert token["id"].startswith("gAAAAA") and token["user_id"] and token["expires"]


def test_member_of_demo_gets_a_demo_scoped_token(cloud, demo):
    token = cloud.openstack("--os-project-name", "demo", "token", "issue",
                            user="demo", password=DEMO_PASSWORD)
    assert token["project_id"] == demo["project"]["id"]
    assert token["user_id"] == demo["user"]["id"]
    mine = cloud.openstack("project", "list", "--my-projects", user="demo",
                           password=DEMO_PASSWORD, project="demo")
    assert [p["Name"] for p in mine] == ["demo"]


def test_member_cannot_scope_to_a_foreign_project(cloud, demo):
    stderr = failure(cloud.openstack("token", "issue", user="demo", password=DEMO_PASSWORD,
                                     project="admin", check=False))
    assert "401" in stderr


def test_user_create_and_show(cloud, demo):
    assert demo["user"]["default_project_id"] == demo["project"]["id"]
    assert demo["user"]["enabled"] is True
    shown = cloud.openstack("user", "show", "demo")
    assert shown["id"] == demo["user"]["id"] and shown["domain_id"] == "default"
    assert "password" not in shown


def test_role_assignment_list_names(cloud, demo):
    rows = cloud.openstack("role", "assignment", "list", "--names")
    triples = {(r["Role"], r["User"], r["Project"], r["System"]) for r in rows}
    # As keystone-manage bootstrap makes it, the cloud admin is admin of the system too.
    assert triples == {("admin", "admin@Default", "admin@Default", ""),
                       ("admin", "admin@Default", "", "all"),
                       ("admin", "pocketstack-agent@Default", "service@Default", ""),
                       ("member", "demo@Default", "demo@Default", "")}
    effective = cloud.openstack("role", "assignment", "list", "--user", "demo",
                                "--project", "demo", "--effective", "--names")
    assert sorted(r["Role"] for r in effective) == ["member", "reader"]


def test_catalog_list(cloud):
    catalog = {entry["Name"]: entry for entry in cloud.openstack("catalog", "list")}
    assert catalog.keys() >= {"keystone", "nova", "glance", "neutron"}
    assert catalog["nova"]["Type"] == "compute"
    assert {e["url"] for e in catalog["keystone"]["Endpoints"]} == {cloud.url + "/identity"}
    assert {e["interface"] for e in catalog["nova"]["Endpoints"]} == {"public", "internal",
                                                                       "admin"}


def test_endpoint_list_and_domain_show(cloud):
    endpoints = cloud.openstack("endpoint", "list", "--interface", "public")
    by_type = {e["Service Type"]: e["URL"] for e in endpoints}
    assert by_type["compute"] == cloud.url + "/compute/v2.1"
    assert by_type["network"] == cloud.url + "/networking"
    assert cloud.openstack("domain", "show", "Default")["id"] == "default"


def test_role_create_add_remove(cloud, demo):
    role = cloud.openstack("role", "create", "observer")
    cloud.openstack("role", "add", "--user", "demo", "--project", "demo", "observer",
                    parse=False)
    query = {"role.id": role["id"]}
    assert len(admin_api(cloud, "GET", "/role_assignments", params=query)
               ["role_assignments"]) == 1
    cloud.openstack("role", "remove", "--user", "demo", "--project", "demo", "observer",
                    parse=False)
    assert admin_api(cloud, "GET", "/role_assignments", params=query)["role_assignments"] == []


def test_duplicate_conflicts_and_unknown_names_fail(cloud, demo):
    assert "409" in failure(cloud.openstack("project", "create", "demo", check=False))
    assert "no user" in failure(cloud.openstack("user", "show", "ghost", check=False)).lower()


def test_user_password_change_and_disable(cloud):
    project = admin_api(cloud, "POST", "/projects", json={"project": {"name": "carol-p"}})
    user = admin_api(cloud, "POST", "/users", json={"user": {
        "name": "carol", "password": "one", "default_project_id": project["project"]["id"]}})
    reader = admin_api(cloud, "GET", "/roles", params={"name": "reader"})["roles"][0]
    admin_api(cloud, "PUT", f"/projects/{project['project']['id']}/users/"
                            f"{user['user']['id']}/roles/{reader['id']}")
    login = {"user": "carol", "project": "carol-p"}
    cloud.openstack("user", "set", "--password", "two", "carol", parse=False)
    assert "401" in failure(cloud.openstack("token", "issue", password="one", check=False,
                                            **login))
    assert cloud.openstack("token", "issue", password="two", **login)
    cloud.openstack("user", "set", "--disable", "carol", parse=False)
    assert "401" in failure(cloud.openstack("token", "issue", password="two", check=False,
                                            **login))


def test_token_revoke(cloud):
    token = cloud.openstack("token", "issue")["id"]
    headers = {"X-Auth-Token": token}
    assert requests.get(cloud.auth_url + "/users", headers=headers, timeout=10).ok
    cloud.openstack("token", "revoke", token, parse=False)
    resp = requests.get(cloud.auth_url + "/users", headers=headers, timeout=10)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == 401
