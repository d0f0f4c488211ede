"""The conductor's part in moving a server (resize, cold migration), as Nova's
``MigrationTask`` and the database calls of its compute manager: choose and claim the
destination, then keep the instance, the migration record and the claims of both hosts
in step with what the agents report.

The claims follow Placement's migration allocations: while a move is under way the
source host's claim belongs to the migration (its uuid as the consumer) and the
destination's to the server, so both hosts count the server until the move is confirmed
(the source claim goes) or reverted (the destination claim goes, the source one returns
to the server).
"""
import datetime
import logging
import uuid as uuidlib

from contract import exception, objects, rpc
from contract import vm_states as states
from controller.compute import actions, instances, moves
from controller.compute import states as compute_states
from controller.db.base import utcnow
from controller.scheduler import NoValidHost, placement

LOG = logging.getLogger(__name__)

MIGRATE_EVENT = "conductor_migrate_server"
RUNNING = 1   # agent.virt.power_state.RUNNING, as the agent last reported it


class MoveTasks:
    """Mixed into ``ConductorManager`` (``self.db``, ``self.conf``, ``self.scheduler``,
    ``self.agents``, ``self._for_agent``)."""

    # --- from the compute API -------------------------------------------------------

    @staticmethod
    def _move_spec(instance, migration, host, same_host_allowed):
        spec = dict(instance.request_spec, instance_uuid=instance.uuid, num_instances=1,
                    flavor=migration.new_flavor, force_host=host)
        if not same_host_allowed:
            spec["ignore_hosts"] = sorted(set(spec.get("ignore_hosts") or [])
                                          | {instance.host})
        return spec

    def migrate_server(self, ctxt, instance_uuid, migration_uuid, host=None):
        started = utcnow()
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid)
            migration = moves.get(session, migration_uuid)
            same_host = (migration.migration_type == moves.RESIZE
                         and self.conf.compute.allow_resize_to_same_host)
            spec = self._move_spec(instance, migration, host, same_host)
            source = instance.host
        placement.move_allocation(self.db, instance_uuid, migration_uuid)
        try:
            selection = self.scheduler.select_destinations(
                ctxt, spec, [instance_uuid], return_alternates=False)[0][0]
        except NoValidHost as exc:
            placement.move_allocation(self.db, migration_uuid, instance_uuid)
            self._not_moved(ctxt, instance_uuid, migration_uuid, started, exc.args[0])
            raise
        with self.db.session() as session:
            migration = moves.get(session, migration_uuid, lock=True)
            migration.dest_compute = selection["host"]
            migration.dest_node = selection.get("nodename") or selection["host"]
            migration.dest_host = selection["host"]
            actions.add_finished_event(session, instance_uuid, ctxt.request_id,
                                       MIGRATE_EVENT, self.conf.host, started, utcnow())
        LOG.info("Moving %s from %s to %s", instance_uuid, source, selection["host"])
        self.agents.resize_instance(ctxt, source, instance_uuid, migration_uuid)

    def _not_moved(self, ctxt, instance_uuid, migration_uuid, started, reason,
                   task_state=states.RESIZE_PREP, event=MIGRATE_EVENT):
        """No destination: the server stays as it was, the migration is in error."""
        with self.db.session() as session:
            moves.set_status(moves.get(session, migration_uuid, lock=True), moves.ERROR)
            actions.add_finished_event(session, instance_uuid, ctxt.request_id,
                                       event, self.conf.host, started, utcnow(),
                                       actions.ERROR, reason)
            try:
                instances.update(session, instance_uuid, {"task_state": None},
                                 task_state)
            except (exception.InstanceNotFound, exception.UnexpectedTaskState):
                pass

    def evacuate_server(self, ctxt, instance_uuid, migration_uuid, host=None):
        """Rebuild a server whose host is down on another one: its claim there passes to
        the migration (released once that host has cleaned up), the new host is
        claimed, and its agent builds the server from the same image and ports."""
        started = utcnow()
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid)
            migration = moves.get(session, migration_uuid)
            spec = self._move_spec(instance, migration, host, same_host_allowed=False)
        placement.move_allocation(self.db, instance_uuid, migration_uuid)
        try:
            selection = self.scheduler.select_destinations(
                ctxt, spec, [instance_uuid], return_alternates=False)[0][0]
        except NoValidHost as exc:
            placement.move_allocation(self.db, migration_uuid, instance_uuid)
            with self.db.session() as session:
                instance = instances.get(session, instance_uuid, lock=True)
                instances.add_fault(session, instance, 400, exc.args[0], host=None)
            self._not_moved(ctxt, instance_uuid, migration_uuid, started, exc.args[0],
                            states.REBUILDING)
            return
        with self.db.session() as session:
            migration = moves.get(session, migration_uuid, lock=True)
            migration.dest_compute = migration.dest_host = selection["host"]
            migration.dest_node = selection.get("nodename") or selection["host"]
            instance = instances.get(session, instance_uuid, lock=True)
            instance.host = selection["host"]
            instance.node = migration.dest_node
            instance.updated_at = utcnow()
            actions.add_finished_event(session, instance_uuid, ctxt.request_id,
                                       MIGRATE_EVENT, self.conf.host, started, utcnow())
        LOG.info("Evacuating %s to %s", instance_uuid, selection["host"])
        self.agents.evacuate_instance(ctxt, selection["host"], instance_uuid,
                                      migration_uuid)

    def evacuations_from(self, ctxt, host, object_versions):
        """The evacuations away from ``host`` whose leftovers it still has."""
        with self.db.session() as session:
            return [self._migration_for_agent(migration, object_versions)
                    for migration in moves.evacuated_from(session, host)]

    def evacuation_cleaned(self, ctxt, migration_uuid):
        """The old host removed what the evacuated server left: its claim goes."""
        placement.release(self.db, migration_uuid)
        with self.db.session() as session:
            migration = moves.get(session, migration_uuid, lock=True)
            if migration.status == moves.DONE:
                moves.set_status(migration, moves.COMPLETED)

    # --- from the agents ------------------------------------------------------------

    @staticmethod
    def _migration_for_agent(migration, object_versions):
        return objects.backport(objects.Migration.from_dict(moves.to_primitive(migration)),
                                object_versions)

    def migration_get(self, ctxt, migration_uuid, object_versions):
        with self.db.session() as session:
            return self._migration_for_agent(moves.get(session, migration_uuid),
                                             object_versions)

    def migration_update(self, ctxt, migration_uuid, status):
        if status not in moves.AGENT_STATUSES:
            raise exception.InvalidRequest(f"An agent may not set status {status}.")
        with self.db.session() as session:
            moves.set_status(moves.get(session, migration_uuid, lock=True), status)
        if status == moves.ERROR:
            # The server is no longer on the source (it failed on the destination, or
            # confirming failed): nothing comes back to the source's claim.
            placement.release(self.db, migration_uuid)

    def resize_finishing(self, ctxt, instance_uuid, migration_uuid, host,
                         object_versions):
        with self.db.session() as session:
            migration = moves.get(session, migration_uuid, lock=True)
            instance = instances.update(session, instance_uuid,
                                        {"task_state": states.RESIZE_FINISH},
                                        states.RESIZE_MIGRATED)
            instance.host = host
            instance.node = migration.dest_node
            moves.apply_flavor(instance, migration.new_flavor)
            return self._for_agent(instance, object_versions)

    def resize_failed(self, ctxt, instance_uuid, migration_uuid, host, fault):
        placement.release(self.db, instance_uuid)
        placement.move_allocation(self.db, migration_uuid, instance_uuid)
        with self.db.session() as session:
            moves.set_status(moves.get(session, migration_uuid, lock=True), moves.ERROR)
            instance = instances.get(session, instance_uuid, lock=True)
            instance.task_state = None
            instance.updated_at = utcnow()
            instances.add_fault(session, instance, fault.get("code", 500),
                                fault["message"], fault.get("details"), host)

    def resize_confirmed(self, ctxt, instance_uuid, migration_uuid, host):
        placement.release(self.db, migration_uuid)
        with self.db.session() as session:
            moves.set_status(moves.get(session, migration_uuid, lock=True),
                             moves.CONFIRMED)
            try:
                instance = instances.get(session, instance_uuid, lock=True)
            except exception.InstanceNotFound:
                return    # deleted while waiting: the delete confirmed it
            if instance.vm_state == states.RESIZED:
                instance.vm_state = (states.ACTIVE if instance.power_state == RUNNING
                                     else states.STOPPED)
                instance.updated_at = utcnow()

    def resize_reverted(self, ctxt, instance_uuid, migration_uuid, host,
                        object_versions):
        with self.db.session() as session:
            migration = moves.get(session, migration_uuid, lock=True)
            instance = instances.get(session, instance_uuid, lock=True)
            states_ok = instance.task_state == states.RESIZE_REVERTING
            if not states_ok:
                raise exception.UnexpectedTaskState(
                    f"Instance {instance_uuid} is not reverting a resize.")
            instance.host = host
            instance.node = migration.source_node
            moves.apply_flavor(instance, migration.old_flavor)
            moves.set_status(migration, moves.REVERTED)
            instance.updated_at = utcnow()
            answer = self._for_agent(instance, object_versions)
        placement.release(self.db, instance_uuid)
        placement.move_allocation(self.db, migration_uuid, instance_uuid)
        return answer

    # --- periodic ---------------------------------------------------------------------

    def confirm_old_resizes(self, now=None):
        """Confirm the moves left waiting longer than ``[compute] resize_confirm_window``
        seconds (0: never), as Nova's ``_poll_unconfirmed_resizes``; returns their
        servers' UUIDs."""
        window = self.conf.compute.resize_confirm_window
        if not window:
            return []
        now = now or utcnow()
        with self.db.session() as session:
            waiting = [(m.uuid, m.instance_uuid) for m in moves.unconfirmed(
                session, now - datetime.timedelta(seconds=window))]
        confirmed = []
        for migration_uuid, instance_uuid in waiting:
            ctxt = rpc.RequestContext(is_admin=True,
                                      request_id=f"req-{uuidlib.uuid4()}")
            try:
                with self.db.session() as session:
                    instance = instances.get(session, instance_uuid, lock=True)
                    migration = moves.get(session, migration_uuid, lock=True)
                    if migration.status != moves.FINISHED:
                        continue
                    compute_states.begin_action(actions.CONFIRM_RESIZE, instance.vm_state,
                                                instance.task_state, instance_uuid)
                    moves.set_status(migration, moves.CONFIRMING)
                    actions.record(session, instance_uuid, actions.CONFIRM_RESIZE,
                                   ctxt.request_id, None, instance.project_id)
            except exception.ComputeError as exc:
                LOG.info("Not confirming the move of %s: %s", instance_uuid, exc)
                continue
            LOG.info("Confirming the move of %s after %d seconds", instance_uuid, window)
            self.agents.confirm_resize(ctxt, migration.source_compute, instance_uuid,
                                       migration_uuid)
            confirmed.append(instance_uuid)
        return confirmed
