"""``/v3/roles``, grants of roles to users on projects, and ``/v3/role_assignments``
(the rules, token revocation among them, are in ``controller.identity.roles``)."""
import falcon

from controller import policy
from controller.api import errors
from controller.identity import models, records, roles
from controller.identity.api import common

# Assignment filters of kinds that pocketstack has none of (groups, domain and system
# scope, inheritance): asking for them matches nothing.
UNSUPPORTED_FILTERS = ("group.id", "scope.domain.id", "scope.system",
                       "scope.OS-INHERIT:inherited_to")


def role_view(req, role):
    return {"id": role.id, "name": role.name, "domain_id": None,
            "description": role.description, "options": {},
            "links": common.self_link(req, f"roles/{role.id}")}


class Roles:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_roles")
        rows = roles.list_roles(self.db, common.filters(req, ("name",)),
                                req.get_param("domain_id"))
        resp.media = common.collection(req, "roles", [role_view(req, r) for r in rows])

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "identity:create_role")
        data = common.read_json(req, "role")
        common.check_fields(data, ("name", "description", "domain_id"), ("name",), "role")
        if data.get("domain_id") is not None:
            raise errors.BadRequest("Domain-specific roles are not supported.")
        role = roles.create_role(self.db, common.string(data, "name", "role"),
                                 common.text(data, "description", "role"))
        resp.status = falcon.HTTP_201
        resp.media = {"role": role_view(req, role)}


class Role:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, role_id):
        policy.authorize(req.context.auth, "identity:get_role")
        resp.media = {"role": role_view(req, records.show(self.db, models.Role, role_id,
                                                          "role"))}

    def on_delete(self, req, resp, role_id):
        policy.authorize(req.context.auth, "identity:delete_role")
        roles.delete_role(self.db, role_id)
        resp.status = falcon.HTTP_204


class Grants:
    """The roles a user holds directly on a project."""

    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, project_id, user_id):
        policy.authorize(req.context.auth, "identity:list_grants")
        rows = roles.list_grants(self.db, project_id, user_id)
        resp.media = common.collection(req, "roles", [role_view(req, r) for r in rows])


class Grant:
    def __init__(self, db, token_service):
        self.db = db
        self.tokens = token_service

    def on_head(self, req, resp, project_id, user_id, role_id):
        policy.authorize(req.context.auth, "identity:check_grant")
        roles.check_grant(self.db, project_id, user_id, role_id)
        resp.status = falcon.HTTP_204

    on_get = on_head

    def on_put(self, req, resp, project_id, user_id, role_id):
        policy.authorize(req.context.auth, "identity:create_grant")
        roles.create_grant(self.db, project_id, user_id, role_id)
        resp.status = falcon.HTTP_204

    def on_delete(self, req, resp, project_id, user_id, role_id):
        policy.authorize(req.context.auth, "identity:revoke_grant")
        roles.revoke_grant(self.db, self.tokens, project_id, user_id, role_id)
        resp.status = falcon.HTTP_204


class RoleAssignments:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        user_id = req.get_param("user.id")
        policy.authorize(req.context.auth, "identity:list_role_assignments",
                         {"user_id": user_id} if user_id else {})
        if any(req.get_param(name) for name in UNSUPPORTED_FILTERS):
            resp.media = common.collection(req, "role_assignments", [])
            return
        rows, names = roles.list_assignments(
            self.db, user_id=user_id, project_id=req.get_param("scope.project.id"),
            role_id=req.get_param("role.id"),
            effective=common.query_flag(req, "effective"),
            include_names=common.query_flag(req, "include_names"))
        resp.media = common.collection(req, "role_assignments",
                                       [self._view(req, row, names) for row in rows])

    @staticmethod
    def _view(req, row, names):
        user_id, project_id, role_id = row
        view = {"user": {"id": user_id}, "scope": {"project": {"id": project_id}},
                "role": {"id": role_id},
                "links": {"assignment": f"{common.identity_url(req)}/v3/projects/"
                                        f"{project_id}/users/{user_id}/roles/{role_id}"}}
        if names is not None:
            view["user"].update(names.user(user_id))
            view["scope"]["project"].update(names.project(project_id))
            view["role"]["name"] = names.role(role_id)
        return view
