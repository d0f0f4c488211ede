"""``/os-server-groups``: groups whose servers the scheduler keeps on one host (affinity)
or on different hosts (anti-affinity), named at create time with the ``group`` hint."""
import falcon
from sqlalchemy import func, select

from controller import policy
from controller.api import errors
from controller.compute import models, operations, quota
from controller.compute.api import common

CREATE = {
    "type": "object",
    "properties": {"server_group": {
        "type": "object",
        "properties": {
            "name": common.NAME,
            "policy": {"type": "string", "enum": list(operations.GROUP_POLICIES)},
            "policies": {"type": "array", "minItems": 1, "maxItems": 1,
                         "items": {"type": "string",
                                   "enum": list(operations.GROUP_POLICIES)}},
            "rules": {"type": "object", "additionalProperties": False},
        },
        "required": ["name"],
        "additionalProperties": False}},
    "required": ["server_group"],
    "additionalProperties": False,
}


def view(req, group):
    body = {"id": group.uuid, "name": group.name,
            "members": [member.instance_uuid for member in group.members]}
    if req.context.microversion >= (2, 64):
        body.update(policy=group.policy, rules=group.rules)
    else:
        body.update(policies=[group.policy], metadata={})
    if req.context.microversion >= (2, 13):
        body.update(project_id=group.project_id, user_id=group.user_id)
    return body


class ServerGroups:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-server-groups:index")
        query = select(models.ServerGroup).order_by(models.ServerGroup.created_at)
        if common.to_bool(req.get_param("all_projects") or False):
            policy.authorize(auth, "os_compute_api:os-server-groups:index:all_projects")
        else:
            query = query.where(models.ServerGroup.project_id == auth.project_id)
        with self.svc.db.session() as session:
            found = list(session.scalars(query))
        limit, marker = common.page_params(req, self.svc.conf.compute.max_limit)
        page = common.paginate(found, limit, marker, lambda g: g.uuid)
        resp.media = {"server_groups": [view(req, g) for g in page]}

    def on_post(self, req, resp):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-server-groups:create")
        spec = common.body(req, CREATE)["server_group"]
        if req.context.microversion >= (2, 64):
            if "policies" in spec or "policy" not in spec:
                raise errors.BadRequest("Invalid input for field/attribute server_group: "
                                        "'policy' is required (and 'policies' is not "
                                        "allowed) from microversion 2.64.")
            group_policy = spec["policy"]
        else:
            if "policies" not in spec or "policy" in spec or "rules" in spec:
                raise errors.BadRequest("Invalid input for field/attribute server_group: "
                                        "'policies' is required before microversion 2.64.")
            group_policy = spec["policies"][0]
        with self.svc.db.session() as session:
            limit = quota.limits(session, self.svc.conf, auth.project_id)["server_groups"]
            used = session.scalar(select(func.count(models.ServerGroup.uuid)).where(
                models.ServerGroup.project_id == auth.project_id))
            quota.check({"server_groups": limit}, {"server_groups": used},
                        {"server_groups": 1})
            group = models.ServerGroup(name=spec["name"], project_id=auth.project_id,
                                       user_id=auth.user_id, policy=group_policy,
                                       rules=spec.get("rules", {}), members=[])
            session.add(group)
        resp.media = {"server_group": view(req, group)}


class ServerGroup:
    def __init__(self, svc):
        self.svc = svc

    def _find(self, session, auth, group_id, action):
        group = session.get(models.ServerGroup, group_id)
        if group is None or (group.project_id != auth.project_id and not auth.is_admin):
            raise errors.NotFound(f"Instance group {group_id} could not be found.")
        policy.authorize(auth, action, {"project_id": group.project_id})
        return group

    def on_get(self, req, resp, group_id):
        with self.svc.db.session() as session:
            group = self._find(session, req.context.auth, group_id,
                               "os_compute_api:os-server-groups:show")
            resp.media = {"server_group": view(req, group)}

    def on_delete(self, req, resp, group_id):
        with self.svc.db.session() as session:
            session.delete(self._find(session, req.context.auth, group_id,
                                      "os_compute_api:os-server-groups:delete"))
        resp.status = falcon.HTTP_204
