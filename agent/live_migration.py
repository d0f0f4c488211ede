"""The agent's part in a live migration, as Nova's compute manager does it: the
destination checks it can take the guest (``check_can_live_migrate_destination``), the
source decides whether the disks are copied (``check_can_live_migrate_source``); the
source then has the destination wire the ports and make the disks ready
(``pre_live_migration``; each volume gets a second attachment, exported there too),
moves the running guest (the driver's ``live_migration``, which an admin may abort or
force to complete), and on success has the destination take the server over (the
volumes' attachments there become the server's) before it cleans up after the guest
here; on failure the destination removes what it made (its attachments too) and the
guest runs on here, the ports bound here.

The claims, the migration record and the instance's host are the conductor's
(``controller.conductor.live_migration``); each step here reports to it.
"""
import functools
import logging

from agent import build
from agent.events import (agent_operation, fault_of, wrap_instance_event,
                          with_instance)
from agent.virt import driver as virt_driver
from contract import exception
from contract import vm_states as states

LOG = logging.getLogger(__name__)

RUNNING = "running"
ERROR = "error"
CANCELLED = "cancelled"
AUTO = "auto"


def decide_block_migration(requested, shared_storage):
    """Whether the disks must be copied: ``requested`` is True, False or "auto" (copy
    unless the hosts share their instance storage), as Nova decides it; a request
    the storage does not allow raises InvalidRequest with Nova's reason."""
    if requested == AUTO:
        return not shared_storage
    if requested and shared_storage:
        raise exception.InvalidRequest(
            "Migration pre-check error: Block migration can not be used with shared "
            "storage.")
    if not requested and not shared_storage:
        raise exception.InvalidRequest(
            "Migration pre-check error: Shared storage live-migration requires either "
            "shared storage or boot-from-volume with no local disks.")
    return bool(requested)


def _refusal(exc):
    """A driver's refusal as the API's 400."""
    return exception.InvalidRequest(f"Migration pre-check error: {exc}")


def live_request(function):
    """A request about a live migration under way (abort, force complete): it must not
    wait for the instance's lock, which the migration holds; a failure is logged."""

    @functools.wraps(function)
    def wrapper(self, ctxt, instance_uuid, *args, **kwargs):
        try:
            return function(self, ctxt, instance_uuid, *args, **kwargs)
        except Exception:
            LOG.exception("%s of %s on %s failed", function.__name__, instance_uuid,
                          self.host)
        return None

    return wrapper


