"""The database's view of hosts, like Nova's services table plus Placement: heartbeats,
capacity, and race-free claims of resources for instances.

Every function takes ``db``: a ``controller.db.engine.Database`` (the function runs its
own transaction) or an open SQLAlchemy ``Session`` (it joins the caller's transaction).
Returned rows are detached snapshots; change them through these functions only.

Public functions (the contract for the conductor and the compute API):

    service_heartbeat(db, host, binary, topic, availability_zone=None) -> Service
    report_inventory(db, host, *, hypervisor_type, hypervisor_hostname, cpu_arch, vcpus,
                     memory_mb, local_gb, host_ip=None, availability_zone=None,
                     cpu_allocation_ratio=None, ram_allocation_ratio=None,
                     disk_allocation_ratio=None, reserved_host_memory_mb=None)
        -> ComputeNode   (ratios/reserved default to the [scheduler] options)
    claim(db, host, consumer_id, resources) -> bool
        resources = {"vcpus", "memory_mb", "disk_gb"} (capacity.resources_from_flavor)
    release(db, consumer_id) -> bool          (False: held nothing; idempotent)
    move_allocation(db, from_consumer, to_consumer) -> bool
        (a server's claim handed to its migration and back; False: nothing to move)
    get_allocation(db, consumer_id) -> Allocation | None
    list_services(db, binary=None, host=None) -> [Service]
    get_service(db, service_id) -> Service    (int id or uuid; ServiceNotFound)
    set_service_status(db, host, binary, disabled=None, reason=None, forced_down=None)
        -> Service                            (ServiceNotFound)
    delete_service(db, service_id)            (ServiceNotFound, ServiceInUse)
    is_up(service, now, down_after_seconds) -> bool   (pure)
    list_compute_nodes(db) -> [ComputeNode]
    get_compute_node(db, host) -> ComputeNode | None

Binaries are ``controller.scheduler.AGENT_BINARY``/``CONDUCTOR_BINARY``/``SCHEDULER_BINARY``.
"""
import contextlib
import logging

from sqlalchemy import delete, exc, select, update
from sqlalchemy.orm import Session

from conf import CONF
from controller.db.base import utcnow
from controller.scheduler import AGENT_BINARY, ServiceInUse, ServiceNotFound, capacity
from controller.scheduler.models import Allocation, ComputeNode, Service

LOG = logging.getLogger(__name__)

# A claim re-reads and retries when a concurrent write changed the host between its read
# and its write. Each loss means another claim or release got through, so this bounds
# only how long one claim may keep losing to others on a very busy host.
CLAIM_ATTEMPTS = 50


class _LostRace(Exception):
    """The host's generation moved between read and write: roll back and try again."""


@contextlib.contextmanager
def _transaction(db):
    if isinstance(db, Session):
        yield db
    else:
        with db.session() as session:
            yield session


def _fresh(statement):
    """Read the database, not the session's identity map (retries must see new rows)."""
    return statement.execution_options(populate_existing=True)


# --- services ---------------------------------------------------------------------------

def service_heartbeat(db, host, binary, topic, availability_zone=None):
    """Record that ``binary`` on ``host`` is alive, creating its service row first."""
    for attempt in range(2):
        try:
            with _transaction(db) as session, session.begin_nested():
                service = session.scalars(_fresh(select(Service).where(
                    Service.host == host, Service.binary == binary))).one_or_none()
                if service is None:
                    service = Service(host=host, binary=binary, disabled=False,
                                      forced_down=False)
                    session.add(service)
                service.topic = topic
                service.last_seen_at = utcnow()
                if availability_zone is not None:
                    service.availability_zone = availability_zone
                session.flush()
                return service
        except exc.IntegrityError:
            if attempt:
                raise
            # Another process created the row at the same moment: update it instead.


def is_up(service, now, down_after_seconds):
    """Whether a service counts as alive at ``now``: seen recently and not forced down."""
    if service.forced_down or service.last_seen_at is None:
        return False
    return (now - service.last_seen_at).total_seconds() <= down_after_seconds


def list_services(db, binary=None, host=None, hosts=None):
    """Services (of ``binary``, on ``host`` or one of ``hosts``; None: any)."""
    query = select(Service).order_by(Service.id)
    if binary is not None:
        query = query.where(Service.binary == binary)
    if host is not None:
        query = query.where(Service.host == host)
    if hosts is not None:
        query = query.where(Service.host.in_(sorted(hosts)))
    with _transaction(db) as session:
        return list(session.scalars(query))


