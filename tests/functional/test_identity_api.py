"""The identity API over real HTTP: keystoneauth and openstacksdk flows, token refusal
(forged, expired, revoked, foreign project), revocation, error format and admin CRUD."""
import dataclasses
import datetime
import os

import openstack
import pytest
import requests
from cryptography.fernet import Fernet
from keystoneauth1 import plugin, session as ks_session
from keystoneauth1.identity import v3

from controller.api import errors
from controller.db.base import utcnow
from controller.identity import keys, tokens
from controller.identity.validation import RemoteValidator
from tests.lib.cloud import ADMIN_PASSWORD, Cloud

DEMO_PASSWORD = "demo-secret"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("identity-api"), roles=["api"], with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()


class Api:
    def __init__(self, cloud):
        self.cloud = cloud

    def issue(self, user="admin", password=ADMIN_PASSWORD, project="admin", expect=201):
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"name": "Default"}, "password": password}}}}}
        if project:
            body["auth"]["scope"] = {"project": {"name": project, "domain": {"id": "default"}}}
        resp = requests.post(self.cloud.auth_url + "/auth/tokens", json=body, timeout=10)
        assert resp.status_code == expect, resp.text
        return resp.headers.get("X-Subject-Token"), resp.json()

    def token(self, *args, **kwargs):
        return self.issue(*args, **kwargs)[0]

    def call(self, method, path, token=None, expect=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["X-Auth-Token"] = token
        resp = requests.request(method, self.cloud.auth_url + path, headers=headers,
                                timeout=10, **kwargs)
        if expect is not None:
            assert resp.status_code == expect, resp.text
        return resp

    def admin(self, method, path, expect=None, **kwargs):
        return self.call(method, path, self.token(), expect, **kwargs)


@pytest.fixture(scope="module")
def api(cloud):
    return Api(cloud)


def make_member(api, name, role="member"):
    """A project and a user of the same name holding ``role`` on it."""
    project = api.admin("POST", "/projects", 201, json={"project": {"name": name}}
                        ).json()["project"]
    user = api.admin("POST", "/users", 201, json={"user": {
        "name": name, "password": DEMO_PASSWORD, "default_project_id": project["id"]}}
    ).json()["user"]
    role_id = api.admin("GET", "/roles", 200, params={"name": role}).json()["roles"][0]["id"]
    api.admin("PUT", f"/projects/{project['id']}/users/{user['id']}/roles/{role_id}", 204)
    return project, user


@pytest.fixture(scope="module")
def demo(api):
    project, user = make_member(api, "demo")
    return {"project": project, "user": user}


def key_formatter(cloud):
    return tokens.FernetTokenFormatter(
        keys.KeyRepository(os.path.join(cloud.workdir, "state", "fernet-keys")))


def open_token(cloud, token):
    return key_formatter(cloud).open(token)


def test_version_discovery(cloud):
    resp = requests.get(cloud.url + "/identity/", timeout=10)
    assert resp.status_code == 300
    (version,) = resp.json()["versions"]["values"]
    assert version["id"].startswith("v3.") and version["status"] == "stable"
    assert version["links"][0]["href"] == cloud.auth_url + "/"
    resp = requests.get(cloud.auth_url, timeout=10)
    assert resp.status_code == 200
    assert resp.json()["version"]["media-types"][0]["type"] == \
        "application/vnd.openstack.identity-v3+json"


def test_keystoneauth_unscoped_then_project_list_then_scoped(cloud, demo):
    unscoped = v3.Password(auth_url=cloud.auth_url, username="demo", password=DEMO_PASSWORD,
                           user_domain_name="Default", unscoped=True)
    sess = ks_session.Session(auth=unscoped)
    access = unscoped.get_access(sess)
    assert access.project_id is None and not access.role_names
    projects = sess.get("/auth/projects",
                        endpoint_filter={"interface": plugin.AUTH_INTERFACE}).json()["projects"]
    assert [p["name"] for p in projects] == ["demo"]
    scoped = v3.Token(auth_url=cloud.auth_url, token=sess.get_token(),
                      project_id=projects[0]["id"])
    scoped_sess = ks_session.Session(auth=scoped)
    access = scoped.get_access(scoped_sess)
    assert access.project_name == "demo"
    assert sorted(access.role_names) == ["member", "reader"]
    assert scoped_sess.get_endpoint(service_type="compute", interface="public") == \
        cloud.url + "/compute/v2.1"
    user_projects = scoped_sess.get(f"/users/{access.user_id}/projects",
                                    endpoint_filter={"service_type": "identity",
                                                     "version": "3"}).json()
    assert [p["id"] for p in user_projects["projects"]] == [demo["project"]["id"]]


def test_password_without_scope_uses_the_default_project(cloud, demo):
    auth = v3.Password(auth_url=cloud.auth_url, username="demo", password=DEMO_PASSWORD,
                       user_domain_name="Default")
    assert auth.get_access(ks_session.Session(auth=auth)).project_id == demo["project"]["id"]


def test_openstacksdk(cloud, demo):
    conn = openstack.connect(auth_url=cloud.auth_url, username="demo",
                             password=DEMO_PASSWORD, project_name="demo",
                             user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne", load_yaml_config=False,
                             load_envvars=False)
    try:
        assert conn.current_project_id == demo["project"]["id"]
        assert conn.identity.get_project(demo["project"]["id"]).name == "demo"
        assert conn.identity.get_user(conn.current_user_id).name == "demo"
        admin = openstack.connect(auth_url=cloud.auth_url, username="admin",
                                  password=ADMIN_PASSWORD, project_name="admin",
                                  user_domain_name="Default", project_domain_name="Default",
                                  region_name="RegionOne", load_yaml_config=False,
                                  load_envvars=False)
        found = admin.identity.find_project("demo", ignore_missing=False)
        assert found.id == demo["project"]["id"]
        assert {u.name for u in admin.identity.users()} >= {"admin", "demo"}
        admin.close()
    finally:
        conn.close()


def test_errors_have_keystone_format(api):
    resp = api.call("POST", "/auth/tokens", data=b"{not json",
                    headers={"Content-Type": "application/json"}, expect=400)
    assert resp.json() == {"error": {"code": 400, "title": "Bad Request",
                                     "message": "The request body is not valid JSON."}}
    resp = api.call("POST", "/auth/tokens", json={"auth": {}}, expect=400)
    assert "auth.identity" in resp.json()["error"]["message"]
    resp = api.call("GET", "/projects", expect=401)
    assert resp.json()["error"]["title"] == "Unauthorized"
    wrong_password = api.issue(password="nope", expect=401)[1]
    wrong_user = api.issue(user="nobody", expect=401)[1]
    assert wrong_password == wrong_user
    assert api.admin("GET", "/projects/nope", 404).json()["error"]["code"] == 404


def test_forged_and_expired_tokens_are_refused(cloud, api, tmp_path):
    token = api.token()
    payload = open_token(cloud, token)
    other = keys.KeyRepository(str(tmp_path / "keys"))
    other.initialize()
    forged = tokens.FernetTokenFormatter(other).create(payload)
    past = utcnow() - datetime.timedelta(seconds=5)
    expired = key_formatter(cloud).create(dataclasses.replace(
        payload, issued_at=past - datetime.timedelta(hours=1), expires_at=past))
    for bad in (forged, expired, token[:-4], "garbage"):
        assert api.call("GET", "/projects", bad).status_code == 401
        assert api.call("GET", "/auth/tokens", token,
                        headers={"X-Subject-Token": bad}).status_code == 404
        assert api.call("HEAD", "/auth/tokens", token,
                        headers={"X-Subject-Token": bad}).status_code == 404
    assert api.call("HEAD", "/auth/tokens", token, 200, headers={"X-Subject-Token": token})


def test_revoked_token_stops_working_at_once_on_every_path(api):
    token = api.token()
    api.call("GET", "/users", token, 200)          # now in the middleware's cache
    validated = api.call("GET", "/auth/tokens", token, 200, params={"nocatalog": ""},
                         headers={"X-Subject-Token": token}).json()["token"]
    assert "catalog" not in validated and validated["project"]["name"] == "admin"
    api.admin("DELETE", "/auth/tokens", 204, headers={"X-Subject-Token": token})
    assert api.call("GET", "/users", token).status_code == 401
    assert api.call("GET", "/projects", token).status_code == 401
    assert api.admin("GET", "/auth/tokens", headers={"X-Subject-Token": token}
                     ).status_code == 404


def test_tokens_do_not_reach_other_projects(cloud, api, demo):
    token = api.token("demo", DEMO_PASSWORD, "demo")
    admin_project = api.admin("GET", "/projects", 200, params={"name": "admin"}
                              ).json()["projects"][0]
    api.call("GET", f"/projects/{demo['project']['id']}", token, 200)
    api.call("GET", f"/projects/{admin_project['id']}", token, 403)
    api.call("GET", "/users", token, 403)
    api.call("GET", f"/users/{demo['user']['id']}", token, 200)
    admin_user = api.admin("GET", "/users", 200, params={"name": "admin"}).json()["users"][0]
    api.call("GET", f"/users/{admin_user['id']}", token, 403)
    api.call("POST", "/auth/tokens", expect=401, json={"auth": {
        "identity": {"methods": ["token"], "token": {"id": token}},
        "scope": {"project": {"id": admin_project["id"]}}}})
    # Even a well-sealed token naming a project the user has no role on is refused.
    crafted = key_formatter(cloud).create(dataclasses.replace(
        open_token(cloud, token), project_id=admin_project["id"]))
    api.call("GET", f"/projects/{admin_project['id']}", crafted, 401)


def test_password_change_and_project_disable_end_tokens(api):
    project, user = make_member(api, "grace")
    token = api.token("grace", DEMO_PASSWORD, "grace")
    api.call("GET", f"/users/{user['id']}", token, 200)
    api.admin("PATCH", f"/users/{user['id']}", 200, json={"user": {"password": "new-pw"}})
    api.call("GET", f"/users/{user['id']}", token, 401)
    token = api.token("grace", "new-pw", "grace")
    api.call("GET", f"/users/{user['id']}", token, 200)
    api.admin("PATCH", f"/projects/{project['id']}", 200,
              json={"project": {"enabled": False}})
    api.call("GET", f"/users/{user['id']}", token, 401)
    api.issue("grace", "new-pw", "grace", expect=401)
    api.admin("PATCH", f"/projects/{project['id']}", 200, json={"project": {"enabled": True}})
    api.call("GET", f"/users/{user['id']}", token, 401)       # revoked, not just blocked
    api.call("GET", f"/users/{user['id']}", api.token("grace", "new-pw", "grace"), 200)


def test_users_change_their_own_password(api):
    _, user = make_member(api, "heidi")
    token = api.token("heidi", DEMO_PASSWORD, "heidi")
    path = f"/users/{user['id']}/password"
    api.call("POST", path, token, 401, json={"user": {"original_password": "wrong",
                                                       "password": "pw2"}})
    api.call("POST", path, token, 400, json={"user": {"password": "pw2"}})
    api.call("POST", path, token, 204, json={"user": {"original_password": DEMO_PASSWORD,
                                                       "password": "pw2"}})
    api.call("GET", f"/users/{user['id']}", token, 401)
    api.token("heidi", "pw2", "heidi")


def test_admin_crud_filters_and_conflicts(api):
    created = api.admin("POST", "/projects", 201, json={"project": {
        "name": "scratch", "description": "temporary", "enabled": False}}).json()["project"]
    assert created["domain_id"] == "default" and created["enabled"] is False
    conflict = api.admin("POST", "/projects", 409, json={"project": {"name": "scratch"}})
    assert conflict.json()["error"]["code"] == 409
    listed = api.admin("GET", "/projects", 200, params={"enabled": "false"}).json()
    assert [p["name"] for p in listed["projects"]] == ["scratch"]
    api.admin("PATCH", f"/projects/{created['id']}", 400,
              json={"project": {"domain_id": "elsewhere"}})
    # Keystone keeps attributes it does not know ("extra") and shows them back.
    assert api.admin("PATCH", f"/projects/{created['id']}", 200, json={"project": {
        "colour": "red"}}).json()["project"]["colour"] == "red"
    api.admin("PATCH", f"/projects/{created['id']}", 400, json={"project": {"id": "other"}})
    api.admin("POST", "/projects", 400, json={"project": {"name": ""}})
    api.admin("POST", "/projects", 400, json={"project": {"name": "x", "enabled": "yes"}})
    renamed = api.admin("PATCH", f"/projects/{created['id']}", 200,
                        json={"project": {"name": "scratch2"}}).json()["project"]
    assert renamed["name"] == "scratch2" and renamed["description"] == "temporary"
    api.admin("DELETE", f"/projects/{created['id']}", 204)
    api.admin("GET", f"/projects/{created['id']}", 404)
    api.admin("POST", "/users", 400, json={"user": {"name": "u",
                                                    "default_project_id": "missing"}})
    api.admin("POST", "/users", 409, json={"user": {"name": "admin"}})
    api.admin("POST", "/users", 404, json={"user": {"name": "u", "domain_id": "nowhere"}})
    api.admin("POST", "/roles", 409, json={"role": {"name": "admin"}})
    user = api.admin("POST", "/users", 201, json={"user": {"name": "ivan"}}).json()["user"]
    project = api.admin("GET", "/projects", 200, params={"name": "admin"}
                        ).json()["projects"][0]
    grant = f"/projects/{project['id']}/users/{user['id']}/roles"
    api.admin("PUT", f"{grant}/missing", 404)
    reader = api.admin("GET", "/roles", 200, params={"name": "reader"}).json()["roles"][0]
    api.admin("HEAD", f"{grant}/{reader['id']}", 404)
    api.admin("PUT", f"{grant}/{reader['id']}", 204)
    api.admin("HEAD", f"{grant}/{reader['id']}", 204)
    assert [r["name"] for r in api.admin("GET", grant, 200).json()["roles"]] == ["reader"]
    api.admin("DELETE", f"/users/{user['id']}", 204)
    api.admin("GET", f"/users/{user['id']}", 404)
    assert api.admin("GET", "/services", 200, params={"type": "image"}
                     ).json()["services"][0]["name"] == "glance"


def test_remote_validator(cloud, api):
    token = api.token()
    auth = RemoteValidator(cloud.auth_url).validate(token)
    assert auth.project_name == "admin" and auth.user_name == "admin"
    assert auth.roles == {"admin", "member", "reader"}
    assert auth.expires_at == open_token(cloud, token).expires_at
    with pytest.raises(errors.Unauthorized):
        RemoteValidator(cloud.auth_url).validate("gAAAAAforged")


def test_no_secret_or_token_in_the_log(cloud, api):
    token = api.token()
    api.call("GET", "/projects", token, 200)
    with open(os.path.join(cloud.workdir, "controller.log")) as f:
        log = f.read()
    assert "issued token" in log
    assert ADMIN_PASSWORD not in log and DEMO_PASSWORD not in log and token not in log


def test_fernet_rotate_keeps_issued_tokens_valid(cloud, api):
    before = api.token()
    result = cloud.pocketstack("fernet-rotate")
    assert "primary is now key 2" in result.stdout
    api.call("GET", "/projects", before, 200)
    after = api.token()
    api.call("GET", "/projects", after, 200)
    keys_dir = os.path.join(cloud.workdir, "state", "fernet-keys")
    assert sorted(os.listdir(keys_dir)) == ["0", "1", "2"]
    with open(os.path.join(keys_dir, "2"), "rb") as f:
        new_primary = Fernet(f.read())
    new_primary.decrypt(after + "=" * (-len(after) % 4))       # signed by the new primary


def test_revocation_survives_a_restart(cloud, api):
    revoked, kept = api.token(), api.token()
    api.admin("DELETE", "/auth/tokens", 204, headers={"X-Subject-Token": revoked})
    cloud.stop()
    cloud.start()
    api.call("GET", "/projects", revoked, 401)
    api.call("GET", "/projects", kept, 200)
