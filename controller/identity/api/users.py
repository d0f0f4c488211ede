"""``/v3/users``: users, their passwords and the projects they belong to (the rules,
token revocation among them, are in ``controller.identity.users``)."""
import falcon

from controller import policy
from controller.api import errors
from controller.identity import assignments, models, records, users
from controller.identity.api import common
from controller.identity.api.projects import project_view

FIELDS = ("name", "domain_id", "password", "enabled", "default_project_id", "email",
          "description")
MAX_PASSWORD = 4096


def user_view(req, user):
    view = common.with_extra({"id": user.id, "name": user.name, "domain_id": user.domain_id,
            "enabled": user.enabled, "password_expires_at": None, "options": {},
            "links": common.self_link(req, f"users/{user.id}")}, user)
    for optional in ("default_project_id", "email", "description"):
        if getattr(user, optional) is not None:
            view[optional] = getattr(user, optional)
    return view


def _password(data, key="password", where="user"):
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or len(value) > MAX_PASSWORD):
        raise errors.BadRequest(f"Invalid input for field '{key}' in {where}: expecting "
                                f"a string of at most {MAX_PASSWORD} characters.")
    return value


class Users:
    def __init__(self, db, token_service):
        self.db = db
        self.tokens = token_service

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_users")
        rows = records.list_rows(self.db, models.User,
                                 common.filters(req, ("name", "domain_id", "enabled")),
                                 models.User.name)
        resp.media = common.collection(req, "users", [user_view(req, u) for u in rows])

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "identity:create_user")
        data = common.read_json(req, "user")
        extra = common.extra_attributes(data, FIELDS, "user")
        common.check_fields(data, FIELDS + tuple(extra), ("name",), "user")
        name = common.string(data, "name", "user")
        domain_id = data.get("domain_id") or models.DEFAULT_DOMAIN_ID
        user = users.create_user(
            self.db, self.tokens, name, domain_id, _password(data),
            default_project_id=data.get("default_project_id"),
            enabled=common.boolean(data, "enabled", "user") if "enabled" in data else True,
            email=common.text(data, "email", "user", 255),
            description=common.text(data, "description", "user"), extra=extra)
        resp.status = falcon.HTTP_201
        resp.media = {"user": user_view(req, user)}


class User:
    def __init__(self, db, token_service):
        self.db = db
        self.tokens = token_service

    def on_get(self, req, resp, user_id):
        policy.authorize(req.context.auth, "identity:get_user", {"user_id": user_id})
        user = records.show(self.db, models.User, user_id, "user")
        resp.media = {"user": user_view(req, user)}

    def on_patch(self, req, resp, user_id):
        policy.authorize(req.context.auth, "identity:update_user")
        data = common.read_json(req, "user")
        extra = common.extra_attributes(data, FIELDS, "user", user_id)
        common.check_fields(data, FIELDS + tuple(extra) + ("id",), where="user")
        changes = {key: data[key] for key in ("domain_id", "default_project_id")
                   if key in data}
        if extra:
            changes["extra"] = extra
        if "password" in data:
            changes["password"] = _password(data)
        if "name" in data:
            changes["name"] = common.string(data, "name", "user")
        if "enabled" in data:
            changes["enabled"] = common.boolean(data, "enabled", "user")
        for optional in ("email", "description"):
            if optional in data:
                changes[optional] = common.text(data, optional, "user")
        user = users.update_user(self.db, self.tokens, user_id, changes)
        resp.media = {"user": user_view(req, user)}

    def on_delete(self, req, resp, user_id):
        policy.authorize(req.context.auth, "identity:delete_user")
        users.delete_user(self.db, self.tokens, user_id)
        resp.status = falcon.HTTP_204


class UserPassword:
    """Anyone who knows a user's current password may change it, as in Keystone: the
    original password authenticates the request, so it needs no token."""

    public_methods = {"POST"}

    def __init__(self, db, token_service):
        self.db = db
        self.tokens = token_service

    def on_post(self, req, resp, user_id):
        data = common.read_json(req, "user")
        common.check_fields(data, ("password", "original_password"),
                            ("password", "original_password"), "user")
        original, new = _password(data, "original_password"), _password(data)
        if original is None or new is None:
            raise errors.BadRequest("Expecting password and original_password strings.")
        users.change_password(self.db, self.tokens, user_id, original, new)
        resp.status = falcon.HTTP_204


class UserProjects:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, user_id):
        policy.authorize(req.context.auth, "identity:list_user_projects", {"user_id": user_id})
        projects = assignments.user_projects(self.db, user_id)
        resp.media = common.collection(req, "projects",
                                       [project_view(req, p) for p in projects])
