"""Host aggregates as Nova keeps them: named groups of compute hosts with metadata.

The ``availability_zone`` metadata key puts an aggregate's hosts in that zone, over the
zone their agent reports; a host may be in many aggregates but in one zone only. HTTP
lives in ``api/aggregates.py``; the scheduler reads the zones in bulk (``host_zones``).
"""
from sqlalchemy import select

from contract.exception import ComputeError
from controller.compute import models
from controller.db.base import utcnow
from controller.scheduler import AGENT_BINARY, placement

AZ_KEY = "availability_zone"


class AggregateNotFound(ComputeError):
    code = 404


class AggregateNameExists(ComputeError):
    code = 409


class HostNotFound(ComputeError):
    """Not a compute host (no agent service), or not in the aggregate."""

    code = 404


class HostConflict(ComputeError):
    """The host is already in the aggregate, or would be in two zones."""

    code = 409


class InvalidAggregateAction(ComputeError):
    code = 400


# --- pure rules -------------------------------------------------------------------------

def resolve_zone(aggregate_zone, reported_zone, default_zone):
    """A host's availability zone: its aggregates' zone wins over the one its agent
    reports, and a host with neither is in the default zone."""
    return aggregate_zone or reported_zone or default_zone


def conflicting_zones(zone, hosts, memberships, aggregate_id):
    """The other zones ``hosts`` are in through aggregates other than ``aggregate_id``,
    were they put in ``zone``; ``memberships`` is ``[(aggregate_id, host, zone)]`` of
    every aggregate with a zone. Empty when nothing conflicts."""
    hosts = set(hosts)
    return sorted({other_zone for other_id, host, other_zone in memberships
                   if host in hosts and other_id != aggregate_id and other_zone != zone})


# --- reading ----------------------------------------------------------------------------

def _zone_memberships(session, hosts=None):
    """``[(aggregate_id, host, zone)]`` of aggregates that have a zone, in one query."""
    query = (select(models.AggregateHost.aggregate_id, models.AggregateHost.host,
                    models.AggregateMetadata.value)
             .join(models.AggregateMetadata, models.AggregateMetadata.aggregate_id
                   == models.AggregateHost.aggregate_id)
             .where(models.AggregateMetadata.key == AZ_KEY))
    if hosts is not None:
        query = query.where(models.AggregateHost.host.in_(list(hosts)))
    return [tuple(row) for row in session.execute(query)]


def host_zones(session):
    """Host → zone for every host in an aggregate with a zone (one query; a host's
    aggregates never disagree, see ``conflicting_zones``)."""
    return {host: zone for _, host, zone in _zone_memberships(session)}


def host_zone(session, host, reported_zone, default_zone):
    """The zone of one ``host`` whose agent reports ``reported_zone``."""
    zones = {zone for _, _, zone in _zone_memberships(session, [host])}
    return resolve_zone(min(zones) if zones else None, reported_zone, default_zone)


def availability_zones(db, default_zone):
    """Zone → the agent services of its hosts, every agent host in exactly one zone."""
    with db.session() as session:
        zones_by_host = host_zones(session)
        services = placement.list_services(session, binary=AGENT_BINARY)
    zones = {}
    for service in services:
        zone = resolve_zone(zones_by_host.get(service.host), service.availability_zone,
                            default_zone)
        zones.setdefault(zone, []).append(service)
    return zones


def zone_of(aggregate):
    return metadata_of(aggregate).get(AZ_KEY)


def metadata_of(aggregate):
    return {item.key: item.value for item in aggregate.metadata_items}


def list_all(session):
    return list(session.scalars(select(models.Aggregate).order_by(models.Aggregate.id)))


def get(session, aggregate_id):
    # Ids past SQLite's 64-bit integers cannot be bound, and cannot exist either.
    aggregate = (session.get(models.Aggregate, aggregate_id) if 0 < aggregate_id < 2 ** 63
                 else None)
    if aggregate is None:
        raise AggregateNotFound(f"Aggregate {aggregate_id} could not be found.")
    return aggregate


# --- changing ---------------------------------------------------------------------------

