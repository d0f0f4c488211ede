"""Keystone v3 beyond projects and users, over real HTTP with the stock ``openstack`` CLI
and openstacksdk: domains, groups, grants on projects, domains and the system, domain- and
system-scoped tokens, role assignments, implied and domain roles, the catalog's services,
endpoints and regions, credentials; and the errors Keystone gives for bad input."""
import json

import openstack
import pytest
import requests

from tests.functional.test_identity_api import DEMO_PASSWORD, Api, make_member
from tests.lib.cloud import ADMIN_PASSWORD, Cloud


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("identity-domains"), roles=["api"],
                     with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def api(cloud):
    return Api(cloud)


def role_id(api, name):
    return api.admin("GET", "/roles", 200, params={"name": name}).json()["roles"][0]["id"]


def password_token(api, user, scope, password=DEMO_PASSWORD, expect=201, domain="default"):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": domain}, "password": password}}}, "scope": scope}}
    resp = requests.post(api.cloud.auth_url + "/auth/tokens", json=body, timeout=10)
    assert resp.status_code == expect, resp.text
    return resp.headers.get("X-Subject-Token"), resp.json()


def error(resp, code):
    assert resp.status_code == code, resp.text
    body = resp.json()
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]["message"]


def test_domains_with_the_cli_and_bad_input(cloud, api):
    created = cloud.openstack("domain", "create", "--description", "Team A", "team-a")
    assert created["name"] == "team-a" and created["enabled"] is True
    assert "team-a" in {d["Name"] for d in cloud.openstack("domain", "list")}
    cloud.openstack("domain", "set", "--description", "Team A!", "team-a", parse=False)
    assert cloud.openstack("domain", "show", "team-a")["description"] == "Team A!"
    # An enabled domain cannot go: 403, Keystone's message.
    message = error(api.admin("DELETE", f"/domains/{created['id']}"), 403)
    assert "disable it first" in message
    error(api.admin("POST", "/domains", json={"domain": {"name": "team-a"}}), 409)
    error(api.admin("POST", "/domains", json={"domain": {"name": ""}}), 400)
    error(api.admin("POST", "/domains", json={"domain": {"name": "x" * 65}}), 400)
    error(api.admin("POST", "/domains", json={"domain": {"name": "y", "enabled": "no"}}),
          400)
    error(api.admin("DELETE", "/domains/nowhere"), 404)
    error(api.admin("PATCH", "/domains/nowhere", json={"domain": {"enabled": False}}), 404)
    cloud.openstack("domain", "set", "--disable", "team-a", parse=False)
    cloud.openstack("domain", "delete", "team-a", parse=False)
    assert "team-a" not in {d["Name"] for d in cloud.openstack("domain", "list")}


def test_deleting_a_domain_takes_what_it_holds(api):
    domain = api.admin("POST", "/domains", 201, json={"domain": {"name": "gone"}}
                       ).json()["domain"]
    project = api.admin("POST", "/projects", 201, json={"project": {
        "name": "p", "domain_id": domain["id"]}}).json()["project"]
    user = api.admin("POST", "/users", 201, json={"user": {
        "name": "u", "domain_id": domain["id"], "password": DEMO_PASSWORD}}).json()["user"]
    group = api.admin("POST", "/groups", 201, json={"group": {
        "name": "g", "domain_id": domain["id"]}}).json()["group"]
    member = role_id(api, "member")
    api.admin("PUT", f"/projects/{project['id']}/users/{user['id']}/roles/{member}", 204)
    token = password_token(api, "u", {"project": {"id": project["id"]}},
                           domain=domain["id"])[0]
    api.admin("PATCH", f"/domains/{domain['id']}", 200, json={"domain": {"enabled": False}})
    # A disabled domain's users cannot use their tokens any more.
    api.call("GET", "/auth/projects", token, 401)
    api.admin("DELETE", f"/domains/{domain['id']}", 204)
    for path in (f"/projects/{project['id']}", f"/users/{user['id']}",
                 f"/groups/{group['id']}", f"/domains/{domain['id']}"):
        api.admin("GET", path, 404)
    assert api.admin("GET", "/role_assignments", 200, params={
        "user.id": user["id"]}).json()["role_assignments"] == []


