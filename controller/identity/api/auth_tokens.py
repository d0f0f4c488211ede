"""``/v3/auth/*``: issuing, validating and revoking tokens, and what a token may reach."""
import falcon

from controller import policy
from controller.api import errors
from controller.identity import assignments, catalog
from controller.identity.api import common
from controller.identity.api.domains import domain_view
from controller.identity.api.projects import project_view


def _time(value):
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _named(ref):
    return {"id": ref.id, "name": ref.name,
            "domain": {"id": ref.domain_id, "name": ref.domain_name}}


def token_view(valid, service_catalog=None):
    """A token body shaped exactly as Keystone's."""
    payload = valid.payload
    body = {
        "methods": list(payload.methods),
        "user": {**_named(valid.user),
                 "password_expires_at": (_time(valid.password_expires_at)
                                         if valid.password_expires_at else None)},
        "audit_ids": list(payload.audit_ids),
        "expires_at": _time(payload.expires_at),
        "issued_at": _time(payload.issued_at),
    }
    if valid.project is not None:
        body["project"] = _named(valid.project)
        body["is_domain"] = False
    elif valid.domain is not None:
        body["domain"] = {"id": valid.domain.id, "name": valid.domain.name}
    elif valid.system:
        body["system"] = {"all": True}
    if valid.app_credential is not None:
        body["application_credential"] = {"id": valid.app_credential.id,
                                          "name": valid.app_credential.name,
                                          "restricted": not valid.app_credential.unrestricted}
    if valid.roles:
        body["roles"] = [{"id": role.id, "name": role.name} for role in valid.roles]
        if service_catalog is not None:
            body["catalog"] = service_catalog
    return {"token": body}


class Tokens:
    public_methods = {"POST"}

    def __init__(self, token_service):
        self.tokens = token_service

    def _catalog(self, req, valid):
        if not valid.roles or common.query_flag(req, "nocatalog"):
            return None
        return catalog.read_catalog(self.tokens.db,
                                    valid.project.id if valid.project else None)

    def on_post(self, req, resp):
        valid = self.tokens.authenticate(common.read_json(req))
        resp.status = falcon.HTTP_201
        resp.set_header("X-Subject-Token", valid.token)
        resp.media = token_view(valid, self._catalog(req, valid))

    def _subject(self, req, action):
        token = req.get_header("X-Subject-Token")
        if not token:
            raise errors.BadRequest("Expecting the token to act on in the X-Subject-Token "
                                    "header.")
        try:
            valid = self.tokens.validate(token)
        except errors.Unauthorized as exc:
            raise errors.NotFound(f"Failed to validate token: {exc.message}") from None
        policy.authorize(req.context.auth, action, {"user_id": valid.user.id})
        return valid

    def on_get(self, req, resp):
        valid = self._subject(req, "identity:validate_token")
        resp.set_header("X-Subject-Token", valid.token)
        resp.media = token_view(valid, self._catalog(req, valid))

    def on_head(self, req, resp):
        valid = self._subject(req, "identity:validate_token")
        resp.set_header("X-Subject-Token", valid.token)

    def on_delete(self, req, resp):
        self.tokens.revoke_token(self._subject(req, "identity:revoke_token"))
        resp.status = falcon.HTTP_204


class AuthScopes:
    """What the caller's token may be scoped to: ``kind`` is projects, domains or system."""

    def __init__(self, db, kind):
        self.db = db
        self.kind = kind

    def on_get(self, req, resp):
        projects, domains, system = assignments.scoping_targets(self.db,
                                                                req.context.auth.user_id)
        if self.kind == "system":
            resp.media = {"system": [{"all": True}] if system else [],
                          "links": {"self": req.url, "previous": None, "next": None}}
        elif self.kind == "domains":
            resp.media = common.collection(req, "domains",
                                           [domain_view(req, d) for d in domains])
        else:
            resp.media = common.collection(req, "projects",
                                           [project_view(req, p) for p in projects])


class AuthCatalog:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        if not req.context.auth.scoped:
            raise errors.Forbidden("The service catalog needs a scoped token.")
        resp.media = {"catalog": catalog.read_catalog(self.db,
                                                      req.context.auth.project_id),
                      "links": {"self": req.url, "previous": None, "next": None}}
