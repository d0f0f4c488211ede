"""Authentication and validation rules against a real (SQLite) database, without HTTP."""
import dataclasses
import datetime
import shutil

import pytest
from oslo_config import cfg
from sqlalchemy import delete, select

from conf import api as api_conf, database as database_conf, default as default_conf
from conf import identity as identity_conf
from controller.api import errors
from controller.db import migration
from controller.db.base import utcnow
from controller.db.engine import Database
from controller.identity import bootstrap, keys, models, passwords
from controller.identity.token_service import TokenService

PASSWORD = "admin-pw"


@pytest.fixture
def conf(tmp_path):
    conf = cfg.ConfigOpts()
    conf.register_opts(default_conf.default_opts)
    conf.register_opts(database_conf.database_opts, "database")
    conf.register_opts(api_conf.api_opts, "api")
    conf.register_opts(identity_conf.identity_opts, "identity")
    conf([])
    conf.set_override("state_path", str(tmp_path))
    conf.set_override("revocation_check_seconds", 0, "identity")
    conf.set_override("argon2_time_cost", 1, "identity")
    conf.set_override("argon2_memory_cost", 64, "identity")
    return conf


@pytest.fixture(scope="module")
def bootstrapped(tmp_path_factory):
    """A migrated, bootstrapped database file, made once and copied for each test."""
    path = str(tmp_path_factory.mktemp("identity-db") / "template.sqlite")
    url = f"sqlite:///{path}"
    migration.upgrade(url)
    database = Database(url)
    bootstrap.bootstrap(database, admin_password=PASSWORD, public_url="http://cloud",
                        hasher=passwords.PasswordHasher(time_cost=1, memory_cost=64))
    database.dispose()
    return path


@pytest.fixture
def db(conf, tmp_path, bootstrapped):
    path = tmp_path / "test.sqlite"
    shutil.copyfile(bootstrapped, path)
    keys.from_conf(conf).initialize()
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def service(conf, db):
    return TokenService(conf, db)


def password_auth(user="admin", password=PASSWORD, scope=None, domain=None):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": domain or {"id": "default"}, "password": password}}}}}
    if scope is not None:
        body["auth"]["scope"] = scope
    return body


def project_scope(name="admin"):
    return {"project": {"name": name, "domain": {"name": "Default"}}}


def make_user(db, service, name, project_name, role="member"):
    with db.session() as session:
        project = models.Project(name=project_name, domain_id="default")
        user = models.User(name=name, domain_id="default",
                           password_hash=service.hasher.hash("pw"))
        session.add_all([project, user])
        session.flush()
        role_id = session.scalar(select(models.Role.id).where(models.Role.name == role))
        session.add(models.Assignment(actor_type="user", actor_id=user.id,
                                      target_type="project", target_id=project.id,
                                      role_id=role_id))
        return user.id, project.id


def test_scoped_token_has_implied_roles(service):
    valid = service.authenticate(password_auth(scope=project_scope()))
    assert valid.project.name == "admin" and valid.project.domain_name == "Default"
    assert [r.name for r in valid.roles] == ["admin", "member", "reader"]
    assert valid.payload.methods == ("password",)
    assert valid.payload.expires_at - valid.payload.issued_at == datetime.timedelta(hours=1)
    assert service.validate(valid.token) == valid


def test_no_scope_uses_default_project_and_unscoped_means_unscoped(service):
    assert service.authenticate(password_auth()).project.name == "admin"
    unscoped = service.authenticate(password_auth(scope="unscoped"))
    assert unscoped.project is None and unscoped.roles == ()


