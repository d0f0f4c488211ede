"""``/v3/users``: users, their passwords and the projects they belong to.

Changing a password, disabling or deleting a user revokes every token the user holds.
Passwords are hashed before the database transaction opens: hashing is deliberately slow.
"""
import falcon
from sqlalchemy import select

from controller import policy
from controller.api import errors
from controller.identity import assignments, models
from controller.identity.api import common
from controller.identity.api.projects import project_view

FIELDS = ("name", "domain_id", "password", "enabled", "default_project_id", "email",
          "description")
MAX_PASSWORD = 4096


def user_view(req, user):
    view = {"id": user.id, "name": user.name, "domain_id": user.domain_id,
            "enabled": user.enabled, "password_expires_at": None, "options": {},
            "links": common.self_link(req, f"users/{user.id}")}
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


def _duplicate_check(session, name, domain_id, exclude_id=None):
    statement = select(models.User.id).where(models.User.name == name,
                                             models.User.domain_id == domain_id)
    if exclude_id is not None:
        statement = statement.where(models.User.id != exclude_id)
    common.conflict_on_duplicate(session, "user", f"{name} in domain {domain_id}", statement)


def _default_project(session, data):
    project_id = data.get("default_project_id")
    if project_id is not None and session.get(models.Project, project_id) is None:
        raise errors.BadRequest(f"Could not find default project: {project_id}.")
    return project_id


class Users:
    def __init__(self, db, token_service):
        self.db = db
        self.tokens = token_service

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_users")
        statement = common.apply_filters(req, select(models.User), models.User,
                                         ("name", "domain_id", "enabled"))
        with self.db.session() as session:
            users = session.scalars(statement.order_by(models.User.name)).all()
            resp.media = common.collection(req, "users", [user_view(req, u) for u in users])

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "identity:create_user")
        data = common.read_json(req, "user")
        common.check_fields(data, FIELDS, ("name",), "user")
        name = common.string(data, "name", "user")
        domain_id = data.get("domain_id") or models.DEFAULT_DOMAIN_ID
        password = _password(data)
        user = models.User(
            name=name, domain_id=domain_id,
            password_hash=self.tokens.hasher.hash(password) if password is not None else None,
            enabled=common.boolean(data, "enabled", "user") if "enabled" in data else True,
            email=common.text(data, "email", "user", 255),
            description=common.text(data, "description", "user"))
        with self.db.session() as session:
            common.domain_or_400(session, domain_id)
            user.default_project_id = _default_project(session, data)
            _duplicate_check(session, name, domain_id)
            session.add(user)
            common.flush(session, "user")
            resp.status = falcon.HTTP_201
            resp.media = {"user": user_view(req, user)}


class User:
    def __init__(self, db, token_service):
        self.db = db
        self.tokens = token_service

    def on_get(self, req, resp, user_id):
        policy.authorize(req.context.auth, "identity:get_user", {"user_id": user_id})
        with self.db.session() as session:
            user = common.get_or_404(session, models.User, user_id, "user")
            resp.media = {"user": user_view(req, user)}

    def on_patch(self, req, resp, user_id):
        policy.authorize(req.context.auth, "identity:update_user")
        data = common.read_json(req, "user")
        common.check_fields(data, FIELDS, where="user")
        password = _password(data)
        password_hash = self.tokens.hasher.hash(password) if password is not None else None
        revoke = False
        with self.db.session() as session:
            user = common.get_or_404(session, models.User, user_id, "user")
            if data.get("domain_id", user.domain_id) != user.domain_id:
                raise errors.BadRequest("A user cannot move to another domain.")
            if "name" in data:
                user.name = common.string(data, "name", "user")
                _duplicate_check(session, user.name, user.domain_id, user.id)
            if "password" in data:
                user.password_hash = password_hash
                revoke = True
            if "enabled" in data:
                enabled = common.boolean(data, "enabled", "user")
                revoke = revoke or (user.enabled and not enabled)
                user.enabled = enabled
            if "default_project_id" in data:
                user.default_project_id = _default_project(session, data)
            for optional in ("email", "description"):
                if optional in data:
                    setattr(user, optional, common.text(data, optional, "user"))
            common.flush(session, "user")
            resp.media = {"user": user_view(req, user)}
        if revoke:
            self.tokens.revoke_user(user_id)

    def on_delete(self, req, resp, user_id):
        policy.authorize(req.context.auth, "identity:delete_user")
        with self.db.session() as session:
            session.delete(common.get_or_404(session, models.User, user_id, "user"))
        self.tokens.revoke_user(user_id)
        resp.status = falcon.HTTP_204


class UserPassword:
    """A user changes their own password by giving the current one."""

    def __init__(self, db, token_service):
        self.db = db
        self.tokens = token_service

    def on_post(self, req, resp, user_id):
        policy.authorize(req.context.auth, "identity:change_password", {"user_id": user_id})
        data = common.read_json(req, "user")
        common.check_fields(data, ("password", "original_password"),
                            ("password", "original_password"), "user")
        original, new = _password(data, "original_password"), _password(data)
        if original is None or new is None:
            raise errors.BadRequest("Expecting password and original_password strings.")
        with self.db.session() as session:
            current_hash = common.get_or_404(session, models.User, user_id,
                                             "user").password_hash
        if not self.tokens.hasher.verify(current_hash, original):
            raise errors.Unauthorized("The original password is wrong.")
        new_hash = self.tokens.hasher.hash(new)
        with self.db.session() as session:
            user = common.get_or_404(session, models.User, user_id, "user")
            # Hashing ran outside the transaction: refuse if another change won meanwhile.
            if user.password_hash != current_hash:
                raise errors.Unauthorized("The original password is wrong.")
            user.password_hash = new_hash
        self.tokens.revoke_user(user_id)
        resp.status = falcon.HTTP_204


class UserProjects:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, user_id):
        policy.authorize(req.context.auth, "identity:list_user_projects", {"user_id": user_id})
        with self.db.session() as session:
            common.get_or_404(session, models.User, user_id, "user")
            projects = assignments.projects_of_user(session, user_id)
            resp.media = common.collection(req, "projects",
                                           [project_view(req, p) for p in projects])
