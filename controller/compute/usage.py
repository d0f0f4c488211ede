"""What each project's servers used over a time window (Nova's simple tenant usage):
hours each server ran in the window, and those hours times its vCPUs, RAM and disk.

Deleted servers count too: their rows stay, with ``terminated_at``. HTTP lives in
``api/usage.py``.
"""
import datetime

from sqlalchemy import and_, or_, select

from controller.compute import models

# Instance columns a usage report reads (not whole rows: no metadata, faults, disks).
_COLUMNS = ("uuid", "name", "project_id", "flavor", "vcpus", "memory_mb", "root_gb",
            "ephemeral_gb", "vm_state", "launched_at", "terminated_at")


def last_completed_month(before):
    """(begin, end) of the last calendar month completed at ``before`` (Nova's default
    ``instance_usage_audit_period``)."""
    end = before.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    begin = (end - datetime.timedelta(days=1)).replace(day=1)
    return begin, end


class MarkerNotFound(LookupError):
    """The page marker names no server of the report."""


def hours_in_window(launched_at, terminated_at, start, stop):
    """Hours a server ran within [start, stop]: from its launch (or ``start``) to its
    termination (or ``stop``); 0 for a server that never launched or ran only outside
    the window."""
    if launched_at is None:
        return 0.0
    begin = max(launched_at, start)
    end = min(terminated_at, stop) if terminated_at is not None else stop
    return max((end - begin).total_seconds(), 0.0) / 3600.0


def server_usage(row, start, stop, now):
    """One server's entry in a report, as Nova words it."""
    hours = hours_in_window(row.launched_at, row.terminated_at, start, stop)
    ended = row.terminated_at
    uptime = (ended or now) - row.launched_at
    return {"instance_id": row.uuid, "name": row.name, "tenant_id": row.project_id,
            "flavor": (row.flavor or {}).get("name", ""), "hours": hours,
            "vcpus": row.vcpus, "memory_mb": row.memory_mb,
            "local_gb": row.root_gb + row.ephemeral_gb,
            "started_at": row.launched_at.isoformat(),
            "ended_at": ended.isoformat() if ended else None,
            "state": "terminated" if ended else row.vm_state,
            "uptime": int(uptime.total_seconds())}


def project_usages(rows, start, stop, now, detailed):
    """One summary per project of ``rows`` (in the order first met): total hours and
    hours times vCPUs, MiB and GiB; with ``detailed``, each server's own usage."""
    summaries = {}
    for row in rows:
        server = server_usage(row, start, stop, now)
        summary = summaries.get(row.project_id)
        if summary is None:
            summary = summaries[row.project_id] = {
                "tenant_id": row.project_id, "total_hours": 0.0,
                "total_vcpus_usage": 0.0, "total_memory_mb_usage": 0.0,
                "total_local_gb_usage": 0.0,
                "start": start.isoformat(), "stop": stop.isoformat()}
            if detailed:
                summary["server_usages"] = []
        summary["total_hours"] += server["hours"]
        summary["total_vcpus_usage"] += server["vcpus"] * server["hours"]
        summary["total_memory_mb_usage"] += server["memory_mb"] * server["hours"]
        summary["total_local_gb_usage"] += server["local_gb"] * server["hours"]
        if detailed:
            summary["server_usages"].append(server)
    return list(summaries.values())


def servers_in_window(session, start, stop, project_id=None, limit=None, marker=None):
    """Servers that ran at some point in [start, stop] (launched before ``stop``, not
    terminated before ``start``), oldest first; a page of them after the server
    ``marker`` when paging."""
    instance = models.Instance
    query = (select(*(getattr(instance, name) for name in _COLUMNS))
             .where(instance.launched_at.is_not(None), instance.launched_at < stop,
                    or_(instance.terminated_at.is_(None), instance.terminated_at > start))
             .order_by(instance.created_at, instance.uuid))
    if project_id is not None:
        query = query.where(instance.project_id == project_id)
    if marker is not None:
        after = session.execute(select(instance.created_at, instance.uuid).where(
            instance.uuid == marker)).first()
        if after is None:
            raise MarkerNotFound(f"marker [{marker}] not found")
        query = query.where(or_(instance.created_at > after.created_at, and_(
            instance.created_at == after.created_at, instance.uuid > after.uuid)))
    if limit is not None:
        query = query.limit(limit)
    return session.execute(query).all()