def test_system_and_domain_scope_need_a_role_there(db, service):
    system = service.authenticate(password_auth(scope={"system": {"all": True}}))
    assert system.system and system.project is None and system.domain is None
    assert [r.name for r in system.roles] == ["admin", "member", "reader"]
    assert service.validate(system.token) == system
    with pytest.raises(errors.Unauthorized):
        service.authenticate(password_auth(scope={"domain": {"id": "default"}}))
    user_id, _ = make_user(db, service, "dora", "dora-project")
    with pytest.raises(errors.Unauthorized):
        service.authenticate(password_auth("dora", "pw", {"system": {"all": True}}))
    with db.session() as session:
        reader = session.scalar(select(models.Role.id).where(models.Role.name == "reader"))
        session.add(models.Assignment(actor_type="user", actor_id=user_id,
                                      target_type="domain", target_id="default",
                                      role_id=reader))
    domain = service.authenticate(password_auth("dora", "pw", {"domain": {"name": "Default"}}))
    assert domain.domain.id == "default" and [r.name for r in domain.roles] == ["reader"]
    with db.session() as session:
        session.execute(delete(models.Assignment).where(
            models.Assignment.actor_id == user_id, models.Assignment.target_type == "domain"))
    with pytest.raises(errors.Unauthorized):
        service.validate(domain.token)


def test_default_project_without_roles_gives_unscoped(db, service):
    user_id, project_id = make_user(db, service, "alice", "alice-project")
    with db.session() as session:
        session.get(models.User, user_id).default_project_id = project_id
        session.execute(delete(models.Assignment)
                        .where(models.Assignment.actor_id == user_id))
    assert service.authenticate(password_auth("alice", "pw")).project is None


@pytest.mark.parametrize("body", [
    password_auth(password="wrong"),
    password_auth(user="nobody"),
    password_auth(domain={"name": "Nowhere"}),
    password_auth(domain={"id": "nowhere"}),
])
def test_bad_credentials_all_get_the_same_401(service, body):
    with pytest.raises(errors.Unauthorized) as caught:
        service.authenticate(body)
    assert caught.value.message == "The request you have made requires authentication."


