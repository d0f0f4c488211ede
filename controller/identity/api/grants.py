"""Role grants on projects, domains and the system, to users and groups
(``/v3/{projects|domains}/{id}/{users|groups}/{id}/roles[/{role_id}]``,
``/v3/system/{users|groups}/{id}/roles[/{role_id}]``), and ``/v3/role_assignments``.
The rules are in ``controller.identity.grants``."""
import falcon

from controller import policy
from controller.api import errors
from controller.identity import grants, models
from controller.identity.api import common
from controller.identity.api.roles import role_view

PLURAL = {"project": "projects", "domain": "domains", "user": "users", "group": "groups"}


INHERITED = "/inherited_to_projects"


def grant_routes():
    """(collection path, member path, target type, actor type, inherited) of every grant
    collection, OS-INHERIT's among them."""
    for target in ("project", "domain", "system"):
        prefix = ("/v3/system" if target == "system"
                  else f"/v3/{PLURAL[target]}/{{{target}_id}}")
        for actor in ("user", "group"):
            path = f"{prefix}/{PLURAL[actor]}/{{{actor}_id}}/roles"
            yield path, path + "/{role_id}", target, actor, False
            if target != "system":
                path = "/v3/OS-INHERIT" + path[3:]
                yield path + INHERITED, path + "/{role_id}" + INHERITED, target, actor, True


def _path(grant, role_id):
    target = ("system" if grant.target_type == "system"
              else f"{PLURAL[grant.target_type]}/{grant.target_id}")
    path = f"{target}/{PLURAL[grant.actor_type]}/{grant.actor_id}/roles/{role_id}"
    return f"v3/OS-INHERIT/{path}{INHERITED}" if grant.inherited else f"v3/{path}"


class _GrantResource:
    def __init__(self, db, token_service, target_type, actor_type, inherited=False):
        self.db = db
        self.tokens = token_service
        self.target_type = target_type
        self.actor_type = actor_type
        self.inherited = inherited

    def _grant(self, ids):
        """The Grant the path's IDs (``project_id``/``domain_id``, ``user_id``/``group_id``)
        name."""
        return grants.Grant(self.target_type,
                            ids.get(f"{self.target_type}_id", models.SYSTEM_ID),
                            self.actor_type, ids[f"{self.actor_type}_id"], self.inherited)

    def _authorize(self, req, verb, grant):
        """Keystone's rule names: ``identity:list_grants``, ``identity:create_grant``…,
        and ``identity:list_system_grants_for_user``… for the system."""
        plural = "s" if verb == "list" else ""
        if grant.target_type == "system":
            action = f"identity:{verb}_system_grant{plural}_for_{grant.actor_type}"
        else:
            action = f"identity:{verb}_grant{plural}"
        target = {"domain_id": grant.target_id} if grant.target_type == "domain" else {}
        policy.authorize(req.context.auth, action, target)


class Grants(_GrantResource):
    """The roles an actor holds directly on a target."""

    def on_get(self, req, resp, **ids):
        grant = self._grant(ids)
        self._authorize(req, "list", grant)
        rows = grants.list_roles(self.db, grant)
        resp.media = common.collection(req, "roles", [role_view(req, r) for r in rows])


class Grant(_GrantResource):
    def on_head(self, req, resp, role_id, **ids):
        grant = self._grant(ids)
        self._authorize(req, "check", grant)
        grants.check(self.db, grant, role_id)
        resp.status = falcon.HTTP_204

    on_get = on_head

    def on_put(self, req, resp, role_id, **ids):
        grant = self._grant(ids)
        self._authorize(req, "create", grant)
        grants.create(self.db, grant, role_id)
        resp.status = falcon.HTTP_204

    def on_delete(self, req, resp, role_id, **ids):
        grant = self._grant(ids)
        self._authorize(req, "revoke", grant)
        grants.revoke(self.db, self.tokens, grant, role_id)
        resp.status = falcon.HTTP_204


FILTERS = {"user.id": "user_id", "group.id": "group_id", "role.id": "role_id",
           "scope.project.id": "project_id", "scope.domain.id": "domain_id",
           "scope.system": "system"}


class RoleAssignments:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        filters = {key: req.get_param(name) for name, key in FILTERS.items()}
        policy.authorize(req.context.auth, "identity:list_role_assignments",
                         {"user_id": filters["user_id"]} if filters["user_id"] else {})
        effective = common.query_flag(req, "effective")
        if effective and filters["group_id"]:
            raise errors.BadRequest("Combining effective and group filter will always "
                                    "result in an empty list.")
        if filters["project_id"] and filters["domain_id"]:
            raise errors.BadRequest("Specify a domain or project, not both.")
        if filters["system"] not in (None, models.SYSTEM_ID):
            raise errors.BadRequest("scope.system must be 'all'.")
        inherited_to = req.get_param("scope.OS-INHERIT:inherited_to")
        if inherited_to not in (None, "projects"):
            raise errors.BadRequest("scope.OS-INHERIT:inherited_to must be 'projects'.")
        rows, names = grants.list_assignments(
            self.db, filters, effective=effective,
            include_names=common.query_flag(req, "include_names"),
            inherited_only=inherited_to is not None)
        resp.media = common.collection(req, "role_assignments",
                                       [self._view(req, row, names) for row in rows])

    @staticmethod
    def _view(req, row, names):
        grant = row.grant
        base = common.identity_url(req)
        actor = {"id": grant.actor_id}
        if grant.target_type == "system":
            scope = {"system": {"all": True}}
        else:
            scope = {grant.target_type: {"id": grant.target_id}}
        if grant.inherited:
            scope["OS-INHERIT:inherited_to"] = "projects"
        role = {"id": row.role_id}
        if row.source:
            source = row.source
        elif row.via_group:
            source = grants.Grant(grant.target_type, grant.target_id, "group", row.via_group)
        else:
            source = grant
        links = {"assignment": f"{base}/{_path(source, row.prior_role_id or row.role_id)}"}
        if row.via_group:
            links["membership"] = f"{base}/v3/groups/{row.via_group}/users/{grant.actor_id}"
        if row.prior_role_id:
            links["prior_role"] = f"{base}/v3/roles/{row.prior_role_id}"
        if names is not None:
            actor.update(names.owned(grant.actor_id))
            if grant.target_type == "project":
                scope["project"].update(names.owned(grant.target_id))
            elif grant.target_type == "domain":
                scope["domain"].update(names.domain(grant.target_id))
            role.update(names.role(row.role_id))
        return {grant.actor_type: actor, "scope": scope, "role": role, "links": links}
