"""The conductor's part in a live migration, as Nova's ``LiveMigrationTask`` and the
database calls of its compute manager: choose (or check) and claim the destination,
have both hosts' agents check that the guest can go there, then hand the move to the
source's agent and keep the instance, the migration and the claims in step with what
it reports.

The claims follow Placement's migration allocations, as for a cold migration: while
the guest moves, the source's claim belongs to the migration and the destination's to
the server; on success the source's goes, on failure the destination's goes and the
source's is the server's again.
"""
import logging

import oslo_messaging as messaging

from contract import exception
from contract import vm_states as states
from controller.compute import actions, instances, moves
from controller.db.base import utcnow
from controller.scheduler import AGENT_BINARY, NoValidHost, placement

LOG = logging.getLogger(__name__)

LIVE_MIGRATE_EVENT = "conductor_live_migrate_instance"


def check_compatible(source_node, dest_node):
    """Refuse (InvalidRequest, a 400 with the reason) a destination whose hypervisor
    cannot run the source's guest: another hypervisor type or CPU architecture (Nova's
    ``_check_compatible_with_source_hypervisor``)."""
    if dest_node is None:
        raise exception.InvalidRequest("The destination host reports no hypervisor.")
    if source_node is None:
        return
    if source_node.hypervisor_type != dest_node.hypervisor_type:
        raise exception.InvalidRequest(
            f"Unable to migrate instance to {dest_node.host}: its hypervisor type "
            f"({dest_node.hypervisor_type}) differs from the source's "
            f"({source_node.hypervisor_type}).")
    if source_node.cpu_arch != dest_node.cpu_arch:
        raise exception.InvalidRequest(
            f"Unable to migrate instance to {dest_node.host}: its CPU architecture "
            f"({dest_node.cpu_arch}) is incompatible with the source's "
            f"({source_node.cpu_arch}).")