def test_groups_membership_and_group_grants_with_the_cli(cloud, api):
    project, user = make_member(api, "grouped", role="reader")
    cloud.openstack("group", "create", "--domain", "default", "--description", "Ops", "ops")
    cloud.openstack("group", "add", "user", "ops", "grouped", parse=False)
    contains = cloud.openstack("group", "contains", "user", "ops", "grouped", parse=False)
    assert "grouped in group ops" in contains.stdout
    assert [u["Name"] for u in cloud.openstack("user", "list", "--group", "ops")] == ["grouped"]
    cloud.openstack("role", "add", "--group", "ops", "--project", "grouped", "member",
                    parse=False)
    listed = cloud.openstack("role", "assignment", "list", "--group", "ops", "--names")
    assert [(a["Role"], a["Group"], a["Project"]) for a in listed] == [
        ("member", "ops@Default", "grouped@Default")]
    effective = cloud.openstack("role", "assignment", "list", "--user", "grouped",
                                "--effective", "--names")
    assert {a["Role"] for a in effective} == {"member", "reader"}
    # The group's role is in the member's token.
    body = password_token(api, "grouped", {"project": {"id": project["id"]}})[1]
    assert {r["name"] for r in body["token"]["roles"]} == {"member", "reader"}
    assert [g["name"] for g in api.admin("GET", f"/users/{user['id']}/groups", 200
                                         ).json()["groups"]] == ["ops"]
    cloud.openstack("group", "remove", "user", "ops", "grouped", parse=False)
    body = password_token(api, "grouped", {"project": {"id": project["id"]}})[1]
    assert {r["name"] for r in body["token"]["roles"]} == {"reader"}
    group_id = cloud.openstack("group", "show", "ops")["id"]
    error(api.admin("POST", "/groups", json={"group": {"name": "ops"}}), 409)
    error(api.admin("POST", "/groups", json={"group": {"name": "x", "domain_id": "nope"}}),
          404)
    error(api.admin("PUT", f"/groups/{group_id}/users/nobody"), 404)
    error(api.admin("GET", f"/groups/{group_id}/users/{user['id']}"), 404)
    error(api.admin("PUT", f"/projects/{project['id']}/groups/nogroup/roles/"
                           f"{role_id(api, 'member')}"), 404)
    error(api.admin("GET", "/role_assignments", params={"group.id": group_id,
                                                         "effective": ""}), 400)
    cloud.openstack("group", "delete", "ops", parse=False)
    assert api.admin("GET", "/role_assignments", 200, params={
        "group.id": group_id}).json()["role_assignments"] == []


def test_system_scope(cloud, api):
    _, user = make_member(api, "auditor")
    reader = role_id(api, "reader")
    password_token(api, "auditor", {"system": {"all": True}}, expect=401)
    api.admin("PUT", f"/system/users/{user['id']}/roles/{reader}", 204)
    api.admin("HEAD", f"/system/users/{user['id']}/roles/{reader}", 204)
    assert [r["name"] for r in api.admin("GET", f"/system/users/{user['id']}/roles", 200
                                         ).json()["roles"]] == ["reader"]
    token, body = password_token(api, "auditor", {"system": {"all": True}})
    assert body["token"]["system"] == {"all": True} and "project" not in body["token"]
    assert {r["name"] for r in body["token"]["roles"]} == {"reader"}
    assert body["token"]["catalog"]
    assert api.call("GET", "/auth/system", token, 200).json()["system"] == [{"all": True}]
    # A system reader reads everything and changes nothing.
    assert api.call("GET", "/users", token, 200).json()["users"]
    api.call("POST", "/projects", token, 403, json={"project": {"name": "nope"}})
    listed = api.admin("GET", "/role_assignments", 200,
                       params={"scope.system": "all", "user.id": user["id"]}).json()
    assert listed["role_assignments"][0]["scope"] == {"system": {"all": True}}
    # The stock CLI asks for a system-scoped token the same way.
    issued = cloud.openstack("--os-system-scope", "all", "token", "issue", user="auditor",
                             password=DEMO_PASSWORD, project=None)
    assert issued["system"] == {"all": True} or issued.get("system") == "all" \
        or "project_id" not in issued
    api.admin("DELETE", f"/system/users/{user['id']}/roles/{reader}", 204)
    error(api.admin("DELETE", f"/system/users/{user['id']}/roles/{reader}"), 404)
    api.call("GET", "/auth/system", token, 401)
    error(api.admin("PUT", f"/system/users/{user['id']}/roles/nope"), 404)
    password_token(api, "auditor", {"system": {"all": False}}, expect=400)


