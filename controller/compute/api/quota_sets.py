"""``/os-quota-sets/{project_id}``: a project's compute limits — shown to its members,
set and reset by admins (``openstack quota show / set``)."""
import falcon

from controller import policy
from controller.compute import quota
from controller.compute.api import common
from controller.compute.operations import quotas as quota_ops

_LIMIT = {"type": ["integer", "string"], "pattern": r"^-?[0-9]+$", "minimum": -1,
          "maximum": common.MAX_INT}


def resources_at(microversion):
    """The limits the API shows and takes at ``microversion``, as Nova: nova-network's
    until 2.35, personality files' until 2.56."""
    shown = list(quota.RESOURCES)
    if microversion < (2, 57):
        shown += quota.LEGACY_FILES
    if microversion < (2, 36):
        shown += quota.LEGACY_NETWORK
    return shown


def update_schema(wrapper, resources, force=False):
    """The body of an update of ``resources`` under key ``wrapper``."""
    properties = {resource: _LIMIT for resource in resources}
    if force:
        properties["force"] = common.BOOLEAN
    return {"type": "object",
            "properties": {wrapper: {"type": "object", "properties": properties,
                                     "additionalProperties": False}},
            "required": [wrapper], "additionalProperties": False}


def _view(req, project_id, values):
    """The quota_set body; ``values`` maps each resource to a number or a usage dict."""
    body = {"id": project_id}
    body.update((resource, values[resource]) for resource in resources_at(
        req.context.microversion))
    return {"quota_set": body}


class QuotaSet:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, project_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-quota-sets:show", {"project_id": project_id})
        resp.media = _view(req, project_id, quota_ops.limits(
            self.svc.db, self.svc.conf, project_id, user_id=req.get_param("user_id")))

    def on_put(self, req, resp, project_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-quota-sets:update",
                         {"project_id": project_id})
        resources = resources_at(req.context.microversion)
        spec = common.body(req, update_schema("quota_set", resources, force=True))["quota_set"]
        values = {resource: common.to_int(spec[resource], resource, minimum=-1)
                  for resource in resources if resource in spec}
        force = common.to_bool(spec.get("force", False))
        user_id = req.get_param("user_id")
        if user_id:
            limits = quota_ops.set_user_limits(self.svc.db, self.svc.conf, project_id,
                                               user_id, values, force=force)
        else:
            limits = quota_ops.set_limits(self.svc.db, self.svc.conf, project_id, values,
                                          force=force)
        body = _view(req, project_id, limits)
        del body["quota_set"]["id"]
        resp.media = body

    def on_delete(self, req, resp, project_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-quota-sets:update",
                         {"project_id": project_id})
        quota_ops.reset_limits(self.svc.db, project_id, user_id=req.get_param("user_id"))
        resp.status = falcon.HTTP_202


class QuotaDefaults:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, project_id):
        policy.authorize(req.context.auth, "os_compute_api:os-quota-sets:defaults")
        resp.media = _view(req, project_id, quota_ops.defaults(self.svc.db, self.svc.conf))


class QuotaDetail:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, project_id):
        auth = req.context.auth
        policy.authorize(auth, "os_compute_api:os-quota-sets:show", {"project_id": project_id})
        limits, used = quota_ops.limits_and_usage(self.svc.db, self.svc.conf, project_id,
                                                  user_id=req.get_param("user_id"))
        resp.media = _view(req, project_id, {
            resource: {"limit": limit, "in_use": used.get(resource, 0), "reserved": 0}
            for resource, limit in limits.items()})
