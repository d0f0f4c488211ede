"""``/os-server-groups``: groups whose servers the scheduler keeps on one host (affinity)
or on different hosts (anti-affinity), named at create time with the ``group`` hint."""
import falcon

from controller import policy
from controller.api import errors
from controller.compute.api import common
from controller.compute.operations import server_groups

CREATE = {
    "type": "object",
    "properties": {"server_group": {
        "type": "object",
        "properties": {
            "name": common.NAME,
            "policy": {"type": "string", "enum": list(server_groups.GROUP_POLICIES)},
            "policies": {"type": "array", "minItems": 1, "maxItems": 1,
                         "items": {"type": "string",
                                   "enum": list(server_groups.GROUP_POLICIES)}},
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
        project_id = auth.project_id
        if common.to_bool(req.get_param("all_projects") or False):
            policy.authorize(auth, "os_compute_api:os-server-groups:index:all_projects")
            project_id = None
        found = server_groups.list_groups(self.svc.db, project_id)
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
        group = server_groups.create(self.svc.db, self.svc.conf, auth, spec["name"],
                                     group_policy, spec.get("rules", {}))
        resp.media = {"server_group": view(req, group)}


class ServerGroup:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, group_id):
        auth = req.context.auth
        group = server_groups.get(self.svc.db, auth, group_id, common.authorizer(
            auth, "os_compute_api:os-server-groups:show"))
        resp.media = {"server_group": view(req, group)}

    def on_delete(self, req, resp, group_id):
        auth = req.context.auth
        server_groups.delete(self.svc.db, auth, group_id, common.authorizer(
            auth, "os_compute_api:os-server-groups:delete"))
        resp.status = falcon.HTTP_204