def test_domain_scoped_tokens(api):
    _, user = make_member(api, "domainer")
    admin_role = role_id(api, "admin")
    password_token(api, "domainer", {"domain": {"id": "default"}}, expect=401)
    api.admin("PUT", f"/domains/default/users/{user['id']}/roles/{admin_role}", 204)
    token, body = password_token(api, "domainer", {"domain": {"name": "Default"}})
    assert body["token"]["domain"] == {"id": "default", "name": "Default"}
    assert {r["name"] for r in body["token"]["roles"]} == {"admin", "member", "reader"}
    assert [d["id"] for d in api.call("GET", "/auth/domains", token, 200
                                      ).json()["domains"]] == ["default"]
    validated = api.admin("GET", "/auth/tokens", 200, headers={"X-Subject-Token": token})
    assert validated.json()["token"]["domain"]["id"] == "default"
    api.admin("DELETE", f"/domains/default/users/{user['id']}/roles/{admin_role}", 204)
    api.call("GET", "/auth/domains", token, 401)


def test_implied_and_domain_roles(api):
    prior = api.admin("POST", "/roles", 201, json={"role": {"name": "prior"}}).json()["role"]
    implied = api.admin("POST", "/roles", 201, json={"role": {"name": "implied"}}
                        ).json()["role"]
    rule = api.admin("PUT", f"/roles/{prior['id']}/implies/{implied['id']}", 201).json()
    assert rule["role_inference"]["prior_role"]["id"] == prior["id"]
    assert rule["role_inference"]["implies"]["name"] == "implied"
    api.admin("HEAD", f"/roles/{prior['id']}/implies/{implied['id']}", 204)
    listed = api.admin("GET", f"/roles/{prior['id']}/implies", 200).json()
    assert [r["id"] for r in listed["role_inference"]["implies"]] == [implied["id"]]
    everything = api.admin("GET", "/role_inferences", 200).json()["role_inferences"]
    assert {r["prior_role"]["name"] for r in everything} >= {"admin", "member", "prior"}
    admin_id = role_id(api, "admin")
    error(api.admin("PUT", f"/roles/{prior['id']}/implies/{admin_id}"), 403)
    domain_role = api.admin("POST", "/roles", 201, json={"role": {
        "name": "local", "domain_id": "default"}}).json()["role"]
    assert domain_role["domain_id"] == "default"
    assert [r["id"] for r in api.admin("GET", "/roles", 200, params={
        "domain_id": "default"}).json()["roles"]] == [domain_role["id"]]  # before local2
    assert domain_role["id"] not in {r["id"] for r in api.admin("GET", "/roles", 200
                                                               ).json()["roles"]}
    error(api.admin("PUT", f"/roles/{prior['id']}/implies/{domain_role['id']}"), 403)
    api.admin("PUT", f"/roles/{domain_role['id']}/implies/{prior['id']}", 201)
    other_local = api.admin("POST", "/roles", 201, json={"role": {
        "name": "local2", "domain_id": "default"}}).json()["role"]
    api.admin("PUT", f"/roles/{domain_role['id']}/implies/{other_local['id']}", 201)
    project, user = make_member(api, "implied-user", role="reader")
    api.admin("PUT", f"/projects/{project['id']}/users/{user['id']}/roles/"
                     f"{domain_role['id']}", 204)
    effective = api.admin("GET", "/role_assignments", 200, params={
        "user.id": user["id"], "effective": "", "include_names": "1"}).json()
    names = {a["role"]["name"] for a in effective["role_assignments"]}
    # The domain role itself never shows; what it implies does.
    assert names == {"reader", "prior", "implied"}
    body = password_token(api, "implied-user", {"project": {"id": project["id"]}})[1]
    assert {r["name"] for r in body["token"]["roles"]} == {"reader", "prior", "implied"}
    updated = api.admin("PATCH", f"/roles/{prior['id']}", 200, json={"role": {
        "description": "first"}}).json()["role"]
    assert updated["description"] == "first"
    api.admin("DELETE", f"/roles/{prior['id']}/implies/{implied['id']}", 204)
    error(api.admin("GET", f"/roles/{prior['id']}/implies/{implied['id']}"), 404)
    error(api.admin("POST", "/roles", json={"role": {"name": "x", "domain_id": "nope"}}),
          404)