def _check_name_free(session, name, aggregate_id=None):
    clash = session.scalars(select(models.Aggregate.id).where(
        models.Aggregate.name == name)).first()
    if clash is not None and clash != aggregate_id:
        raise AggregateNameExists(f"Aggregate {name} already exists.")


def _zone_problem(session, aggregate, zone, hosts):
    """Why ``hosts`` cannot be in ``zone`` through ``aggregate``, or None if they can."""
    if not zone:
        return f"Aggregate {aggregate.name} does not support empty named availability zone"
    if ":" in zone:
        return "The availability zone must not include ':'"
    conflicts = conflicting_zones(zone, hosts, _zone_memberships(session, hosts),
                                  aggregate.id)
    if conflicts:
        return f"One or more hosts already in availability zone(s) {conflicts}"
    return None


def create(session, name, zone=None):
    _check_name_free(session, name)
    aggregate = models.Aggregate(name=name, hosts=[], metadata_items=[])
    if zone:
        aggregate.metadata_items.append(models.AggregateMetadata(key=AZ_KEY, value=zone))
    session.add(aggregate)
    session.flush()
    return aggregate


def update(session, aggregate_id, changes):
    """Rename the aggregate and/or move its hosts to another zone: ``changes`` has
    ``name`` and/or ``availability_zone``."""
    aggregate = get(session, aggregate_id)
    if "name" in changes:
        _check_name_free(session, changes["name"], aggregate.id)
        aggregate.name = changes["name"]
    if AZ_KEY in changes:
        _set_metadata(session, aggregate, {AZ_KEY: changes[AZ_KEY]}, "update aggregate")
    aggregate.updated_at = utcnow()
    return aggregate


def set_metadata(session, aggregate_id, metadata):
    """Set each key of ``metadata``; a ``None`` value removes the key (but a zone can
    only be changed, never removed, as in Nova)."""
    aggregate = get(session, aggregate_id)
    _set_metadata(session, aggregate, metadata, "update metadata of aggregate")
    aggregate.updated_at = utcnow()
    return aggregate


def _set_metadata(session, aggregate, metadata, action):
    if AZ_KEY in metadata:
        problem = _zone_problem(session, aggregate, metadata[AZ_KEY],
                                [member.host for member in aggregate.hosts])
        if problem:
            raise InvalidAggregateAction(
                f"Cannot {action} {aggregate.id}. Reason: {problem}.")
    items = {item.key: item for item in aggregate.metadata_items}
    for key, value in metadata.items():
        if value is None:
            if key in items:
                aggregate.metadata_items.remove(items[key])
        elif key in items:
            items[key].value = value
        else:
            aggregate.metadata_items.append(models.AggregateMetadata(key=key, value=value))


def delete(session, aggregate_id):
    aggregate = get(session, aggregate_id)
    if aggregate.hosts:
        raise InvalidAggregateAction(
            f"Cannot remove aggregate {aggregate_id}. Reason: Host aggregate is not empty.")
    session.delete(aggregate)


def add_host(session, aggregate_id, host):
    if not placement.list_services(session, binary=AGENT_BINARY, host=host):
        raise HostNotFound(f"Compute host {host} could not be found.")
    aggregate = get(session, aggregate_id)
    if any(member.host == host for member in aggregate.hosts):
        raise HostConflict(f"Aggregate {aggregate_id} already has host {host}.")
    zone = zone_of(aggregate)
    problem = zone and _zone_problem(session, aggregate, zone, [host])
    if problem:
        raise HostConflict(f"Cannot add host to aggregate {aggregate_id}. "
                           f"Reason: {problem}.")
    aggregate.hosts.append(models.AggregateHost(host=host))
    aggregate.updated_at = utcnow()
    return aggregate


def remove_host(session, aggregate_id, host):
    """Take ``host`` out of the aggregate (also once its service is gone, so that
    aggregates can be cleaned up after a host is retired)."""
    aggregate = get(session, aggregate_id)
    member = next((m for m in aggregate.hosts if m.host == host), None)
    if member is None:
        raise HostNotFound(f"Cannot remove host {host} in aggregate {aggregate_id}")
    aggregate.hosts.remove(member)
    aggregate.updated_at = utcnow()
    return aggregate
