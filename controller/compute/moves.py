"""Migration records (``os-migrations``) and what a move changes on its server: the
flavor it runs with, the host it is on, and whose claim is where. Shared by the compute
API (which starts, confirms and reverts moves) and the conductor (which carries them out
for the agents)."""
from sqlalchemy import select

from contract import exception
from contract.vm_states import RESIZED
from controller.compute import models
from controller.db.base import isotime, utcnow

RESIZE = "resize"
MIGRATION = "migration"
EVACUATION = "evacuation"
LIVE_MIGRATION = "live-migration"

# Nova's statuses of a resize or cold migration, in order.
PRE_MIGRATING = "pre-migrating"
MIGRATING = "migrating"
POST_MIGRATING = "post-migrating"
FINISHED = "finished"          # waiting for confirm or revert (server in VERIFY_RESIZE)
CONFIRMING = "confirming"
CONFIRMED = "confirmed"
REVERTING = "reverting"
REVERTED = "reverted"
ERROR = "error"
# An evacuation's: accepted by the API, done on the new host (or failed there), completed
# once the old host has removed what it left.
ACCEPTED = "accepted"
DONE = "done"
FAILED = "failed"
COMPLETED = "completed"

# A live migration's: accepted by the API, preparing (checks, the destination made
# ready), running (memory copied while the guest runs), then completed, or error
# (failed, the guest still at the source) or cancelled (aborted by an admin).
PREPARING = "preparing"
RUNNING = "running"
CANCELLED = "cancelled"
# The statuses in which a live migration may be aborted or shown as in progress
# (Nova's server-migrations API; "queued" is never used here).
LIVE_IN_PROGRESS = (ACCEPTED, PREPARING, RUNNING)
PROGRESS_FIELDS = ("memory_total_bytes", "memory_processed_bytes",
                   "memory_remaining_bytes", "disk_total_bytes", "disk_processed_bytes",
                   "disk_remaining_bytes")

# The statuses an agent reports as the move goes on.
AGENT_STATUSES = frozenset({MIGRATING, POST_MIGRATING, FINISHED, ERROR, DONE, FAILED})


def create(session, instance, new_flavor, migration_type, user_id, project_id):
    """The record of a move of ``instance`` to ``new_flavor`` (its own for a cold
    migration), before a destination is chosen."""
    migration = models.Migration(
        instance_uuid=instance.uuid, migration_type=migration_type,
        status=PRE_MIGRATING, source_compute=instance.host, source_node=instance.node,
        old_flavor=instance.flavor, new_flavor=new_flavor,
        old_vm_state=instance.vm_state, user_id=user_id, project_id=project_id)
    session.add(migration)
    session.flush()
    return migration


def get(session, migration_uuid, lock=False):
    query = select(models.Migration).where(models.Migration.uuid == migration_uuid)
    if lock:
        query = query.with_for_update()
    migration = session.scalars(query).first()
    if migration is None:
        raise exception.MigrationNotFound(f"Migration {migration_uuid} could not be found.")
    return migration


def waiting_for_verdict(session, instance_uuid):
    """The server's move that awaits its confirm or revert, as Nova's
    ``get_by_instance_and_status(..., "finished")``; 404 otherwise."""
    migration = session.scalars(
        select(models.Migration)
        .where(models.Migration.instance_uuid == instance_uuid,
               models.Migration.status == FINISHED)
        .order_by(models.Migration.id.desc())).first()
    if migration is None:
        raise exception.MigrationNotFound(
            f"Instance {instance_uuid} has not been resized.")
    return migration


def evacuated_from(session, host):
    """Evacuations away from ``host`` whose leftovers there are still to remove."""
    return list(session.scalars(
        select(models.Migration)
        .where(models.Migration.migration_type == EVACUATION,
               models.Migration.source_compute == host,
               models.Migration.status.in_((DONE, FAILED)))
        .order_by(models.Migration.id)))


