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
# Limits the API shows and stores for older microversions but nothing counts against:
# nova-network's (to 2.35) and personality files' (to 2.56; refused here), with the
# values they have when never set.
LEGACY_NETWORK = ("fixed_ips", "floating_ips", "security_groups", "security_group_rules")
LEGACY_FILES = ("injected_files", "injected_file_content_bytes", "injected_file_path_bytes")
LEGACY_DEFAULTS = {**dict.fromkeys(LEGACY_NETWORK, UNLIMITED), **dict.fromkeys(LEGACY_FILES, 0)}
# The quota class whose limits are every project's defaults (Nova's only class in use).
DEFAULT_CLASS = "default"


class QuotaExceeded(ComputeError):
    code = 403

    def __init__(self, resource, requested, used, limit):
        super().__init__(f"Quota exceeded for {resource}: Requested {requested}, but "
                         f"already used {used} of {limit} {resource}")
        self.resource = resource


def class_limits(session, conf, class_name):
    """Quota class ``class_name``'s limits, the legacy ones included: its rows over the
    configured defaults (Nova's get_class_quotas)."""
    result = {resource: getattr(conf.quota, resource) for resource in RESOURCES}
    result.update(LEGACY_DEFAULTS)
    for row in session.scalars(select(models.QuotaClass).where(
            models.QuotaClass.class_name == class_name)):
        if row.resource in result:
            result[row.resource] = row.hard_limit
    return result


def _store_limits(session, model, owner, values):
    """Set ``values`` (resource → limit) on the rows of ``model`` that ``owner`` (column
    → value) selects, adding the rows missing."""
    existing = {row.resource: row for row in session.scalars(
        select(model).filter_by(**owner))}
    for resource, limit in values.items():
        if resource not in RESOURCES and resource not in LEGACY_DEFAULTS:
            raise ValueError(f"unknown quota resource {resource!r}")
        row = existing.get(resource)
        if row is None:
            session.add(model(resource=resource, hard_limit=limit, **owner))
        else:
            row.hard_limit = limit


def set_class_limits(session, class_name, values):
    """Store limits of quota class ``class_name``; ``default``'s are every project's
    defaults."""
    _store_limits(session, models.QuotaClass, {"class_name": class_name}, values)


def defaults(session, conf, legacy=False):
    """Every project's default limits: the ``default`` class over the configuration;
    ``legacy`` adds the limits nothing counts against."""
    result = class_limits(session, conf, DEFAULT_CLASS)
    if not legacy:
        for resource in LEGACY_DEFAULTS:
            del result[resource]
    return result


def limits(session, conf, project_id, legacy=False):
    """The project's limits: its own rows over the defaults."""
    result = defaults(session, conf, legacy)
    rows = session.scalars(select(models.Quota).where(models.Quota.project_id == project_id))
    for row in rows:
        if row.resource in result:
            result[row.resource] = row.hard_limit
    return result


def user_limits(session, conf, project_id, user_id, legacy=False):
    """A user's limits within a project: their own rows over the project's limits."""
    result = limits(session, conf, project_id, legacy)
    for row in session.scalars(select(models.ProjectUserQuota).where(
            models.ProjectUserQuota.project_id == project_id,
            models.ProjectUserQuota.user_id == user_id)):
        if row.resource in result:
            result[row.resource] = row.hard_limit
    return result


def has_user_limits(session, project_id, user_id):
    return session.scalar(select(models.ProjectUserQuota.id).where(
        models.ProjectUserQuota.project_id == project_id,
        models.ProjectUserQuota.user_id == user_id).limit(1)) is not None


def set_user_limits(session, project_id, user_id, values):
    """Store a user's limits within a project."""
    _store_limits(session, models.ProjectUserQuota,
                  {"project_id": project_id, "user_id": user_id}, values)


def delete_user_limits(session, project_id, user_id):
    """Back to the project's limits."""
    for row in session.scalars(select(models.ProjectUserQuota).where(
            models.ProjectUserQuota.project_id == project_id,
            models.ProjectUserQuota.user_id == user_id)):
        session.delete(row)


def set_limits(session, project_id, values):
    """Store the given limits for a project (the admin's ``quota set``)."""
    _store_limits(session, models.Quota, {"project_id": project_id}, values)


def delete_limits(session, project_id):
    """Back to the defaults."""
    for row in session.scalars(select(models.Quota).where(
            models.Quota.project_id == project_id)):
        session.delete(row)


def server_usage(session, project_id, user_id=None):
    """Servers, vCPUs and RAM held by the project's (or one user's) servers that are not
    deleted."""
    query = (select(func.count(models.Instance.uuid),
                    func.coalesce(func.sum(models.Instance.vcpus), 0),
                    func.coalesce(func.sum(models.Instance.memory_mb), 0))
             .where(models.Instance.project_id == project_id,
                    models.Instance.deleted_at.is_(None)))
    if user_id is not None:
        query = query.where(models.Instance.user_id == user_id)
    count, cores, ram = session.execute(query).one()
    return {"instances": count, "cores": cores, "ram": ram}


def usage(session, project_id, user_id=None):
    """Every counted resource of a project or of one user in it (key pairs are counted
    per user elsewhere)."""
    result = server_usage(session, project_id, user_id)
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


def check_servers(session, conf, project_id, requested, user_id=None):
    """Whether the servers in ``requested`` (``server_request``) fit the project's quota
    and, when ``user_id`` has limits of their own there, the user's."""
    check(limits(session, conf, project_id), server_usage(session, project_id), requested)
    if user_id is not None and has_user_limits(session, project_id, user_id):
        check(user_limits(session, conf, project_id, user_id),
              server_usage(session, project_id, user_id), requested)


def recheck_servers(session, conf, project_id, requested, user_id=None):
    """After creating servers: is the project (or the user) now over its limit? Two
    concurrent creates can each pass ``check_servers`` before either commits (PostgreSQL
    read committed); the later one sees both here and undoes its own (Nova's quota
    recheck)."""
    scopes = [(limits(session, conf, project_id), None)]
    if user_id is not None and has_user_limits(session, project_id, user_id):
        scopes.append((user_limits(session, conf, project_id, user_id), user_id))
    for limits_, scope_user in scopes:
        used = server_usage(session, project_id, scope_user)
        before = {resource: used[resource] - amount for resource, amount in requested.items()}
        check(limits_, before, requested)