def test_catalog_services_endpoints_regions_with_openstacksdk(cloud, api):
    conn = openstack.connect(auth_url=cloud.auth_url, username="admin",
                             password=ADMIN_PASSWORD, project_name="admin",
                             user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne", load_yaml_config=False,
                             load_envvars=False)
    try:
        assert "RegionOne" in {r.id for r in conn.identity.regions()}
        region = conn.identity.create_region(id="RegionTwo", description="second")
        service = conn.identity.create_service(type="widgets", name="widget",
                                               description="Widgets")
        endpoint = conn.identity.create_endpoint(service_id=service.id, interface="public",
                                                 url="http://127.0.0.1:1/widgets",
                                                 region_id=region.id)
        assert conn.identity.get_endpoint(endpoint.id).region_id == "RegionTwo"
        conn.identity.update_service(service, description="More widgets")
        assert conn.identity.get_service(service.id).description == "More widgets"
        error(api.admin("DELETE", "/regions/RegionTwo"), 403)
        error(api.admin("POST", "/endpoints", json={"endpoint": {
            "service_id": service.id, "interface": "public", "url": "http://x",
            "enabled": "False"}}), 400)
        error(api.admin("POST", "/endpoints", json={"endpoint": {
            "service_id": service.id, "interface": "sideways", "url": "http://x"}}), 400)
        error(api.admin("POST", "/endpoints", json={"endpoint": {
            "service_id": service.id, "interface": "public", "url": "http://x",
            "region_id": "Nowhere"}}), 400)
        error(api.admin("POST", "/regions", json={"region": {"id": "RegionTwo"}}), 409)
        conn.identity.delete_endpoint(endpoint)
        conn.identity.delete_service(service)
        conn.identity.delete_region(region)
        assert "RegionTwo" not in {r.id for r in conn.identity.regions()}
    finally:
        conn.close()


def test_credentials(api):
    _, user = make_member(api, "keyholder")
    token = password_token(api, "keyholder", {"project": {"name": "keyholder",
                                                          "domain": {"id": "default"}}})[0]
    project_id = api.admin("GET", "/projects", 200, params={"name": "keyholder"}
                           ).json()["projects"][0]["id"]
    blob = json.dumps({"access": "AKIA", "secret": "s3cret"})
    created = api.call("POST", "/credentials", token, 201, json={"credential": {
        "user_id": user["id"], "project_id": project_id, "type": "ec2", "blob": blob}}
    ).json()["credential"]
    assert len(created["id"]) == 64 and json.loads(created["blob"])["secret"] == "s3cret"
    other = api.admin("POST", "/credentials", 201, json={"credential": {
        "user_id": api.admin("GET", "/users", 200, params={"name": "admin"}
                             ).json()["users"][0]["id"], "type": "totp", "blob": "x"}}
    ).json()["credential"]
    # A user sees their own credentials only; an admin sees all.
    assert [c["id"] for c in api.call("GET", "/credentials", token, 200
                                      ).json()["credentials"]] == [created["id"]]
    assert {created["id"], other["id"]} <= {c["id"] for c in api.admin(
        "GET", "/credentials", 200).json()["credentials"]}
    api.call("GET", f"/credentials/{other['id']}", token, 403)
    updated = api.call("PATCH", f"/credentials/{created['id']}", token, 200, json={
        "credential": {"blob": json.dumps({"access": "AKIA", "secret": "new"})}}
    ).json()["credential"]
    assert json.loads(updated["blob"])["secret"] == "new"
    error(api.admin("POST", "/credentials", json={"credential": {
        "user_id": user["id"], "type": "ec2", "blob": "not json"}}), 400)
    error(api.admin("POST", "/credentials", json={"credential": {
        "user_id": "nobody", "type": "totp", "blob": "x"}}), 404)
    api.call("DELETE", f"/credentials/{created['id']}", token, 204)
    api.admin("DELETE", f"/credentials/{other['id']}", 204)
    error(api.admin("GET", f"/credentials/{other['id']}"), 404)