def live_in_progress(session, instance_uuid, migration_id=None):
    """The server's live migrations under way (or the one of ``migration_id``), as
    Nova's server-migrations API lists them."""
    query = select(models.Migration).where(
        models.Migration.instance_uuid == instance_uuid,
        models.Migration.migration_type == LIVE_MIGRATION,
        models.Migration.status.in_(LIVE_IN_PROGRESS)).order_by(models.Migration.id)
    if migration_id is not None:
        query = query.where(models.Migration.id == migration_id)
    return list(session.scalars(query))


def of_server(session, instance_uuid, migration_id):
    """Migration ``migration_id`` of the server, whatever its status; 404 otherwise."""
    migration = session.scalars(select(models.Migration).where(
        models.Migration.instance_uuid == instance_uuid,
        models.Migration.id == migration_id)).first()
    if migration is None:
        raise exception.MigrationNotFound(
            f"Migration {migration_id} for instance {instance_uuid} could not be found.")
    return migration


def set_progress(migration, stats):
    """Record how far a live migration got (bytes of memory and disk)."""
    for name in PROGRESS_FIELDS:
        if stats.get(name) is not None:
            setattr(migration, name, int(stats[name]))


def set_status(migration, status):
    migration.status = status
    migration.updated_at = utcnow()


def unconfirmed(session, older_than):
    """Moves waiting for a verdict since before ``older_than`` (auto-confirm)."""
    return list(session.scalars(
        select(models.Migration)
        .where(models.Migration.status == FINISHED,
               models.Migration.updated_at < older_than)
        .order_by(models.Migration.id)))


def apply_flavor(instance, flavor):
    """The server now runs with ``flavor`` (a ``flavors.snapshot``)."""
    instance.flavor = flavor
    instance.flavor_id = flavor["id"]
    instance.vcpus = flavor["vcpus"]
    instance.memory_mb = flavor["memory_mb"]
    instance.root_gb = flavor["root_gb"]
    instance.ephemeral_gb = flavor.get("ephemeral_gb", 0)


def list_migrations(session, instance_uuid=None, status=None, host=None,
                    source_compute=None, migration_type=None):
    """Moves, newest first, as ``GET /os-migrations`` filters them."""
    query = select(models.Migration).order_by(models.Migration.created_at.desc(),
                                              models.Migration.id.desc())
    if instance_uuid:
        query = query.where(models.Migration.instance_uuid == instance_uuid)
    if status:
        query = query.where(models.Migration.status == status)
    if host:
        query = query.where((models.Migration.source_compute == host)
                            | (models.Migration.dest_compute == host))
    if source_compute:
        query = query.where(models.Migration.source_compute == source_compute)
    if migration_type:
        query = query.where(models.Migration.migration_type == migration_type)
    return list(session.scalars(query))


def to_primitive(migration):
    """The migration as it crosses the bus (``contract.objects.Migration``)."""
    return {"uuid": migration.uuid, "instance_uuid": migration.instance_uuid,
            "migration_type": migration.migration_type, "status": migration.status,
            "source_compute": migration.source_compute,
            "source_node": migration.source_node,
            "dest_compute": migration.dest_compute, "dest_node": migration.dest_node,
            "dest_host": migration.dest_host, "old_flavor": migration.old_flavor,
            "new_flavor": migration.new_flavor, "old_vm_state": migration.old_vm_state,
            "created_at": isotime(migration.created_at)}


def confirm_on_delete(session, instance):
    """A server deleted while it waits for its confirm or revert is confirmed first
    (Nova's ``_confirm_resize_on_deleting``): returns (source host, migration uuid) for
    the source's agent to clean up after, or None."""
    if instance.vm_state != RESIZED:
        return None
    try:
        migration = waiting_for_verdict(session, instance.uuid)
    except exception.MigrationNotFound:
        return None
    set_status(migration, CONFIRMING)
    return migration.source_compute, migration.uuid
