"""``/v2.0/quotas``: per-project limits on networks, subnets, ports, security groups and
rules, routers and floating IPs (Neutron's quotas, quota_details and quota-check-limit
extensions).

A project's reader sees its own quotas, admins anyone's; only admins change them. Only the
resources pocketstack has are listed: it reports no quota it could not enforce.
"""
import falcon

from controller import policy
from controller.api import errors
from controller.network import quotas
from controller.network.api import attributes

MAX_LIMIT = 2**31 - 1  # the column is a 32-bit integer


def limit(name, value):
    """A quota value: an integer from -1 (unlimited) up."""
    value = attributes.integer(name, value)
    if value < quotas.UNLIMITED:
        raise errors.BadRequest(f"Invalid input for {name}. Reason: '{value}' is too small "
                                f"- must be at least '-1'.", "InvalidInput")
    if value > MAX_LIMIT:
        raise errors.BadRequest(f"Invalid input for {name}. Reason: '{value}' is too large "
                                f"- must be no larger than '{MAX_LIMIT}'.", "InvalidInput")
    return value


# ``force`` and ``check_limit`` say whether a limit may go below current usage; the stock
# CLI sends one of them with every ``quota set``.
QUOTA = [attributes.Attribute(resource, resource, limit, post=False)
         for resource in quotas.RESOURCES] + [
    attributes.Attribute("force", "force", attributes.boolean, post=False),
    attributes.Attribute("check_limit", "check_limit", attributes.boolean, post=False),
]


def read_update(req):
    """The PUT body as (limits, whether to check them against usage). Usage is checked
    unless the caller forces the limits (Neutron's quota-check-limit-default)."""
    values = attributes.read_body(req, "quota", QUOTA, "PUT")
    force = values.pop("force", False)
    check_limit = values.pop("check_limit", True)
    return values, check_limit and not force


def _target(project_id):
    return {"project_id": project_id}


class Quotas:
    def __init__(self, runtime):
        self.runtime = runtime

    def on_get(self, req, resp):
        """The projects with limits of their own, of those the caller may see."""
        auth = req.context.auth
        rows = quotas.list_project_limits(self.runtime.db, self.runtime.conf.network)
        resp.media = {"quotas": [
            {**limits, "project_id": project_id, "tenant_id": project_id}
            for project_id, limits in rows.items()
            if policy.allowed(auth, "get_quota", _target(project_id))]}


class Quota:
    def __init__(self, runtime):
        self.runtime = runtime

    def on_get(self, req, resp, project_id):
        policy.authorize(req.context.auth, "get_quota", _target(project_id))
        resp.media = {"quota": quotas.show_limits(self.runtime.db, self.runtime.conf.network,
                                                  project_id)}

    def on_put(self, req, resp, project_id):
        policy.authorize(req.context.auth, "update_quota", _target(project_id))
        limits, check_usage = read_update(req)
        resp.media = {"quota": quotas.update_limits(self.runtime.db, self.runtime.conf.network,
                                                    project_id, limits, check_usage)}

    def on_delete(self, req, resp, project_id):
        policy.authorize(req.context.auth, "delete_quota", _target(project_id))
        quotas.reset_limits(self.runtime.db, project_id)
        resp.status = falcon.HTTP_204


class QuotaDefault:
    def __init__(self, runtime):
        self.runtime = runtime

    def on_get(self, req, resp, project_id):
        policy.authorize(req.context.auth, "get_quota", _target(project_id))
        resp.media = {"quota": quotas.default_limits(self.runtime.conf.network)}


class QuotaDetails:
    def __init__(self, runtime):
        self.runtime = runtime

    def on_get(self, req, resp, project_id):
        """Limit, use and reservations (none: creates count and insert in one
        transaction, so nothing is ever held in reserve)."""
        policy.authorize(req.context.auth, "get_quota", _target(project_id))
        limits, usage = quotas.limits_and_usage(self.runtime.db, self.runtime.conf.network,
                                                project_id)
        resp.media = {"quota": {
            resource: {"limit": limits[resource], "used": usage[resource], "reserved": 0}
            for resource in quotas.RESOURCES}}