class ServerLiveMigration:
    """Mixed into ``AgentManager`` (``self.driver``, ``self.ports``, ``self.volumes``,
    ``self.conductor``, ``self.agents``, ``self.host``, ``self.conf``)."""

    # --- the checks (calls from the conductor) -------------------------------------

    def check_can_live_migrate_destination(self, ctxt, instance_uuid, block_migration):
        """What the source must know of this host to decide and to send the guest."""
        instance = self.conductor.instance_get(ctxt, instance_uuid)
        try:
            dest_check = self.driver.check_can_live_migrate_destination(instance)
        except virt_driver.VirtError as exc:
            raise _refusal(exc) from None
        return dict(dest_check, dest_host=self.host, requested_block_migration=block_migration)

    def check_can_live_migrate_source(self, ctxt, instance_uuid, dest_check):
        """The ``migrate_data`` of the move: whether the disks are copied, and what
        the destination must make ready for them."""
        instance = self.conductor.instance_get(ctxt, instance_uuid)
        shared = self.driver.shares_storage_with(dest_check)
        block_migration = decide_block_migration(dest_check["requested_block_migration"],
                                                 shared)
        try:
            source_data = self.driver.check_can_live_migrate_source(instance,
                                                                     block_migration)
        except virt_driver.VirtError as exc:
            raise _refusal(exc) from None
        return dict(dest_check, source_host=self.host, shared_storage=shared,
                    block_migration=block_migration, **source_data)

    # --- on the destination (calls from the source) --------------------------------

    def pre_live_migration(self, ctxt, instance_uuid, migration_uuid, migrate_data):
        """Wire the server's ports here (bound to this host) and make its disks ready;
        returns ``migrate_data`` with the ports' ``network_info`` here and what the
        guest gets here (the driver's). On failure nothing of it is left here."""
        instance = self.conductor.instance_get(ctxt, instance_uuid)
        network_info = self.ports.move_here(ctxt, instance)
        volume_attachments = []
        try:
            volume_attachments, bdms = self.volumes.connect_second(ctxt, instance)
            drive = build.config_drive_meta(self.conf, instance, network_info)
            dest_data = self.driver.pre_live_migration(
                ctxt, instance, network_info, instance["image_meta"], drive,
                dict(migrate_data, block_device_info=bdms))
        except Exception:
            self.volumes.end_attachments(ctxt.auth_token, volume_attachments)
            self.ports.unwire(dict(instance, network_info=network_info))
            raise
        return dict(migrate_data, network_info=network_info,
                    volume_attachments=volume_attachments, **dest_data)

    def post_live_migration_at_destination(self, ctxt, instance_uuid, migration_uuid):
        """The guest runs here now: returns its power state."""
        instance = self.conductor.instance_get(ctxt, instance_uuid)
        self.driver.post_live_migration_at_destination(instance)
        return self.driver.get_power_state(instance)

    def rollback_live_migration_at_destination(self, ctxt, instance_uuid, migration_uuid,
                                               migrate_data):
        """The move failed: remove the guest's domain and disks made here (not those
        of shared storage) and unwire its ports here."""
        instance = self.conductor.instance_get(ctxt, instance_uuid)
        self.driver.rollback_live_migration_at_destination(instance, migrate_data)
        self.volumes.end_attachments(ctxt.auth_token,
                                     migrate_data.get("volume_attachments"))
        self.ports.unwire(dict(instance, network_info=migrate_data.get("network_info")
                               or instance["network_info"]))

    # --- on the source ---------------------------------------------------------------

    @agent_operation
    @wrap_instance_event("compute_live_migration")
    @with_instance
    def live_migration(self, ctxt, instance, migration_uuid, migrate_data):
        """Move the running guest to the destination; on failure it runs on here."""
        uuid = instance["uuid"]
        dest = migrate_data["dest_host"]
        timeout = self.conf.agent.live_migration_prepare_timeout
        if migration_uuid in self.aborted_live_migrations:
            self.aborted_live_migrations.discard(migration_uuid)
            self.conductor.live_migration_failed(ctxt, uuid, migration_uuid, CANCELLED)
            raise virt_driver.MigrationCancelled(
                f"Live migration of {uuid} aborted before it started.")
        try:
            migrate_data = self.agents.pre_live_migration(
                ctxt, dest, uuid, migration_uuid, migrate_data, timeout=timeout)
            self._unless_aborted(instance, migration_uuid)
            self.conductor.live_migration_progress(ctxt, migration_uuid, RUNNING)
            self.driver.live_migration(
                ctxt, instance, migrate_data,
                lambda stats: self._progress(ctxt, instance, migration_uuid, stats))
        except virt_driver.MigrationCancelled:
            self._rollback_live_migration(ctxt, instance, migration_uuid, migrate_data,
                                          CANCELLED)
            raise
        except Exception as exc:
            self._rollback_live_migration(ctxt, instance, migration_uuid, migrate_data,
                                          ERROR, fault_of(exc))
            raise
        power_state = self.agents.post_live_migration_at_destination(
            ctxt, dest, uuid, migration_uuid, timeout=timeout)
        self.conductor.live_migration_completed(
            ctxt, uuid, migration_uuid, dest,
            {"network_info": migrate_data["network_info"], "power_state": power_state})
        try:
            self.volumes.switch_to(ctxt, instance, migrate_data.get("volume_attachments"))
        except Exception:
            LOG.exception("The volumes of %s, now on %s, keep their attachments to %s",
                          uuid, dest, self.host)
        self.aborted_live_migrations.discard(migration_uuid)   # too late: it is done
        self.ports.unwire(instance)
        self.driver.post_live_migration_at_source(instance, migrate_data)
        LOG.info("Live-migrated %s to %s", uuid, dest)

    def _unless_aborted(self, instance, migration_uuid):
        """Raise MigrationCancelled if an admin aborted the migration while the
        destination prepared it."""
        if migration_uuid in self.aborted_live_migrations:
            self.aborted_live_migrations.discard(migration_uuid)
            raise virt_driver.MigrationCancelled(
                f"Live migration of {instance['uuid']} aborted while it was prepared.")

    def _progress(self, ctxt, instance, migration_uuid, stats):
        """Report the copy's progress; an abort that came while the copy started (too
        late for ``_unless_aborted``, too early for the driver) is carried out now."""
        if migration_uuid in self.aborted_live_migrations:
            self.aborted_live_migrations.discard(migration_uuid)
            self.driver.live_migration_abort(instance)
        self.conductor.live_migration_progress(ctxt, migration_uuid, RUNNING, stats)

    def _rollback_live_migration(self, ctxt, instance, migration_uuid, migrate_data,
                                 status, fault=None):
        """The guest stays here: the destination removes what it made, the ports are
        bound and wired here again, the conductor gives the claims back."""
        uuid = instance["uuid"]
        self.aborted_live_migrations.discard(migration_uuid)
        try:
            self.agents.rollback_live_migration_at_destination(
                ctxt, migrate_data["dest_host"], uuid, migration_uuid, migrate_data,
                timeout=self.conf.agent.live_migration_prepare_timeout)
        except Exception:
            LOG.exception("The destination %s could not remove what it made for %s",
                          migrate_data["dest_host"], uuid)
        try:
            self.ports.move_here(ctxt, instance)
        finally:
            self.conductor.live_migration_failed(ctxt, uuid, migration_uuid, status,
                                                 fault)

    @live_request
    @wrap_instance_event("compute_live_migration_force_complete")
    def live_migration_force_complete(self, ctxt, instance_uuid, migration_uuid):
        """Pause the guest so that the copy of its memory catches up and completes (it
        runs again on the destination)."""
        instance = self.conductor.instance_get(ctxt, instance_uuid)
        if instance["task_state"] != states.MIGRATING:
            raise exception.InvalidRequest(f"Instance {instance_uuid} is not migrating.")
        self.driver.live_migration_force_complete(instance)

    @live_request
    @wrap_instance_event("compute_live_migration_abort")
    def live_migration_abort(self, ctxt, instance_uuid, migration_uuid):
        """Cancel the copy; ``live_migration`` then rolls back (cancelled)."""
        instance = self.conductor.instance_get(ctxt, instance_uuid)
        self.driver.live_migration_abort(instance)

    @live_request
    @wrap_instance_event("compute_live_migration_abort")
    def abort_queued_live_migration(self, ctxt, instance_uuid, migration_uuid):
        """Cancel the migration whatever its stage (Nova from API 2.65): one being
        prepared stops before the copy (``live_migration`` sees the mark), one copying
        is aborted by the driver."""
        instance = self.conductor.instance_get(ctxt, instance_uuid)
        self.aborted_live_migrations.add(migration_uuid)
        try:
            self.driver.live_migration_abort(instance)
        except virt_driver.VirtError:
            return      # not copying yet: the mark stops it
        self.aborted_live_migrations.discard(migration_uuid)
