"""``/os-simple-tenant-usage``: what projects' servers used between ``start`` and ``end``
(admins see every project, a project's readers their own); pages of servers since 2.40."""
import datetime

from controller import policy
from controller.api import errors
from controller.compute import usage
from controller.compute.api import common
from controller.compute.operations import usage as usage_ops
from controller.db.base import utcnow


def _time(value, now):
    """A naive UTC datetime from an ISO 8601 parameter; missing means now (Nova)."""
    if not value:
        return now
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise errors.BadRequest(f"Invalid datetime string: {value!r} is not in ISO 8601 "
                                f"format") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return moment


def _window(req, now):
    start = _time(req.get_param("start"), now)
    stop = _time(req.get_param("end"), now)
    if start > stop:
        raise errors.BadRequest("Invalid start time. The start time cannot occur after "
                                "the end time.")
    # Nothing has been used in the future: a report ends now at the latest.
    return start, min(stop, now)


class _Report:
    def __init__(self, svc):
        self.svc = svc

    def report(self, req, project_id, detailed, path):
        """The usages of one project (or all), and the link to the next page if any."""
        now = utcnow()
        start, stop = _window(req, now)
        limit = marker = None
        if req.context.microversion >= (2, 40):
            limit, marker = common.page_params(req, self.svc.conf.compute.max_limit)
        rows = usage_ops.servers_in_window(self.svc.db, start, stop, project_id, limit,
                                           marker)
        more = limit and common.next_link(req, path, rows, limit, lambda row: row.uuid)
        return usage.project_usages(rows, start, stop, now, detailed), more


class Usages(_Report):
    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "os_compute_api:os-simple-tenant-usage:list")
        detailed = common.to_bool(req.get_param("detailed") or False)
        usages, more = self.report(req, None, detailed, "/os-simple-tenant-usage")
        resp.media = {"tenant_usages": usages}
        if more:
            resp.media["tenant_usages_links"] = more


class ProjectUsage(_Report):
    def on_get(self, req, resp, project_id):
        policy.authorize(req.context.auth, "os_compute_api:os-simple-tenant-usage:show",
                         {"project_id": project_id})
        usages, more = self.report(req, project_id, True,
                                   f"/os-simple-tenant-usage/{project_id}")
        resp.media = {"tenant_usage": usages[0] if usages else {}}
        if more:
            resp.media["tenant_usage_links"] = more