def test_nested_projects_tags_and_extra_attributes_with_openstacksdk(cloud, api):
    conn = openstack.connect(auth_url=cloud.auth_url, username="admin",
                             password=ADMIN_PASSWORD, project_name="admin",
                             user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne", load_yaml_config=False,
                             load_envvars=False)
    try:
        root = conn.identity.create_project(name="root", domain_id="default",
                                            tags=["blue", "prod"])
        assert root.parent_id == "default" and sorted(root.tags) == ["blue", "prod"]
        child = conn.identity.create_project(name="child", parent_id=root.id)
        assert conn.identity.get_project(child.id).parent_id == root.id
        assert [p.id for p in conn.identity.projects(parent_id=root.id)] == [child.id]
        assert [p.name for p in conn.identity.projects(tags="blue,prod")] == ["root"]
        assert "root" not in {p.name for p in conn.identity.projects(**{
            "not-tags-any": "blue"})}
    finally:
        conn.close()
    # A project with children stays; the hierarchy has Keystone's depth limit.
    error(api.admin("DELETE", f"/projects/{root.id}"), 403)
    parent = child.id
    for depth in range(3):
        parent = api.admin("POST", "/projects", 201, json={"project": {
            "name": f"level{depth}", "parent_id": parent}}).json()["project"]["id"]
    error(api.admin("POST", "/projects", json={"project": {"name": "deep",
                                                          "parent_id": parent}}), 403)
    error(api.admin("POST", "/projects", json={"project": {"name": "orphan",
                                                          "parent_id": "nope"}}), 404)
    # The tag API.
    tags = f"/projects/{root.id}/tags"
    api.admin("PUT", f"{tags}/green", 201)
    api.admin("GET", f"{tags}/green", 204)
    assert api.admin("GET", tags, 200).json()["tags"] == ["blue", "green", "prod"]
    assert api.admin("PUT", tags, 200, json={"tags": ["a", "b"]}).json()["tags"] == ["a", "b"]
    api.admin("DELETE", f"{tags}/a", 204)
    error(api.admin("GET", f"{tags}/a"), 404)
    error(api.admin("PUT", tags, json={"tags": ["x/y"]}), 400)
    error(api.admin("PUT", tags, json={"tags": ["dup", "dup"]}), 400)
    error(api.admin("PUT", tags, json={"tags": [str(i) for i in range(81)]}), 400)
    api.admin("DELETE", tags, 204)
    assert api.admin("GET", tags, 200).json()["tags"] == []
    # Attributes Keystone does not know are kept and shown back; the ID never changes.
    user = api.admin("POST", "/users", 201, json={"user": {
        "name": "extra", "project_id": root.id, "team": "blue"}}).json()["user"]
    assert user["project_id"] == root.id and user["team"] == "blue"
    changed = api.admin("PATCH", f"/users/{user['id']}", 200, json={"user": {
        "id": user["id"], "team": "red"}}).json()["user"]
    assert changed["team"] == "red" and changed["project_id"] == root.id
    assert api.admin("GET", f"/users/{user['id']}", 200).json()["user"]["team"] == "red"
    error(api.admin("PATCH", f"/users/{user['id']}", json={"user": {"id": "other"}}), 400)
    group = api.admin("POST", "/groups", 201, json={"group": {
        "name": "extra", "project_id": root.id}}).json()["group"]
    assert group["project_id"] == root.id


