"""``/os-quota-class-sets/{id}``: quota classes (admins). Only the ``default`` class is
used — its limits are every project's defaults, over ``[quota]`` — as in Nova since
Ocata; other classes are stored and shown."""
from controller import policy
from controller.api import errors
from controller.compute import quota
from controller.compute.api import common
from controller.compute.api.quota_sets import update_schema
from controller.compute.operations import quotas as quota_ops


def resources_at(microversion):
    """A class's limits at ``microversion``, as Nova: server groups' only from 2.50,
    when nova-network's go; personality files' until 2.56."""
    shown = list(quota.RESOURCES)
    if microversion < (2, 50):
        shown = [r for r in shown if r not in ("server_groups", "server_group_members")]
        shown += quota.LEGACY_NETWORK
    if microversion < (2, 57):
        shown += quota.LEGACY_FILES
    return shown


def _accepted_at(microversion):
    """What an update may set: every resource (server groups too) before 2.50."""
    accepted = resources_at(microversion)
    if microversion < (2, 50):
        accepted += ["server_groups", "server_group_members"]
    return accepted


def _view(req, values, class_name=None):
    body = {"id": class_name} if class_name is not None else {}
    body.update((resource, values[resource]) for resource in resources_at(
        req.context.microversion))
    return {"quota_class_set": body}


class QuotaClassSet:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, class_name):
        policy.authorize(req.context.auth, "os_compute_api:os-quota-class-sets:show")
        resp.media = _view(req, quota_ops.class_limits(self.svc.db, self.svc.conf,
                                                       class_name), class_name)

    def on_put(self, req, resp, class_name):
        accepted = _accepted_at(req.context.microversion)
        spec = common.body(req, update_schema("quota_class_set", accepted))
        policy.authorize(req.context.auth, "os_compute_api:os-quota-class-sets:update")
        if not 1 <= len(class_name) <= 255:
            raise errors.BadRequest("quota_class_name has to be between 1 and 255 "
                                    "characters long.")
        values = {resource: common.to_int(value, resource, minimum=-1)
                  for resource, value in spec["quota_class_set"].items()}
        resp.media = _view(req, quota_ops.set_class_limits(self.svc.db, self.svc.conf,
                                                           class_name, values))