class LiveMigrationTasks:
    """Mixed into ``ConductorManager`` (``self.db``, ``self.conf``, ``self.scheduler``,
    ``self.agents``, ``self._for_agent``, ``self._move_spec``)."""

    # --- from the compute API -------------------------------------------------------

    @messaging.expected_exceptions(NoValidHost, exception.InvalidRequest)
    def live_migrate_server(self, ctxt, instance_uuid, migration_uuid, host,
                            block_migration, force=False):
        started = utcnow()
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid)
            migration = moves.get(session, migration_uuid)
            spec = self._move_spec(instance, migration, host, same_host_allowed=False)
            source = instance.host
        placement.move_allocation(self.db, instance_uuid, migration_uuid)
        try:
            dest, migrate_data = self._live_destination(ctxt, instance_uuid, source, spec,
                                                        host, block_migration)
        except (NoValidHost, exception.InvalidRequest) as exc:
            placement.move_allocation(self.db, migration_uuid, instance_uuid)
            self._not_moved(ctxt, instance_uuid, migration_uuid, started, exc.args[0],
                            task_state=states.MIGRATING, event=LIVE_MIGRATE_EVENT)
            raise
        with self.db.session() as session:
            migration = moves.get(session, migration_uuid, lock=True)
            migration.dest_compute = migration.dest_host = dest["host"]
            migration.dest_node = dest.get("nodename") or dest["host"]
            moves.set_status(migration, moves.PREPARING)
            actions.add_finished_event(session, instance_uuid, ctxt.request_id,
                                       LIVE_MIGRATE_EVENT, self.conf.host, started,
                                       utcnow())
        LOG.info("Live-migrating %s from %s to %s (block migration: %s)", instance_uuid,
                 source, dest["host"], migrate_data["block_migration"])
        self.agents.live_migration(ctxt, source, instance_uuid, migration_uuid,
                                   migrate_data)

    def _live_destination(self, ctxt, instance_uuid, source, spec, host, block_migration):
        """The claimed destination and the source's ``migrate_data``: the scheduler's
        hosts are tried in turn until both agents agree (``[scheduler] max_attempts``);
        a host the admin named is the only one."""
        source_node = placement.get_compute_node(self.db, source)
        attempts = 1 if host else self.conf.scheduler.max_attempts
        reason = None
        for _ in range(attempts):
            try:
                dest = self.scheduler.select_destinations(
                    ctxt, spec, [instance_uuid], return_alternates=False)[0][0]
            except NoValidHost as exc:
                raise NoValidHost(reason or exc.args[0]) from None
            try:
                check_compatible(source_node,
                                 placement.get_compute_node(self.db, dest["host"]))
                migrate_data = self._live_checks(ctxt, instance_uuid, source, dest["host"],
                                                 block_migration)
                return dest, migrate_data
            except exception.InvalidRequest as exc:
                placement.release(self.db, instance_uuid)
                reason = exc.args[0]
                LOG.info("Not live-migrating %s to %s: %s", instance_uuid, dest["host"],
                         reason)
                spec["ignore_hosts"] = sorted(set(spec["ignore_hosts"]) | {dest["host"]})
        if host:
            raise exception.InvalidRequest(reason)
        raise NoValidHost(f"No valid host was found. {reason}")

    def _live_checks(self, ctxt, instance_uuid, source, dest, block_migration):
        """Both agents' checks (Nova's ``check_can_live_migrate_destination`` and
        ``_source``); an agent that does not answer is a refusal."""
        timeout = self.conf.compute.service_timeout
        services = placement.list_services(self.db, binary=AGENT_BINARY, host=dest)
        if not services or not placement.is_up(services[0], utcnow(),
                                               self.conf.scheduler.service_down_time):
            raise exception.InvalidRequest(
                f"Compute service of {dest} is unavailable at this time.")
        try:
            dest_check = self.agents.check_can_live_migrate_destination(
                ctxt, dest, instance_uuid, block_migration, timeout=timeout)
            return self.agents.check_can_live_migrate_source(
                ctxt, source, instance_uuid, dest_check, timeout=timeout)
        except messaging.MessagingTimeout:
            raise exception.InvalidRequest(
                f"The agents of {source} and {dest} did not finish their checks in "
                f"time.") from None

    # --- from the agents ------------------------------------------------------------

    def live_migration_progress(self, ctxt, migration_uuid, status, stats=None):
        if status not in (moves.PREPARING, moves.RUNNING):
            raise exception.InvalidRequest(f"An agent may not set status {status}.")
        with self.db.session() as session:
            migration = moves.get(session, migration_uuid, lock=True)
            if migration.status in (moves.COMPLETED, moves.ERROR, moves.CANCELLED):
                return
            moves.set_progress(migration, stats or {})
            moves.set_status(migration, status)

    def live_migration_completed(self, ctxt, instance_uuid, migration_uuid, host, updates,
                                 object_versions):
        allowed = {"network_info", "power_state"}
        if set(updates) - allowed:
            raise exception.InvalidRequest(
                f"A live migration may not update {sorted(set(updates) - allowed)}.")
        with self.db.session() as session:
            migration = moves.get(session, migration_uuid, lock=True)
            instance = instances.update(session, instance_uuid,
                                        dict(updates, task_state=None), states.MIGRATING)
            instance.host = host
            instance.node = migration.dest_node
            moves.set_status(migration, moves.COMPLETED)
            answer = self._for_agent(instance, object_versions)
        placement.release(self.db, migration_uuid)
        return answer

    def live_migration_failed(self, ctxt, instance_uuid, migration_uuid, status,
                              fault=None):
        if status not in (moves.ERROR, moves.CANCELLED):
            raise exception.InvalidRequest(f"A live migration cannot end as {status}.")
        placement.release(self.db, instance_uuid)
        placement.move_allocation(self.db, migration_uuid, instance_uuid)
        with self.db.session() as session:
            moves.set_status(moves.get(session, migration_uuid, lock=True), status)
            try:
                instance = instances.get(session, instance_uuid, lock=True)
            except exception.InstanceNotFound:
                return
            if instance.task_state == states.MIGRATING:
                instance.task_state = None
                instance.updated_at = utcnow()
            if fault:
                instances.add_fault(session, instance, fault.get("code", 500),
                                    fault["message"], fault.get("details"), instance.host)
