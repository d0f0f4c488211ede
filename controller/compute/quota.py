"""Per-project limits: what a project may use, what it uses, and whether a request fits.

Usage is counted from the servers themselves (as Nova does since Pike), so it can never
drift from reality. ``QuotaExceeded`` names the first resource that would go over.
"""
from sqlalchemy import func, select

from contract.exception import ComputeError
from controller.compute import models

# Resources limited per project and where their default comes from ([quota] <name>).
RESOURCES = ("instances", "cores", "ram", "metadata_items", "key_pairs",
             "server_groups", "server_group_members")
UNLIMITED = -1


class QuotaExceeded(ComputeError):
    code = 403

    def __init__(self, resource, requested, used, limit):
        super().__init__(f"Quota exceeded for {resource}: Requested {requested}, but "
                         f"already used {used} of {limit} {resource}")
        self.resource = resource


def defaults(conf):
    return {resource: getattr(conf.quota, resource) for resource in RESOURCES}


def limits(session, conf, project_id):
    """The project's limits: its own rows over the configured defaults."""
    result = defaults(conf)
    rows = session.scalars(select(models.Quota).where(models.Quota.project_id == project_id))
    for row in rows:
        if row.resource in result:
            result[row.resource] = row.hard_limit
    return result


def set_limits(session, project_id, values):
    """Store the given limits for a project (the admin's ``quota set``)."""
    existing = {row.resource: row for row in session.scalars(
        select(models.Quota).where(models.Quota.project_id == project_id))}
    for resource, limit in values.items():
        if resource not in RESOURCES:
            raise ValueError(f"unknown quota resource {resource!r}")
        row = existing.get(resource)
        if row is None:
            session.add(models.Quota(project_id=project_id, resource=resource,
                                     hard_limit=limit))
        else:
            row.hard_limit = limit


def delete_limits(session, project_id):
    """Back to the defaults."""
    for row in session.scalars(select(models.Quota).where(
            models.Quota.project_id == project_id)):
        session.delete(row)


def server_usage(session, project_id):
    """Servers, vCPUs and RAM held by the project's servers that are not deleted."""
    count, cores, ram = session.execute(
        select(func.count(models.Instance.uuid),
               func.coalesce(func.sum(models.Instance.vcpus), 0),
               func.coalesce(func.sum(models.Instance.memory_mb), 0))
        .where(models.Instance.project_id == project_id,
               models.Instance.deleted_at.is_(None))).one()
    return {"instances": count, "cores": cores, "ram": ram}


def usage(session, project_id):
    """Every counted resource of a project (key pairs are counted per user elsewhere)."""
    result = server_usage(session, project_id)
    result["server_groups"] = session.scalar(
        select(func.count(models.ServerGroup.uuid))
        .where(models.ServerGroup.project_id == project_id))
    return result


def check(limits_, used, requested):
    """Raise QuotaExceeded if ``used + requested`` goes over any limit (pure)."""
    for resource, amount in requested.items():
        limit = limits_.get(resource, UNLIMITED)
        if limit == UNLIMITED or amount <= 0:
            continue
        if used.get(resource, 0) + amount > limit:
            raise QuotaExceeded(resource, amount, used.get(resource, 0), limit)


def server_request(count, vcpus, memory_mb):
    return {"instances": count, "cores": count * vcpus, "ram": count * memory_mb}


def check_servers(session, conf, project_id, requested):
    """Whether the servers in ``requested`` (``server_request``) fit the project's quota."""
    check(limits(session, conf, project_id), server_usage(session, project_id), requested)


def recheck_servers(session, conf, project_id, requested):
    """After creating servers: is the project now over its limit? Two concurrent creates
    can each pass ``check_servers`` before either commits (PostgreSQL read committed);
    the later one sees both here and undoes its own (Nova's quota recheck)."""
    used = server_usage(session, project_id)
    before = {resource: used[resource] - amount for resource, amount in requested.items()}
    check(limits(session, conf, project_id), before, requested)
