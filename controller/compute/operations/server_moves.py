"""Moving a server: resize to another flavor, cold migration to another host, and the
confirm or revert that ends either — each checked against ``states.ACTIONS``, recorded
as an action and a migration record, and handed to the conductor (which chooses and
claims the destination) or to the agent that holds what the verdict concerns."""
import oslo_messaging as messaging

from contract import exception
from controller import policy
from controller.compute import actions, flavors, moves, quota, states
from controller.compute.exception import InstanceInvalidState
from controller.compute.operations.movable import check_movable
from controller.compute.operations.servers import agent_is_up, authorized
from controller.scheduler import AGENT_BINARY, NoValidHost, placement


class ServerMoves:
    def __init__(self, handles):
        """``handles``: the API's ``common.Handles`` (database, RPC)."""
        self.handles = handles
        self.conf = handles.conf
        self.db = handles.db

    @staticmethod
    def _new_flavor(session, auth, instance, flavor_ref):
        """The flavor a resize asks for, with Nova's refusals (400)."""
        flavor_id = str(flavor_ref).rstrip("/").rsplit("/", 1)[-1]
        flavor = flavors.find(session, flavor_id)
        if flavor is None or flavor.disabled or (not flavor.is_public
                                                 and not auth.is_admin):
            raise exception.InvalidRequest("Unable to locate requested flavor.")
        if flavor.id == instance.flavor_id:
            raise exception.InvalidRequest("When resizing, instances must change flavor!")
        if flavor.root_gb == 0 and instance.root_gb:
            raise exception.InvalidRequest(
                "Server disk was unable to be resized because: Resize to zero disk "
                "flavor is not allowed.")
        if flavor.root_gb < instance.root_gb:
            raise exception.InvalidRequest(
                "Server disk was unable to be resized because: Resize to smaller disk "
                "flavor is not allowed.")
        return flavors.snapshot(flavor)

    @staticmethod
    def _check_target_host(session, instance, host):
        if not placement.list_services(session, binary=AGENT_BINARY, host=host):
            raise exception.InvalidRequest(f"Compute host {host} could not be found.")
        if host == instance.host:
            raise exception.InvalidRequest(
                "Cannot migrate to the host where the server exists.")

    def resize(self, auth, request_id, instance_uuid, flavor_ref, authorize,
               disk_config=None):
        """Resize the server to flavor ``flavor_ref``: 400 for a flavor it cannot take
        or no host with room, 403 over quota, 409 in the wrong state. ``disk_config``
        (AUTO or MANUAL) becomes the server's ``OS-DCF:diskConfig``, as in Nova."""
        return self._start(auth, request_id, instance_uuid, authorize, actions.RESIZE,
                           flavor_ref=flavor_ref, disk_config=disk_config)

    def migrate(self, auth, request_id, instance_uuid, host, authorize):
        """Move the server to another host (``host``, or the scheduler's choice),
        keeping its flavor."""
        return self._start(auth, request_id, instance_uuid, authorize, actions.MIGRATE,
                           host=host)

    def _start(self, auth, request_id, instance_uuid, authorize, action, flavor_ref=None,
               host=None, disk_config=None):
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize, lock=True)
            task_state = states.check_action(action, instance, auth.is_admin)
            check_movable(self.handles, instance, action,
                          "resize_instance", "migrate_server", moves_volumes=True)
            if action == actions.RESIZE:
                flavor = self._new_flavor(session, auth, instance, flavor_ref)
                quota.check_servers(session, self.conf, instance.project_id, {
                    "cores": flavor["vcpus"] - instance.vcpus,
                    "ram": flavor["memory_mb"] - instance.memory_mb},
                    user_id=instance.user_id)
                migration_type = moves.RESIZE
            else:
                if host:
                    self._check_target_host(session, instance, host)
                flavor = instance.flavor
                migration_type = moves.MIGRATION
            migration = moves.create(session, instance, flavor, migration_type,
                                     auth.user_id, auth.project_id)
            migration_uuid = migration.uuid
            instance.task_state = task_state
            if disk_config is not None:
                instance.auto_disk_config = disk_config == "AUTO"
            actions.record(session, instance.uuid, action, request_id, auth.user_id,
                           auth.project_id)
        try:
            self.handles.conductor.migrate_server(
                auth.rpc_context(request_id), instance_uuid, migration_uuid, host,
                timeout=self.conf.compute.service_timeout)
        except NoValidHost as exc:
            raise exception.InvalidRequest(exc.args[0]) from None
        except messaging.MessagingTimeout:
            raise exception.ServiceUnavailable(
                "The conductor did not answer in time; the move may still go on.") from None

    def evacuate(self, auth, request_id, instance_uuid, host, authorize):
        """Rebuild the server elsewhere (``host``, or the scheduler's choice) because
        its host is down: 409 while that host's agent is up, as Nova."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize, lock=True)
            states.check_action("evacuate", instance, auth.is_admin)
            check_movable(self.handles, instance, "evacuate", "evacuate_instance",
                          "evacuate_server", moves_volumes=True)
            if host:
                if not placement.list_services(session, binary=AGENT_BINARY, host=host):
                    raise exception.InstanceNotFound(f"Compute host {host} not found.")
                if host == instance.host:
                    raise exception.InvalidRequest("The target host can't be the same one.")
            source = instance.host
        if agent_is_up(self.db, self.conf, source):
            raise InstanceInvalidState(f"Compute service of {source} is still in use.")
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize, lock=True)
            instance.task_state = states.check_action("evacuate", instance, auth.is_admin)
            migration = moves.create(session, instance, instance.flavor, moves.EVACUATION,
                                     auth.user_id, auth.project_id)
            moves.set_status(migration, moves.ACCEPTED)
            actions.record(session, instance_uuid, "evacuate", request_id, auth.user_id,
                           auth.project_id)
            migration_uuid = migration.uuid
        self.handles.conductor.evacuate_server(auth.rpc_context(request_id), instance_uuid,
                                               migration_uuid, host)

    def confirm_resize(self, auth, request_id, instance_uuid, authorize):
        """Keep the server where (and as) it now is: its source host lets it go."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize, lock=True)
            states.check_action(actions.CONFIRM_RESIZE, instance, auth.is_admin)
            migration = moves.waiting_for_verdict(session, instance_uuid)
            moves.set_status(migration, moves.CONFIRMING)
            actions.record(session, instance.uuid, actions.CONFIRM_RESIZE, request_id,
                           auth.user_id, auth.project_id)
            source, migration_uuid = migration.source_compute, migration.uuid
        self.handles.agents.confirm_resize(auth.rpc_context(request_id), source,
                                           instance_uuid, migration_uuid)

    def revert_resize(self, auth, request_id, instance_uuid, authorize):
        """Put the server back where and as it was: its destination host lets it go,
        then its source starts the guest it kept."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize, lock=True)
            task_state = states.check_action(actions.REVERT_RESIZE, instance,
                                             auth.is_admin)
            migration = moves.waiting_for_verdict(session, instance_uuid)
            moves.set_status(migration, moves.REVERTING)
            instance.task_state = task_state
            actions.record(session, instance.uuid, actions.REVERT_RESIZE, request_id,
                           auth.user_id, auth.project_id)
            dest, migration_uuid = migration.dest_compute, migration.uuid
        self.handles.agents.revert_resize(auth.rpc_context(request_id), dest,
                                          instance_uuid, migration_uuid)

    def list_migrations(self, auth, filters):
        """The moves ``GET /os-migrations`` lists (admins)."""
        policy.authorize(auth, "os_compute_api:os-migrations:index")
        with self.db.session() as session:
            found = moves.list_migrations(session, **filters)
            session.expunge_all()
            return found