def test_ec2_credentials(api):
    project, user = make_member(api, "ec2user")
    token = password_token(api, "ec2user", {"project": {"id": project["id"]}})[0]
    path = f"/users/{user['id']}/credentials/OS-EC2"
    created = api.call("POST", path, token, 201, json={"tenant_id": project["id"]}
                       ).json()["credential"]
    assert created["user_id"] == user["id"] and created["tenant_id"] == project["id"]
    assert created["access"] and created["secret"] and created["trust_id"] is None
    assert [c["access"] for c in api.call("GET", path, token, 200).json()["credentials"]] \
        == [created["access"]]
    shown = api.call("GET", f"{path}/{created['access']}", token, 200).json()["credential"]
    assert shown["secret"] == created["secret"]
    # The same key pair is a generic credential of type ec2.
    generic = api.admin("GET", "/credentials", 200, params={"user_id": user["id"]}).json()
    assert [c["type"] for c in generic["credentials"]] == ["ec2"]
    admin_id = api.admin("GET", "/users", 200, params={"name": "admin"}).json()["users"][0]
    api.call("POST", f"/users/{admin_id['id']}/credentials/OS-EC2", token, 403,
             json={"tenant_id": project["id"]})
    error(api.call("POST", path, token, json={"tenant_id": "nope"}), 404)
    error(api.call("POST", path, token, json={}), 400)
    api.call("DELETE", f"{path}/{created['access']}", token, 204)
    error(api.call("GET", f"{path}/{created['access']}", token), 404)


def test_inherited_grants_reach_the_projects_below(api):
    domain = api.admin("POST", "/domains", 201, json={"domain": {"name": "inherit"}}
                       ).json()["domain"]
    top = api.admin("POST", "/projects", 201, json={"project": {
        "name": "top", "domain_id": domain["id"]}}).json()["project"]
    leaf = api.admin("POST", "/projects", 201, json={"project": {
        "name": "leaf", "domain_id": domain["id"], "parent_id": top["id"]}}).json()["project"]
    user = api.admin("POST", "/users", 201, json={"user": {
        "name": "heir", "domain_id": domain["id"], "password": DEMO_PASSWORD}}).json()["user"]
    member = role_id(api, "member")
    inherited = (f"/OS-INHERIT/projects/{top['id']}/users/{user['id']}/roles/{member}"
                 f"/inherited_to_projects")
    api.admin("PUT", inherited, 204)
    api.admin("HEAD", inherited, 204)
    # Not on the project itself, but on the one below it.
    password_token(api, "heir", {"project": {"id": top["id"]}}, domain=domain["id"],
                   expect=401)
    body = password_token(api, "heir", {"project": {"id": leaf["id"]}},
                          domain=domain["id"])[1]
    assert {r["name"] for r in body["token"]["roles"]} == {"member", "reader"}
    listed = api.admin("GET", "/role_assignments", 200, params={
        "user.id": user["id"], "scope.OS-INHERIT:inherited_to": "projects"}).json()
    assert listed["role_assignments"][0]["scope"] == {
        "project": {"id": top["id"]}, "OS-INHERIT:inherited_to": "projects"}
    effective = api.admin("GET", "/role_assignments", 200, params={
        "user.id": user["id"], "scope.project.id": leaf["id"], "effective": ""}).json()
    assert {a["role"]["id"] for a in effective["role_assignments"]} >= {member}
    assert effective["role_assignments"][0]["links"]["assignment"].endswith(inherited)
    api.admin("DELETE", inherited, 204)
    error(api.admin("GET", inherited), 404)
    # From a domain, to every project in it.
    domain_wide = (f"/OS-INHERIT/domains/{domain['id']}/users/{user['id']}/roles/{member}"
                   f"/inherited_to_projects")
    api.admin("PUT", domain_wide, 204)
    assert [r["id"] for r in api.admin(
        "GET", f"/OS-INHERIT/domains/{domain['id']}/users/{user['id']}/roles"
               f"/inherited_to_projects", 200).json()["roles"]] == [member]
    password_token(api, "heir", {"project": {"id": top["id"]}}, domain=domain["id"])
    password_token(api, "heir", {"domain": {"id": domain["id"]}}, domain=domain["id"],
                   expect=401)
    error(api.admin("GET", "/role_assignments", params={
        "scope.OS-INHERIT:inherited_to": "domains"}), 400)


