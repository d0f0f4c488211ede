"""Per-project quotas on networks, subnets, ports, security groups and their rules, as Neutron's quota engine keeps them.

Usage is counted from the rows themselves, in the transaction that adds the new row, so it
cannot drift. Two creates of one project must not both take a quota's last unit: SQLite
(BEGIN IMMEDIATE) runs writers one at a time anyway; on PostgreSQL each create first locks
its project's row in ``network_quota_locks`` (SELECT ... FOR UPDATE), which makes count and
insert serial per project and leaves other projects alone.

As in Neutron, a quota refuses requests to create, not what the service creates itself: the
DHCP port a subnet brings is never refused, but it is the network owner's port and counts
toward that project's ports, as the port Neutron's DHCP agent makes does.
"""
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from controller.api import errors
from controller.network.l3_models import FloatingIP, Router
from controller.network.models import (Network, NetworkQuota, NetworkQuotaLock, Port,
                                       SecurityGroup, SecurityGroupRule, Subnet)

# The resources limited per project, their tables, in Neutron's names.
RESOURCES = {"network": Network, "subnet": Subnet, "port": Port,
             "security_group": SecurityGroup, "security_group_rule": SecurityGroupRule,
             "router": Router, "floatingip": FloatingIP}
UNLIMITED = -1


def over_quota(resources):
    """Neutron's 409 for a create that would go over the project's limits."""
    return errors.Conflict(f"Quota exceeded for resources: {sorted(resources)}.",
                           "OverQuota")


def exceeded(limits, usage, requested):
    """The resources that ``requested`` ({resource: count}) would put over ``limits``."""
    return sorted(resource for resource, amount in requested.items()
                  if amount > 0 and limits[resource] != UNLIMITED
                  and usage[resource] + amount > limits[resource])


def below_usage(limits, usage):
    """The (resource, limit, used) triples whose new limit is below what is already used."""
    return [(resource, limit, usage[resource]) for resource, limit in sorted(limits.items())
            if limit != UNLIMITED and limit < usage[resource]]


def default_limits(conf):
    """``conf``: the [network] group."""
    return {resource: getattr(conf, f"quota_{resource}") for resource in RESOURCES}


def project_limits(session, conf, project_id):
    limits = default_limits(conf)
    for row in session.scalars(select(NetworkQuota)
                               .where(NetworkQuota.project_id == project_id)):
        if row.resource in limits:
            limits[row.resource] = row.hard_limit
    return limits


def all_project_limits(session, conf):
    """{project_id: limits} of the projects with limits of their own."""
    result = {}
    for row in session.scalars(select(NetworkQuota).order_by(NetworkQuota.project_id)):
        limits = result.setdefault(row.project_id, default_limits(conf))
        if row.resource in limits:
            limits[row.resource] = row.hard_limit
    return result


def count(session, project_id, resource):
    table = RESOURCES[resource]
    return session.scalar(select(func.count()).select_from(table)
                          .where(table.project_id == project_id))


def project_usage(session, project_id):
    return {resource: count(session, project_id, resource) for resource in RESOURCES}


def lock_project(session, project_id):
    """Hold the project's lock row until the transaction ends, making it on first use.
    A concurrent first use makes the insert fail (PostgreSQL waits for the other
    transaction to end first); the row is then there to lock."""
    query = (select(NetworkQuotaLock).where(NetworkQuotaLock.project_id == project_id)
             .with_for_update())
    if session.scalars(query).first() is not None:
        return
    try:
        with session.begin_nested():
            session.add(NetworkQuotaLock(project_id=project_id))
    except IntegrityError:
        session.scalars(query).first()


def check_room(session, conf, project_id, resource, amount=1):
    """Raise OverQuota unless the project may have ``amount`` more ``resource``. The
    project stays locked until the transaction, which then adds the rows, ends."""
    lock_project(session, project_id)
    limits = project_limits(session, conf, project_id)
    if limits[resource] == UNLIMITED:
        return
    over = exceeded(limits, {resource: count(session, project_id, resource)},
                    {resource: amount})
    if over:
        raise over_quota(over)


def set_limits(session, project_id, limits, check_usage):
    """Store the project's own ``limits``; with ``check_usage`` none may be below what the
    project already uses (Neutron's quota-check-limit)."""
    lock_project(session, project_id)
    too_low = below_usage(limits, project_usage(session, project_id)) if check_usage else []
    if too_low:
        resource, limit, used = too_low[0]
        raise errors.BadRequest(f"Quota limit {limit} for {resource} must be greater than "
                                f"or equal to already used {used}.", "InvalidQuotaValue")
    rows = {row.resource: row for row in session.scalars(
        select(NetworkQuota).where(NetworkQuota.project_id == project_id))}
    for resource, limit in limits.items():
        if resource in rows:
            rows[resource].hard_limit = limit
        else:
            session.add(NetworkQuota(project_id=project_id, resource=resource,
                                     hard_limit=limit))


def clear_limits(session, project_id):
    """Back to the defaults."""
    for row in session.scalars(select(NetworkQuota)
                               .where(NetworkQuota.project_id == project_id)):
        session.delete(row)


# -- operations of the quotas API: each one transaction -------------------------------

def list_project_limits(db, conf):
    """{project_id: limits} of the projects with limits of their own."""
    with db.session() as session:
        return all_project_limits(session, conf)


def show_limits(db, conf, project_id):
    with db.session() as session:
        return project_limits(session, conf, project_id)


def update_limits(db, conf, project_id, limits, check_usage):
    """Store the project's own ``limits``; its limits as they now are."""
    with db.session() as session:
        set_limits(session, project_id, limits, check_usage)
        return project_limits(session, conf, project_id)


def reset_limits(db, project_id):
    with db.session() as session:
        clear_limits(session, project_id)


def limits_and_usage(db, conf, project_id):
    """(limits, usage) of the project, read in one transaction."""
    with db.session() as session:
        return project_limits(session, conf, project_id), project_usage(session, project_id)