@pytest.mark.parametrize("body", [
    {},
    {"auth": {}},
    {"auth": {"identity": {"methods": []}}},
    {"auth": {"identity": {"methods": ["saml2"]}}},
    {"auth": {"identity": {"methods": ["password"]}}},
    {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin"}}}}},
    {"auth": {"identity": {"methods": ["token"], "token": {}}}},
    password_auth(domain={"nothing": 1}),
    password_auth(scope={"system": {"all": False}}),
    password_auth(scope={"system": {"all": True}, "domain": {"id": "default"}}),
    password_auth(scope={"project": "admin"}),
    password_auth(scope={"project": {"name": "admin"}}),
])
def test_malformed_requests_are_400(service, body):
    with pytest.raises(errors.BadRequest):
        service.authenticate(body)


def test_scope_to_project_without_roles_is_refused(db, service):
    make_user(db, service, "bob", "bob-project")
    with pytest.raises(errors.Unauthorized):
        service.authenticate(password_auth("bob", "pw", scope=project_scope("admin")))
    with pytest.raises(errors.Unauthorized):
        service.authenticate(password_auth("bob", "pw", scope=project_scope("no-such")))
    assert service.authenticate(password_auth("bob", "pw",
                                              scope=project_scope("bob-project"))).roles


def test_rescoping_keeps_expiry_and_audit_chain(service):
    unscoped = service.authenticate(password_auth(scope="unscoped"))
    scoped = service.authenticate({"auth": {
        "identity": {"methods": ["token"], "token": {"id": unscoped.token}},
        "scope": project_scope()}})
    assert scoped.project.name == "admin"
    assert scoped.payload.expires_at == unscoped.payload.expires_at
    assert scoped.payload.audit_ids[1] == unscoped.payload.audit_id
    assert scoped.payload.methods == ("password", "token")


def test_expired_token_is_refused(service):
    valid = service.authenticate(password_auth())
    past = utcnow() - datetime.timedelta(seconds=1)
    expired = service.formatter.create(dataclasses.replace(
        valid.payload, issued_at=past - datetime.timedelta(hours=1), expires_at=past))
    with pytest.raises(errors.Unauthorized, match="expired"):
        service.validate(expired)
    with pytest.raises(errors.Unauthorized):
        service.authenticate({"auth": {"identity": {"methods": ["token"],
                                                    "token": {"id": expired}}}})


def test_token_crafted_for_a_foreign_project_is_refused(db, service):
    """Even a correctly sealed token is refused where its user has no role."""
    user_id, _ = make_user(db, service, "carol", "carol-project")
    admin = service.authenticate(password_auth())
    forged = service.formatter.create(dataclasses.replace(admin.payload, user_id=user_id))
    with pytest.raises(errors.Unauthorized, match="no access"):
        service.validate(forged)


def test_revocation_holds_at_once_and_in_other_processes(conf, db, service):
    other_process = TokenService(conf, db)
    first, second = (service.authenticate(password_auth()) for _ in range(2))
    other_process.validate(first.token)
    generation = service.revocations.generation()
    service.revoke_token(first)
    assert service.revocations.generation() != generation
    for validator in (service, other_process):
        with pytest.raises(errors.Unauthorized, match="revoked"):
            validator.validate(first.token)
        assert validator.validate(second.token)


def test_user_revocation_spares_tokens_issued_after(service):
    before = service.authenticate(password_auth())
    service.revoke_user(before.user.id)
    after = service.authenticate(password_auth())
    with pytest.raises(errors.Unauthorized):
        service.validate(before.token)
    assert service.validate(after.token)


def test_disabled_user_and_project_are_refused(db, service):
    user_id, project_id = make_user(db, service, "dave", "dave-project")
    valid = service.authenticate(password_auth("dave", "pw", scope=project_scope("dave-project")))
    with db.session() as session:
        session.get(models.Project, project_id).enabled = False
    with pytest.raises(errors.Unauthorized):
        service.validate(valid.token)
    with pytest.raises(errors.Unauthorized):
        service.authenticate(password_auth("dave", "pw", scope=project_scope("dave-project")))
    with db.session() as session:
        session.get(models.Project, project_id).enabled = True
        session.get(models.User, user_id).enabled = False
    with pytest.raises(errors.Unauthorized):
        service.validate(valid.token)
    with pytest.raises(errors.Unauthorized):
        service.authenticate(password_auth("dave", "pw"))


def test_expired_password_is_refused(db, service):
    user_id, _ = make_user(db, service, "erin", "erin-project")
    with db.session() as session:
        session.get(models.User, user_id).password_expires_at = utcnow()
    with pytest.raises(errors.Unauthorized, match="expired"):
        service.authenticate(password_auth("erin", "pw"))


def test_bootstrap_is_idempotent(db, service):
    def counts():
        with db.session() as session:
            return [session.query(model).count() for model in (
                models.Domain, models.Project, models.User, models.Role, models.ImpliedRole,
                models.Assignment, models.Service, models.Endpoint)]

    before = counts()
    bootstrap.bootstrap(db, admin_password=PASSWORD, public_url="http://other",
                        hasher=service.hasher)
    # Projects, users and assignments: the admin's (on its project and the system) and
    # the agents' service user's; roles: admin, member, reader and service.
    assert counts() == before == [1, 2, 2, 4, 2, 3, len(bootstrap.CATALOG),
                                  3 * len(bootstrap.CATALOG)]
    with db.session() as session:
        assert {e.url.split("/")[2] for e in session.query(models.Endpoint)} == {"other"}
    assert service.authenticate(password_auth()).project.name == "admin"


def test_bootstrap_makes_the_agents_service_user_an_admin_of_project_service(db, service):
    def run(password=None):
        return bootstrap.bootstrap(db, admin_password=PASSWORD, public_url="http://cloud",
                                   hasher=service.hasher, service_password=password)

    assert run("agent-pw") is None
    token = service.authenticate(password_auth(bootstrap.SERVICE_USER, "agent-pw",
                                               project_scope("service")))
    assert "admin" in [role.name for role in token.roles]
    assert run() is None        # no password given: the one it has stays
    service.authenticate(password_auth(bootstrap.SERVICE_USER, "agent-pw"))
    with db.session() as session:
        session.execute(delete(models.Assignment))
        session.execute(delete(models.User).where(
            models.User.name == bootstrap.SERVICE_USER))
    generated = run()           # a new user with no password given gets one
    assert generated and service.authenticate(
        password_auth(bootstrap.SERVICE_USER, generated)).user.name == bootstrap.SERVICE_USER
