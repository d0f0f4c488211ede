"""``/v3/roles`` and the inference rules between roles (``/v3/roles/{id}/implies``,
``/v3/role_inferences``); the rules are in ``controller.identity.roles``."""
import falcon

from controller import policy
from controller.identity import models, roles
from controller.identity.api import common


def role_view(req, role):
    return {"id": role.id, "name": role.name, "domain_id": role.domain_id,
            "description": role.description, "options": {},
            "links": common.self_link(req, f"roles/{role.id}")}


def _role_ref(req, role):
    return {"id": role.id, "name": role.name,
            "links": common.self_link(req, f"roles/{role.id}")}


def _changes(data):
    changes = {}
    if "name" in data:
        changes["name"] = common.string(data, "name", "role")
    if "description" in data:
        changes["description"] = common.text(data, "description", "role")
    if "domain_id" in data:
        changes["domain_id"] = data["domain_id"]
    return changes


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
        changes = _changes(data)
        role = roles.create_role(self.db, changes["name"], changes.get("description"),
                                 changes.get("domain_id"))
        resp.status = falcon.HTTP_201
        resp.media = {"role": role_view(req, role)}


class Role(common.Record):
    kind, model = "role", models.Role
    view = staticmethod(role_view)
    delete = staticmethod(roles.delete_role)

    def on_patch(self, req, resp, role_id):
        policy.authorize(req.context.auth, "identity:update_role")
        data = common.read_json(req, "role")
        common.check_fields(data, ("name", "description", "domain_id"), where="role")
        resp.media = {"role": role_view(req, roles.update_role(self.db, role_id,
                                                               _changes(data)))}


class ImpliedRole:
    """One inference rule: ``role_id`` implies ``implied_role_id``."""

    def __init__(self, db):
        self.db = db

    def _view(self, req, prior, implied):
        return {"role_inference": {"prior_role": _role_ref(req, prior),
                                   "implies": _role_ref(req, implied)},
                "links": common.self_link(req, f"roles/{prior.id}/implies/{implied.id}")}

    def on_put(self, req, resp, role_id, implied_role_id):
        policy.authorize(req.context.auth, "identity:create_implied_role")
        prior, implied = roles.create_rule(self.db, role_id, implied_role_id)
        resp.status = falcon.HTTP_201
        resp.media = self._view(req, prior, implied)

    def on_get(self, req, resp, role_id, implied_role_id):
        policy.authorize(req.context.auth, "identity:get_implied_role")
        resp.media = self._view(req, *roles.show_rule(self.db, role_id,
                                                      implied_role_id))

    def on_head(self, req, resp, role_id, implied_role_id):
        policy.authorize(req.context.auth, "identity:check_implied_role")
        roles.show_rule(self.db, role_id, implied_role_id)
        resp.status = falcon.HTTP_204

    def on_delete(self, req, resp, role_id, implied_role_id):
        policy.authorize(req.context.auth, "identity:delete_implied_role")
        roles.delete_rule(self.db, role_id, implied_role_id)
        resp.status = falcon.HTTP_204


def _inference(req, prior, implied):
    return {"prior_role": _role_ref(req, prior),
            "implies": [_role_ref(req, role) for role in implied]}


class ImpliedRoles:
    """The rules of one prior role."""

    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, role_id):
        policy.authorize(req.context.auth, "identity:list_implied_roles")
        [(prior, implied)] = roles.list_rules(self.db, role_id)
        resp.media = {"role_inference": _inference(req, prior, implied),
                      "links": common.self_link(req, f"roles/{role_id}/implies")}

    on_head = on_get


class RoleInferences:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_role_inference_rules")
        resp.media = {"role_inferences": [_inference(req, prior, implied) for prior, implied
                                          in roles.list_rules(self.db)],
                      "links": common.self_link(req, "role_inferences")}

    on_head = on_get
