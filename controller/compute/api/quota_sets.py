"""``/os-quota-sets/{project_id}``: a project's compute limits — shown to its members,
set and reset by admins (``openstack quota show / set``)."""
import falcon

from controller import policy
from controller.api import errors
from controller.compute import quota
from controller.compute.api import common
from controller.compute.operations import quotas as quota_ops

UPDATE = {
    "type": "object",
    "properties": {"quota_set": {
        "type": "object",
        "properties": dict(
            {resource: {"type": ["integer", "string"], "pattern": r"^-?[0-9]+$",
                        "minimum": -1, "maximum": common.MAX_INT}
             for resource in quota.RESOURCES},
            force=common.BOOLEAN,
            # Accepted for compatibility; pocketstack has no personality files.
            injected_files={"type": ["integer", "string"]},
            injected_file_content_bytes={"type": ["integer", "string"]},
            injected_file_path_bytes={"type": ["integer", "string"]}),
        "additionalProperties": False}},
    "required": ["quota_set"],
    "additionalProperties": False,
}


def _view(req, project_id, values):
    """The quota_set body; ``values`` maps each resource to a number or a usage dict."""
    body = {"id": project_id, **values}
    if req.context.microversion < (2, 57):
        zero = ({"limit": 0, "in_use": 0, "reserved": 0}
                if isinstance(values["instances"], dict) else 0)
        body.update(injected_files=zero, injected_file_content_bytes=zero,
                    injected_file_path_bytes=zero)
    if req.context.microversion < (2, 36):
        unlimited = ({"limit": -1, "in_use": 0, "reserved": 0}
                     if isinstance(values["instances"], dict) else -1)
        body.update(fixed_ips=unlimited, floating_ips=unlimited, security_groups=unlimited,
                    security_group_rules=unlimited)
    return {"quota_set": body}


class QuotaSet:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, project_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-quota-sets:show", {"project_id": project_id})
        resp.media = _view(req, project_id, quota_ops.limits(self.svc.db, self.svc.conf,
                                                          project_id))

    def on_put(self, req, resp, project_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-quota-sets:update",
                         {"project_id": project_id})
        if req.get_param("user_id"):
            raise errors.BadRequest("Per-user quotas are not supported.")
        spec = common.body(req, UPDATE)["quota_set"]
        values = {resource: common.to_int(spec[resource], resource, minimum=-1)
                  for resource in quota.RESOURCES if resource in spec}
        limits = quota_ops.set_limits(self.svc.db, self.svc.conf, project_id, values,
                                      force=common.to_bool(spec.get("force", False)))
        body = _view(req, project_id, limits)
        del body["quota_set"]["id"]
        resp.media = body

    def on_delete(self, req, resp, project_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-quota-sets:update",
                         {"project_id": project_id})
        quota_ops.reset_limits(self.svc.db, project_id)
        resp.status = falcon.HTTP_202


class QuotaDefaults:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, project_id):
        policy.authorize(req.context.auth, "os_compute_api:os-quota-sets:defaults")
        resp.media = _view(req, project_id, quota.defaults(self.svc.conf))


class QuotaDetail:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, project_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-quota-sets:show", {"project_id": project_id})
        limits, used = quota_ops.limits_and_usage(self.svc.db, self.svc.conf, project_id)
        resp.media = _view(req, project_id, {
            resource: {"limit": limit, "in_use": used.get(resource, 0), "reserved": 0}
            for resource, limit in limits.items()})
