"""``/v3/users/{user_id}/application_credentials``: a user's application credentials
(the rules are in ``controller.identity.app_credentials``)."""
import datetime

import falcon

from controller import policy
from controller.api import errors
from controller.identity import app_credentials
from controller.identity.api import common

FIELDS = ("name", "description", "secret", "expires_at", "roles", "unrestricted",
          "access_rules")


def app_credential_view(req, credential, role_names, secret=None):
    view = {"id": credential.id, "name": credential.name, "user_id": credential.user_id,
            "project_id": credential.project_id, "description": credential.description,
            "expires_at": (credential.expires_at.isoformat()
                           if credential.expires_at else None),
            "unrestricted": credential.unrestricted, "system": None, "access_rules": [],
            "roles": [{"id": role_id, "name": role_names.get(role_id)}
                      for role_id in credential.role_ids],
            "links": common.self_link(req, f"users/{credential.user_id}/"
                                           f"application_credentials/{credential.id}")}
    if secret is not None:
        view["secret"] = secret
    return view


def _expires_at(value):
    if value is None:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise errors.BadRequest("Invalid input for field 'expires_at' in "
                                "application_credential: expecting an ISO 8601 time.") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return parsed


def _role_refs(value):
    """The requested roles, each {"id"} or {"name"}; None when absent."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(
            isinstance(r, dict) and (isinstance(r.get("id"), str)
                                     or isinstance(r.get("name"), str)) for r in value):
        raise errors.BadRequest("Invalid input for field 'roles' in application_credential: "
                                'expecting a list of {"id": ...} or {"name": ...}.')
    return value


class ApplicationCredentials:
    def __init__(self, db, token_service):
        self.db = db
        self.tokens = token_service

    def on_get(self, req, resp, user_id):
        policy.authorize(req.context.auth, "identity:list_application_credentials",
                         {"user_id": user_id})
        rows = app_credentials.list_credentials(self.db, user_id, req.get_param("name"))
        names = app_credentials.role_names(self.db)
        resp.media = common.collection(req, "application_credentials",
                                       [app_credential_view(req, c, names) for c in rows])

    def on_post(self, req, resp, user_id):
        auth = req.context.auth
        policy.authorize(auth, "identity:create_application_credential",
                         {"user_id": user_id})
        if auth.project_id is None:
            raise errors.Forbidden("An application credential is made with a token scoped "
                                   "to its project.")
        caller = self.tokens.validate(auth.token)
        if caller.app_credential is not None and not caller.app_credential.unrestricted:
            raise errors.Forbidden("A restricted application credential cannot make "
                                   "application credentials.")
        data = common.read_json(req, "application_credential")
        common.check_fields(data, FIELDS, ("name",), "application_credential")
        if data.get("access_rules"):
            raise errors.BadRequest("Access rules of application credentials are not "
                                    "supported.")
        fields = {"description": common.text(data, "description", "application_credential"),
                  "expires_at": _expires_at(data.get("expires_at")),
                  "unrestricted": (common.boolean(data, "unrestricted",
                                                  "application_credential")
                                   if data.get("unrestricted") is not None else False)}
        credential, secret = app_credentials.create(
            self.db, self.tokens.hasher, user_id, auth.project_id,
            common.string(data, "name", "application_credential"), fields,
            _role_refs(data.get("roles")),
            common.text(data, "secret", "application_credential", 255))
        resp.status = falcon.HTTP_201
        resp.media = {"application_credential": app_credential_view(
            req, credential, app_credentials.role_names(self.db), secret)}


class ApplicationCredential:
    def __init__(self, db, token_service):
        self.db = db
        self.tokens = token_service

    def on_get(self, req, resp, user_id, credential_id):
        policy.authorize(req.context.auth, "identity:get_application_credential",
                         {"user_id": user_id})
        credential = app_credentials.show(self.db, user_id, credential_id)
        resp.media = {"application_credential": app_credential_view(
            req, credential, app_credentials.role_names(self.db))}

    def on_delete(self, req, resp, user_id, credential_id):
        policy.authorize(req.context.auth, "identity:delete_application_credential",
                         {"user_id": user_id})
        app_credentials.delete(self.db, user_id, credential_id)
        resp.status = falcon.HTTP_204
