"""Issuing, validating and revoking tokens: Keystone's authentication rules.

Used by the identity API and, in the same process, by every other API's token
middleware, so a revocation recorded here takes effect for both at once.
"""
import dataclasses
import datetime
import logging

from sqlalchemy import select

from controller.api import errors
from controller.db.base import utcnow
from controller.identity import (app_credentials, assignments, keys, models, passwords,
                                 revocation, tokens)

LOG = logging.getLogger(__name__)

AUTH_REQUIRED = "The request you have made requires authentication."


@dataclasses.dataclass(frozen=True)
class Named:
    """An ID and name, with its domain's for users and projects."""
    id: str
    name: str
    domain_id: str | None = None
    domain_name: str | None = None


@dataclasses.dataclass(frozen=True)
class ValidToken:
    """A token that passed every check, with what its body shows."""
    token: str
    payload: tokens.TokenPayload
    user: Named
    password_expires_at: datetime.datetime | None
    project: Named | None
    roles: tuple  # of Named, sorted by name
    domain: Named | None = None
    system: bool = False
    app_credential: models.ApplicationCredential | None = None


def _body(data, *path):
    """Follow ``path`` into the request body, or 400 naming what is missing."""
    for depth, key in enumerate(path):
        if not isinstance(data, dict) or key not in data:
            raise errors.BadRequest(f"Expecting to find {'.'.join(path[:depth + 1])} "
                                    f"in the request body.")
        data = data[key]
    return data


def _string(data, key, where):
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise errors.BadRequest(f"Expecting a non-empty string for {where}.{key}.")
    return value