def _find_service(session, service_id):
    if isinstance(service_id, int) or str(service_id).isdigit():
        service = session.get(Service, int(service_id))
    else:
        service = session.scalars(select(Service).where(
            Service.uuid == service_id)).one_or_none()
    if service is None:
        raise ServiceNotFound(f"Service {service_id} could not be found.")
    return service


def get_service(db, service_id):
    """The service with integer ``id`` or ``uuid`` ``service_id``."""
    with _transaction(db) as session:
        return _find_service(session, service_id)


def set_service_status(db, host, binary, disabled=None, reason=None, forced_down=None):
    """Enable or disable a service (the reason is kept only while disabled) and/or force
    it down; None leaves a field as it is."""
    with _transaction(db) as session:
        service = session.scalars(_fresh(select(Service).where(
            Service.host == host, Service.binary == binary))).one_or_none()
        if service is None:
            raise ServiceNotFound(
                f"Service binary {binary} on host {host} could not be found.")
        if disabled is not None:
            service.disabled = bool(disabled)
            service.disabled_reason = reason if disabled else None
        if forced_down is not None:
            service.forced_down = bool(forced_down)
        session.flush()
        return service


def delete_service(db, service_id):
    """Delete a service; a compute service takes its compute node with it, and is
    refused while instances hold claims on its host."""
    with _transaction(db) as session:
        service = _find_service(session, service_id)
        if service.binary == AGENT_BINARY:
            held = session.scalar(select(Allocation.consumer_id).where(
                Allocation.host == service.host).limit(1))
            if held is not None:
                raise ServiceInUse(
                    f"Compute service {service.host} has instances; delete or move "
                    "them first.")
            session.execute(delete(ComputeNode).where(ComputeNode.host == service.host))
        session.delete(service)


# --- compute nodes ----------------------------------------------------------------------

def report_inventory(db, host, *, hypervisor_type, hypervisor_hostname, cpu_arch, vcpus,
                     memory_mb, local_gb, host_ip=None, availability_zone=None,
                     cpu_allocation_ratio=None, ram_allocation_ratio=None,
                     disk_allocation_ratio=None, reserved_host_memory_mb=None):
    """Record a host's capacity as its agent reports it; usage is left to claims.

    Allocation ratios and reserved memory not given come from this process's
    ``[scheduler]`` options, so a changed option applies at each host's next report.
    ``availability_zone`` (if given) is set on the host's compute service. ``host_ip``:
    the host's address, as its agent reports it (older agents do not).
    """
    sched = CONF.scheduler
    inventory = {
        "hypervisor_type": hypervisor_type, "hypervisor_hostname": hypervisor_hostname,
        "cpu_arch": cpu_arch, "vcpus": int(vcpus), "memory_mb": int(memory_mb),
        "local_gb": int(local_gb), "host_ip": host_ip,
        "cpu_allocation_ratio": _or(cpu_allocation_ratio, sched.cpu_allocation_ratio),
        "ram_allocation_ratio": _or(ram_allocation_ratio, sched.ram_allocation_ratio),
        "disk_allocation_ratio": _or(disk_allocation_ratio, sched.disk_allocation_ratio),
        "reserved_host_memory_mb": _or(reserved_host_memory_mb,
                                       sched.reserved_host_memory_mb),
    }
    for attempt in range(2):
        try:
            with _transaction(db) as session, session.begin_nested():
                changed = session.execute(
                    update(ComputeNode).where(ComputeNode.host == host)
                    .values(generation=ComputeNode.generation + 1, **inventory)
                    .execution_options(synchronize_session=False)).rowcount
                if not changed:
                    session.add(ComputeNode(host=host, vcpus_used=0, memory_mb_used=0,
                                            local_gb_used=0, running_vms=0, generation=0,
                                            **inventory))
                if availability_zone is not None:
                    session.execute(
                        update(Service).where(Service.host == host,
                                              Service.binary == AGENT_BINARY)
                        .values(availability_zone=availability_zone)
                        .execution_options(synchronize_session=False))
                session.flush()
                return session.scalars(_fresh(select(ComputeNode).where(
                    ComputeNode.host == host))).one()
        except exc.IntegrityError:
            if attempt:
                raise


def _or(value, default):
    return default if value is None else value