def test_policy_blob_store(api):
    created = api.admin("POST", "/policies", 201, json={"policy": {
        "type": "application/json", "blob": "{}", "owner": "ops"}}).json()["policy"]
    assert created["owner"] == "ops" and created["blob"] == "{}"
    updated = api.admin("PATCH", f"/policies/{created['id']}", 200, json={"policy": {
        "type": "text/plain"}}).json()["policy"]
    assert updated["type"] == "text/plain" and updated["owner"] == "ops"
    assert created["id"] in {p["id"] for p in api.admin("GET", "/policies", 200, params={
        "type": "text/plain"}).json()["policies"]}
    error(api.admin("POST", "/policies", json={"policy": {"type": "x"}}), 400)
    _, user = make_member(api, "policy-reader")
    token = password_token(api, "policy-reader", {"project": {"name": "policy-reader",
                                                              "domain": {"id": "default"}}})[0]
    api.call("POST", "/policies", token, 403, json={"policy": {"type": "x", "blob": "y"}})
    api.admin("DELETE", f"/policies/{created['id']}", 204)
    error(api.admin("GET", f"/policies/{created['id']}"), 404)


def test_application_credentials_with_the_cli_and_openstacksdk(cloud, api):
    project, user = make_member(api, "appowner")
    extra_role = api.admin("POST", "/roles", 201, json={"role": {"name": "deployer"}}
                           ).json()["role"]
    api.admin("PUT", f"/projects/{project['id']}/users/{user['id']}/roles/"
                     f"{extra_role['id']}", 204)
    shown = cloud.openstack("application", "credential", "create", "--role", "deployer",
                            "--description", "CI", "ci", user="appowner",
                            password=DEMO_PASSWORD, project="appowner")
    created = {key.lower().replace(" ", "_"): value for key, value in shown.items()}
    assert created["secret"] and created["project_id"] == project["id"], shown
    listed = cloud.openstack("application", "credential", "list", user="appowner",
                             password=DEMO_PASSWORD, project="appowner")
    assert [c["Name"] for c in listed] == ["ci"]
    conn = openstack.connect(auth_url=cloud.auth_url, auth_type="v3applicationcredential",
                             application_credential_id=created["id"],
                             application_credential_secret=created["secret"],
                             region_name="RegionOne", load_yaml_config=False,
                             load_envvars=False)
    try:
        assert conn.current_project_id == project["id"]
        token = conn.auth_token
    finally:
        conn.close()
    body = api.admin("GET", "/auth/tokens", 200, headers={"X-Subject-Token": token}).json()
    # Only the delegated role, and the methods and credential say where it came from.
    assert [r["name"] for r in body["token"]["roles"]] == ["deployer"]
    assert body["token"]["methods"] == ["application_credential"]
    assert body["token"]["application_credential"] == {"id": created["id"], "name": "ci",
                                                       "restricted": True}
    # A restricted credential's token cannot make another credential or be rescoped.
    api.call("POST", f"/users/{user['id']}/application_credentials", token, 403,
             json={"application_credential": {"name": "more"}})
    path = f"/users/{user['id']}/application_credentials"
    member_token = password_token(api, "appowner", {"project": {"id": project["id"]}})[0]
    error(api.call("POST", path, member_token, json={"application_credential": {
        "name": "admin-please", "roles": [{"id": role_id(api, "admin")}]}}), 404)
    error(api.call("POST", path, member_token, json={"application_credential": {
        "name": "ci"}}), 409)
    error(api.call("POST", path, member_token, json={"application_credential": {
        "name": "late", "expires_at": "yesterday"}}), 400)
    shown = api.call("GET", f"{path}/{created['id']}", member_token, 200).json()
    assert "secret" not in shown["application_credential"]
    wrong = {"auth": {"identity": {"methods": ["application_credential"],
                                   "application_credential": {"id": created["id"],
                                                              "secret": "wrong"}}}}
    assert requests.post(cloud.auth_url + "/auth/tokens", json=wrong,
                         timeout=10).status_code == 401
    # Losing the role takes it out of the credential's tokens; deleting the credential
    # ends them.
    cloud.openstack("application", "credential", "delete", "ci", user="appowner",
                    password=DEMO_PASSWORD, project="appowner", parse=False)
    api.admin("GET", "/auth/tokens", 404, headers={"X-Subject-Token": token})
