"""Live migration of a server (``os-migrateLive``) and the server-migrations API that
follows it (list and show the one under way, force it to complete, abort it), as Nova's
compute API: checked against ``states.ACTIONS``, recorded as an action and a migration
of type live-migration, and handed to the conductor, which chooses (or checks) and
claims the destination and runs both hosts' checks before the source's agent moves the
guest."""
import oslo_messaging as messaging

from contract import exception
from controller.compute import actions, moves, states
from controller.compute.operations.movable import check_movable
from controller.compute.operations.servers import authorized
from controller.scheduler import AGENT_BINARY, NoValidHost, placement

LIVE_MIGRATE = "os-migrateLive"
ABORT = "live_migration_abort"
ABORT_QUEUED = "abort_queued_live_migration"
FORCE_COMPLETE = "live_migration_force_complete"


class ServerLiveMigration:
    def __init__(self, handles):
        """``handles``: the API's ``common.Handles`` (database, RPC)."""
        self.handles = handles
        self.conf = handles.conf
        self.db = handles.db

    def live_migrate(self, auth, request_id, instance_uuid, host, block_migration, force,
                     authorize, report_failure):
        """Move the running server to ``host`` (or the scheduler's choice) while it
        runs. ``block_migration``: True, False or "auto" (copy the disks unless the
        hosts share their storage). A destination that cannot take it raises
        InvalidRequest (400) when ``report_failure`` (before 2.34), else the failure is
        only the action's event and the migration's error status, as Nova's
        asynchronous checks."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize, lock=True)
            task_state = states.check_action(LIVE_MIGRATE, instance, auth.is_admin)
            check_movable(self.handles, instance, LIVE_MIGRATE, "live_migration",
                          "live_migrate_server", moves_volumes=True)
            if host:
                if not placement.list_services(session, binary=AGENT_BINARY, host=host):
                    raise exception.InvalidRequest(f"Compute host {host} could not be "
                                                   f"found.")
                if host == instance.host:
                    raise exception.InvalidRequest(
                        f"Unable to migrate instance ({instance_uuid}) to current host "
                        f"({host}).")
            migration = moves.create(session, instance, instance.flavor,
                                     moves.LIVE_MIGRATION, auth.user_id, auth.project_id)
            moves.set_status(migration, moves.ACCEPTED)
            migration_uuid = migration.uuid
            instance.task_state = task_state
            actions.record(session, instance_uuid, "live-migration", request_id,
                           auth.user_id, auth.project_id)
        try:
            self.handles.conductor.live_migrate_server(
                auth.rpc_context(request_id), instance_uuid, migration_uuid, host,
                block_migration, force, timeout=self.conf.compute.service_timeout)
        except (NoValidHost, exception.InvalidRequest) as exc:
            if report_failure:
                raise exception.InvalidRequest(exc.args[0]) from None
        except messaging.MessagingTimeout:
            raise exception.ServiceUnavailable(
                "The conductor did not answer in time; the live migration may still go "
                "on.") from None

    def _running(self, session, auth, instance_uuid, migration_id, authorize, action):
        """The server (locked) and its live migration ``migration_id``, for ``action``:
        404 for another server's or an unknown migration; 409 for a server that is not
        live-migrating."""
        instance = authorized(session, auth, instance_uuid, authorize, lock=True)
        migration = moves.of_server(session, instance_uuid, migration_id)
        states.check_action(action, instance, auth.is_admin)
        return instance, migration

    def force_complete(self, auth, request_id, instance_uuid, migration_id, authorize):
        """Make the live migration finish now (the guest is paused for its last copy);
        400 unless it is a live migration that runs."""
        with self.db.session() as session:
            instance, migration = self._running(session, auth, instance_uuid, migration_id,
                                                authorize, FORCE_COMPLETE)
            if (migration.migration_type != moves.LIVE_MIGRATION
                    or migration.status != moves.RUNNING):
                raise exception.InvalidRequest(
                    f"Migration {migration_id} state of instance {instance_uuid} is "
                    f"{migration.status}. Cannot force_complete while the migration is "
                    f"in this state.")
            actions.record(session, instance_uuid, "live_migration_force_complete",
                           request_id, auth.user_id, auth.project_id)
            host, migration_uuid = instance.host, migration.uuid
        self.handles.agents.live_migration_force_complete(
            auth.rpc_context(request_id), host, instance_uuid, migration_uuid)

    def abort(self, auth, request_id, instance_uuid, migration_id, authorize,
              preparing_too=False):
        """Cancel the live migration (the guest stays where it was); 400 unless it is a
        live migration that runs, or (``preparing_too``, Nova from 2.65) one still
        being prepared, which needs agents that know how (409 otherwise)."""
        allowed = (moves.PREPARING, moves.RUNNING) if preparing_too else (moves.RUNNING,)
        with self.db.session() as session:
            instance, migration = self._running(session, auth, instance_uuid, migration_id,
                                                authorize, ABORT)
            if (migration.migration_type != moves.LIVE_MIGRATION
                    or migration.status not in allowed):
                raise exception.InvalidRequest(
                    f"Migration {migration_id} state of instance {instance_uuid} is "
                    f"{migration.status}. Cannot abort while the migration is in this "
                    f"state.")
            preparing = migration.status == moves.PREPARING
            if preparing:
                self.handles.agents.check_can_send(ABORT_QUEUED)
            actions.record(session, instance_uuid, "live_migration_cancel", request_id,
                           auth.user_id, auth.project_id)
            host, migration_uuid = instance.host, migration.uuid
        send = (self.handles.agents.abort_queued_live_migration if preparing
                else self.handles.agents.live_migration_abort)
        send(auth.rpc_context(request_id), host, instance_uuid, migration_uuid)

    def in_progress(self, auth, instance_uuid, authorize, migration_id=None):
        """The server's live migrations under way (``migration_id``: that one, 404 when
        it is not under way)."""
        with self.db.session() as session:
            authorized(session, auth, instance_uuid, authorize)
            found = moves.live_in_progress(session, instance_uuid, migration_id)
            if migration_id is not None and not found:
                raise exception.MigrationNotFound(
                    f"In-progress live migration {migration_id} is not found for server "
                    f"{instance_uuid}.")
            session.expunge_all()
            return found