def list_compute_nodes(db):
    with _transaction(db) as session:
        return list(session.scalars(select(ComputeNode).order_by(ComputeNode.id)))


def get_compute_node(db, host):
    with _transaction(db) as session:
        return session.scalars(select(ComputeNode).where(
            ComputeNode.host == host)).one_or_none()


# --- claims -----------------------------------------------------------------------------

def claim(db, host, consumer_id, resources):
    """Hold ``resources`` on ``host`` for instance ``consumer_id``; False if they do not
    fit (any more) or the host is unknown.

    Race-free on any database: usage is re-read with the host's generation and written
    only ``WHERE generation`` is unchanged; a lost race rolls back and re-reads. An
    instance holds one claim: claiming again on the same host is a no-op, on another host
    moves the claim there.
    """
    wanted = {name: int(resources[name]) for name in capacity.RESOURCES}
    for _ in range(CLAIM_ATTEMPTS):
        try:
            with _transaction(db) as session, session.begin_nested():
                return _claim_once(session, host, consumer_id, wanted)
        except (_LostRace, exc.IntegrityError):
            # IntegrityError: a concurrent claim for the same instance inserted first;
            # the next attempt finds its allocation.
            continue
    LOG.warning("Claim for %s on %s lost %d races in a row", consumer_id, host,
                CLAIM_ATTEMPTS)
    return False


def _claim_once(session, host, consumer_id, wanted):
    held = session.scalars(_fresh(select(Allocation).where(
        Allocation.consumer_id == consumer_id))).one_or_none()
    if held is not None and held.host == host:
        return True
    node = session.scalars(_fresh(select(ComputeNode).where(
        ComputeNode.host == host))).one_or_none()
    if node is None or not capacity.fits(node, wanted):
        return False
    if held is not None:
        _give_back(session, held)
        session.delete(held)
        session.flush()
    written = session.execute(
        update(ComputeNode)
        .where(ComputeNode.host == host, ComputeNode.generation == node.generation)
        .values(vcpus_used=node.vcpus_used + wanted["vcpus"],
                memory_mb_used=node.memory_mb_used + wanted["memory_mb"],
                local_gb_used=node.local_gb_used + wanted["disk_gb"],
                running_vms=node.running_vms + 1,
                generation=node.generation + 1)
        .execution_options(synchronize_session=False)).rowcount
    if written != 1:
        raise _LostRace()
    session.add(Allocation(consumer_id=consumer_id, host=host, **wanted))
    session.flush()
    return True


def release(db, consumer_id):
    """Give back what instance ``consumer_id`` holds; False if it held nothing."""
    with _transaction(db) as session:
        held = session.execute(
            delete(Allocation).where(Allocation.consumer_id == consumer_id)
            .returning(Allocation.host, Allocation.vcpus, Allocation.memory_mb,
                       Allocation.disk_gb)
            .execution_options(synchronize_session=False)).one_or_none()
        if held is None:
            return False
        _give_back(session, held)
        return True


def _give_back(session, allocation):
    # A relative update is atomic on its own; only the one DELETE that removed the
    # allocation row gets here, so usage is decremented once.
    session.execute(
        update(ComputeNode).where(ComputeNode.host == allocation.host)
        .values(vcpus_used=ComputeNode.vcpus_used - allocation.vcpus,
                memory_mb_used=ComputeNode.memory_mb_used - allocation.memory_mb,
                local_gb_used=ComputeNode.local_gb_used - allocation.disk_gb,
                running_vms=ComputeNode.running_vms - 1,
                generation=ComputeNode.generation + 1)
        .execution_options(synchronize_session=False))


def move_allocation(db, from_consumer, to_consumer):
    """Hand the claim of ``from_consumer`` to ``to_consumer`` (which holds none) on the
    same host, usage unchanged: a moving server's source claim passes to its migration
    while the server claims its destination, and back on a revert (Placement's
    migration allocations). False if ``from_consumer`` held nothing."""
    with _transaction(db) as session:
        return session.execute(
            update(Allocation).where(Allocation.consumer_id == from_consumer)
            .values(consumer_id=to_consumer)
            .execution_options(synchronize_session=False)).rowcount == 1


def get_allocation(db, consumer_id):
    """The claim instance ``consumer_id`` holds, or None."""
    with _transaction(db) as session:
        return session.get(Allocation, consumer_id)
