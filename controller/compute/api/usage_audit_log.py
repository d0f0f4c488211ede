"""``/os-instance_usage_audit_log``: how far each compute host got in auditing its
servers' usage over the last completed month (admins).

Like Nova with its default ``instance_usage_audit = False``, no host runs the audit
here (usage is answered from the servers themselves: ``os-simple-tenant-usage``), so
every compute host is reported as not run."""
import datetime

from controller import policy
from controller.api import errors
from controller.compute import usage
from controller.compute.operations import hosts
from controller.db.base import utcnow


def _audit(svc, before):
    begin, end = usage.last_completed_month(before)
    computes = sorted(set(hosts.compute_hosts(svc.db)))
    return {"period_beginning": str(begin), "period_ending": str(end),
            "num_hosts": len(computes), "num_hosts_done": 0, "num_hosts_running": 0,
            "num_hosts_not_run": len(computes), "hosts_not_run": computes,
            "total_instances": 0, "total_errors": 0,
            "overall_status": ("ALL hosts done. 0 errors." if not computes
                               else f"0 of {len(computes)} hosts done. 0 errors."),
            "log": {}}


class AuditLogs:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "os_compute_api:os-instance-usage-audit-log:list")
        resp.media = {"instance_usage_audit_logs": _audit(self.svc, utcnow())}


class AuditLog:
    """``/os-instance_usage_audit_log/{before}``: the month completed before a time
    (``YYYY-MM-DD HH:MM:SS[.ffffff]``)."""

    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, before):
        policy.authorize(req.context.auth, "os_compute_api:os-instance-usage-audit-log:show")
        try:
            moment = datetime.datetime.strptime(
                before, "%Y-%m-%d %H:%M:%S.%f" if "." in before else "%Y-%m-%d %H:%M:%S")
        except ValueError:
            raise errors.BadRequest(f"Invalid timestamp for date {before}") from None
        resp.media = {"instance_usage_audit_log": _audit(self.svc, moment)}