class TokenService:
    def __init__(self, conf, db):
        self.conf = conf
        self.db = db
        self.formatter = tokens.FernetTokenFormatter(keys.from_conf(conf))
        self.hasher = passwords.get_hasher(conf)
        self.revocations = revocation.RevocationStore(
            db, conf.identity.token_expiration, conf.identity.revocation_check_seconds)

    # -- issuing -----------------------------------------------------------------------

    def authenticate(self, body):
        """POST /v3/auth/tokens: the request body → a new ValidToken."""
        identity = _body(body, "auth", "identity")
        methods = _body(identity, "methods")
        if (not isinstance(methods, list) or not methods
                or any(m not in tokens.METHODS for m in methods)):
            raise errors.BadRequest("auth.identity.methods must list 'password', 'token' "
                                    "or 'application_credential'.")
        user_ids = set()
        parent = None
        app_cred = None
        scope = body["auth"].get("scope")
        if "password" in methods:
            user_ids.add(self._check_password(_body(identity, "password", "user")))
        if "application_credential" in methods:
            app_cred = self._check_app_cred(_body(identity, "application_credential"))
            user_ids.add(app_cred.user_id)
            # An application credential's token is always scoped to its project.
            scope = {"project": {"id": app_cred.project_id}}
        if "token" in methods:
            parent = self.validate(_string(_body(identity, "token"), "id",
                                           "auth.identity.token"))
            user_ids.add(parent.payload.user_id)
            if parent.payload.app_cred_id:
                raise errors.Forbidden("A token made from an application credential cannot "
                                       "be rescoped.")
        if len(user_ids) != 1:
            raise errors.Unauthorized(AUTH_REQUIRED)
        user_id = user_ids.pop()
        now = utcnow()
        expires_at = now + datetime.timedelta(seconds=self.conf.identity.token_expiration)
        audit_ids = (tokens.new_audit_id(),)
        all_methods = set(methods)
        if app_cred is not None and app_cred.expires_at is not None:
            expires_at = min(expires_at, app_cred.expires_at)
        if parent is not None:
            expires_at = min(expires_at, parent.payload.expires_at)
            audit_ids += (parent.payload.audit_ids[-1],)
            all_methods.update(parent.payload.methods)
        with self.db.session() as session:
            project_id, domain_id, system = self._scope(session, user_id, scope)
        payload = tokens.TokenPayload(
            user_id=user_id, methods=tuple(m for m in tokens.METHODS if m in all_methods),
            project_id=project_id, issued_at=now, expires_at=expires_at, audit_ids=audit_ids,
            domain_id=domain_id, system=system, app_cred_id=app_cred.id if app_cred else None)
        token = self.formatter.create(payload)
        LOG.info("issued token %s for user %s, project %s, domain %s, system %s",
                 payload.audit_id, user_id, project_id, domain_id, system)
        return self._resolve(token, payload)

    def _check_password(self, user_ref):
        password = user_ref.get("password") if isinstance(user_ref, dict) else None
        if not isinstance(password, str):
            raise errors.BadRequest("Expecting a string for auth.identity.password.user."
                                    "password.")
        with self.db.session() as session:
            user = self._find_user(session, user_ref)
            user_ok = (user is not None and user.enabled
                       and session.get(models.Domain, user.domain_id).enabled)
        # Verify even when the user is unknown: failures must all cost the same.
        password_ok = self.hasher.verify(user.password_hash if user else None, password)
        if not (password_ok and user_ok):
            raise errors.Unauthorized(AUTH_REQUIRED)
        if user.password_expires_at is not None and user.password_expires_at <= utcnow():
            raise errors.Unauthorized("The password is expired and needs to be changed "
                                      f"for user: {user.id}.")
        return user.id

    def _check_app_cred(self, ref):
        secret = ref.get("secret") if isinstance(ref, dict) else None
        if not isinstance(secret, str) or not ({"id", "name"} & ref.keys()):
            raise errors.BadRequest("Expecting an id (or a name and user) and a secret in "
                                    "auth.identity.application_credential.")
        with self.db.session() as session:
            credential = app_credentials.find(session, ref, self._find_user)
        secret_ok = self.hasher.verify(credential.secret_hash if credential else None, secret)
        if not (secret_ok and app_credentials.usable(credential)):
            raise errors.Unauthorized(AUTH_REQUIRED)
        return credential

    def _find_user(self, session, user_ref):
        if "id" in user_ref:
            return session.get(models.User, _string(user_ref, "id", "auth.identity.password.user"))
        name = _string(user_ref, "name", "auth.identity.password.user")
        domain_id = self._domain_id(session, user_ref.get("domain"),
                                    "auth.identity.password.user.domain")
        if domain_id is None:
            return None
        return session.scalar(select(models.User).where(models.User.name == name,
                                                        models.User.domain_id == domain_id))

    def _domain_id(self, session, ref, where):
        """A domain reference ({"id"} or {"name"}) → its ID, None when there is none."""
        if not isinstance(ref, dict) or not ({"id", "name"} & ref.keys()):
            raise errors.BadRequest(f"Expecting to find id or name in {where}.")
        if "id" in ref:
            return session.scalar(select(models.Domain.id)
                                  .where(models.Domain.id == _string(ref, "id", where)))
        return session.scalar(select(models.Domain.id)
                              .where(models.Domain.name == _string(ref, "name", where)))

    def _scope(self, session, user_id, scope):
        """What the new token is scoped to: (project ID, domain ID, system); all empty
        for an unscoped token."""
        if scope is None:
            user = session.get(models.User, user_id)
            project_id = user.default_project_id
            if project_id and self._project_ok(session, user_id, project_id):
                return project_id, None, False
            return None, None, False
        if scope == "unscoped":
            return None, None, False
        if not isinstance(scope, dict) or len(scope) != 1 or not (
                scope.keys() & {"project", "domain", "system"}):
            raise errors.BadRequest("Expecting one of project, domain or system in "
                                    "auth.scope.")
        if "system" in scope:
            if scope["system"] != {"all": True}:
                raise errors.BadRequest("Expecting {\"all\": true} in auth.scope.system.")
            if not assignments.direct_role_ids(session, user_id, "system",
                                               models.SYSTEM_ID):
                raise errors.Unauthorized(f"User {user_id} has no access to the system.")
            return None, None, True
        if "domain" in scope:
            domain_id = self._domain_id(session, scope["domain"], "auth.scope.domain")
            if domain_id is None:
                raise errors.Unauthorized("Could not find the domain to scope to.")
            if not (session.get(models.Domain, domain_id).enabled
                    and assignments.direct_role_ids(session, user_id, "domain", domain_id)):
                raise errors.Unauthorized(f"User {user_id} has no access to domain "
                                          f"{domain_id}.")
            return None, domain_id, False
        ref = scope["project"]
        if not isinstance(ref, dict):
            raise errors.BadRequest("Expecting an object for auth.scope.project.")
        if "id" in ref:
            project = session.get(models.Project, _string(ref, "id", "auth.scope.project"))
        else:
            name = _string(ref, "name", "auth.scope.project")
            domain_id = self._domain_id(session, ref.get("domain"), "auth.scope.project.domain")
            project = session.scalar(select(models.Project).where(
                models.Project.name == name, models.Project.domain_id == domain_id))
        if project is None:
            raise errors.Unauthorized("Could not find the project to scope to.")
        if not self._project_ok(session, user_id, project.id):
            raise errors.Unauthorized(f"User {user_id} has no access to project "
                                      f"{project.id}.")
        return project.id, None, False

    @staticmethod
    def _project_ok(session, user_id, project_id):
        project = session.get(models.Project, project_id)
        return (project is not None and project.enabled
                and session.get(models.Domain, project.domain_id).enabled
                and bool(assignments.direct_role_ids(session, user_id, "project",
                                                     project_id)))

    # -- validating --------------------------------------------------------------------

    def validate(self, token):
        """The token's ValidToken, or Unauthorized: forged, expired, revoked, or its user,
        project or roles are gone or disabled."""
        try:
            payload = self.formatter.open(token)
        except tokens.InvalidToken:
            raise errors.Unauthorized(AUTH_REQUIRED) from None
        except keys.KeyRepositoryError:
            LOG.exception("cannot read the Fernet keys")
            raise errors.ServiceUnavailable("Identity cannot validate tokens now.") from None
        if payload.is_expired(utcnow()):
            raise errors.Unauthorized("The token has expired.")
        if self.revocations.is_revoked(payload):
            raise errors.Unauthorized("The token has been revoked.")
        return self._resolve(token, payload)

    def _resolve(self, token, payload):
        with self.db.session() as session:
            row = session.execute(
                select(models.User, models.Domain)
                .join(models.Domain, models.Domain.id == models.User.domain_id)
                .where(models.User.id == payload.user_id)).first()
            if row is None or not (row.User.enabled and row.Domain.enabled):
                raise errors.Unauthorized(AUTH_REQUIRED)
            user = Named(row.User.id, row.User.name, row.Domain.id, row.Domain.name)
            project, domain, roles = None, None, ()
            if payload.project_id is not None:
                row2 = session.execute(
                    select(models.Project, models.Domain)
                    .join(models.Domain, models.Domain.id == models.Project.domain_id)
                    .where(models.Project.id == payload.project_id)).first()
                if row2 is None or not (row2.Project.enabled and row2.Domain.enabled):
                    raise errors.Unauthorized(AUTH_REQUIRED)
                project = Named(row2.Project.id, row2.Project.name, row2.Domain.id,
                                row2.Domain.name)
                target = ("project", project.id)
            elif payload.domain_id is not None:
                scoped = session.get(models.Domain, payload.domain_id)
                if scoped is None or not scoped.enabled:
                    raise errors.Unauthorized(AUTH_REQUIRED)
                domain = Named(scoped.id, scoped.name)
                target = ("domain", domain.id)
            elif payload.system:
                target = ("system", models.SYSTEM_ID)
            else:
                target = None
            app_cred = None
            if payload.app_cred_id is not None:
                app_cred = session.get(models.ApplicationCredential, payload.app_cred_id)
                if not app_credentials.usable(app_cred):
                    raise errors.Unauthorized(AUTH_REQUIRED)
            if target is not None:
                roles = tuple(Named(r.id, r.name) for r in assignments.effective_roles(
                    session, user.id, *target))
                if app_cred is not None:
                    delegated = assignments.expand_implied(app_cred.role_ids,
                                                           assignments.implications(session))
                    roles = tuple(role for role in roles if role.id in delegated)
                if not roles:
                    raise errors.Unauthorized(f"User {user.id} has no access to "
                                              f"{target[0]} {target[1]}.")
            return ValidToken(token=token, payload=payload, user=user,
                              password_expires_at=row.User.password_expires_at,
                              project=project, roles=roles, domain=domain,
                              system=payload.system, app_credential=app_cred)

    # -- revoking ----------------------------------------------------------------------

    def revoke_token(self, valid_token):
        self.revocations.revoke(audit_id=valid_token.payload.audit_id)
        LOG.info("revoked token %s", valid_token.payload.audit_id)

    def revoke_user(self, user_id):
        """Every token of the user issued until now (password change, disable, delete)."""
        self.revocations.revoke(user_id=user_id)

    def revoke_project(self, project_id):
        self.revocations.revoke(project_id=project_id)

    def revoke_grant(self, user_id, project_id):
        self.revocations.revoke(user_id=user_id, project_id=project_id)
