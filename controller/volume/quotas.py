"""Per-project quotas on volumes, snapshots and gigabytes.

Usage is counted from the volume and snapshot rows in the same transaction that adds the
new row (SQLite serialises writers with BEGIN IMMEDIATE), so there is no separate usage
table to drift out of step. Snapshots count toward ``gigabytes``, as in Cinder.
"""
from sqlalchemy import func, select

from controller.volume import models

# Resources a project may be limited on, with their [volume] quota_* defaults.
RESOURCES = ("volumes", "snapshots", "gigabytes", "per_volume_gigabytes", "backups",
             "backup_gigabytes", "groups")
UNLIMITED = -1


class QuotaExceeded(Exception):
    """The request would go over a limit (Cinder answers 413)."""


def default_limits(conf):
    return {resource: getattr(conf.volume, f"quota_{resource}") for resource in RESOURCES}


def project_limits(session, conf, project_id):
    limits = default_limits(conf)
    rows = session.scalars(select(models.QuotaLimit)
                           .where(models.QuotaLimit.project_id == project_id))
    limits.update({row.resource: row.hard_limit for row in rows})
    return limits


def project_usage(session, project_id):
    volumes, volume_gb = session.execute(
        select(func.count(), func.coalesce(func.sum(models.Volume.size), 0))
        .where(models.Volume.project_id == project_id)).one()
    snapshots, snapshot_gb = session.execute(
        select(func.count(), func.coalesce(func.sum(models.Snapshot.size), 0))
        .where(models.Snapshot.project_id == project_id)).one()
    # No backups or groups are made here (yet): nothing uses those quotas.
    return {"volumes": volumes, "snapshots": snapshots,
            "gigabytes": volume_gb + snapshot_gb, "per_volume_gigabytes": 0,
            "backups": 0, "backup_gigabytes": 0, "groups": 0}


def check(limits, usage, volumes=0, snapshots=0, gigabytes=0, volume_size=None):
    """Raise QuotaExceeded if adding these to ``usage`` goes over ``limits``;
    ``volume_size`` is the size a created or extended volume will have."""
    per_volume = limits["per_volume_gigabytes"]
    if volume_size is not None and per_volume != UNLIMITED and volume_size > per_volume:
        raise QuotaExceeded(f"Requested volume size {volume_size}G is larger than maximum "
                            f"allowed limit {per_volume}G.")
    for resource, delta in (("volumes", volumes), ("snapshots", snapshots)):
        limit = limits[resource]
        if delta and limit != UNLIMITED and usage[resource] + delta > limit:
            raise QuotaExceeded(f"Maximum number of {resource} allowed ({limit}) exceeded "
                                f"for quota '{resource}'.")
    limit = limits["gigabytes"]
    if gigabytes and limit != UNLIMITED and usage["gigabytes"] + gigabytes > limit:
        raise QuotaExceeded(f"Requested volume or snapshot exceeds allowed gigabytes quota. "
                            f"Requested {gigabytes}G, quota is {limit}G and "
                            f"{usage['gigabytes']}G has been consumed.")


def set_limits(session, project_id, limits):
    """Store the project's own limits (``{resource: int}``) over the defaults."""
    rows = {row.resource: row for row in session.scalars(
        select(models.QuotaLimit).where(models.QuotaLimit.project_id == project_id))}
    for resource, value in limits.items():
        row = rows.get(resource)
        if row is None:
            session.add(models.QuotaLimit(project_id=project_id, resource=resource,
                                          hard_limit=value))
        else:
            row.hard_limit = value


def clear_limits(session, project_id):
    """Return the project to the default limits."""
    for row in session.scalars(select(models.QuotaLimit)
                               .where(models.QuotaLimit.project_id == project_id)):
        session.delete(row)


# -- operations of the quotas API: each one transaction -------------------------------

def limits_and_usage(db, conf, project_id):
    """(limits, usage) of the project, read in one transaction."""
    with db.session() as session:
        return project_limits(session, conf, project_id), project_usage(session, project_id)


def update_limits(db, conf, project_id, limits):
    """Store the project's own ``limits``; its limits as they now are."""
    with db.session() as session:
        set_limits(session, project_id, limits)
        return project_limits(session, conf, project_id)


def reset_limits(db, project_id):
    with db.session() as session:
        clear_limits(session, project_id)
