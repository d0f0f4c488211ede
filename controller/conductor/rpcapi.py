"""How the compute API and the agents talk to the conductor — the only way they do.

Agents import this module, so it imports nothing of the database. Instances cross the bus
as ``contract.objects.Instance`` (plain dicts before 1.3; both read as mappings); errors
the caller may handle come back as ``contract.exception`` classes.

Versions (the conductor serves every version up to its own; a sender asks for the one
that brought the method):

- 1.0: build_instances; the agents' instance, action-event, build-failed, destroyed,
  heartbeat, inventory and claim calls
- 1.1: block_device_update, block_device_destroy (volumes), get_instance_metadata (the
  metadata service). 1.1 also dropped allocate_networks: agents make their ports
  themselves, and no agent calls it.
- 1.2: instance_fault_create (a failed snapshot or rebuild says why)
- 1.3: instance_get, instance_update and instances_on_host take ``object_versions``
  (the caller's ``contract.objects.versions()``) and answer ``Instance`` objects
  backported to them; without it, dicts as before.
- 1.4: moving servers (resize, cold migration): migrate_server from the compute API;
  the agents' migration_get, migration_update, resize_finishing, resize_failed,
  resize_confirmed, resize_reverted (``contract.objects.Migration``); shelving:
  unshelve_instance from the API, instance_offloaded from agents; evacuation:
  evacuate_server from the API, evacuations_from and evacuation_cleaned from agents.
- 1.5: live migration: live_migrate_server from the compute API; the agents'
  live_migration_progress, live_migration_completed, live_migration_failed.

The compute API asks ``check_can_send`` before it starts an action the conductor
carries out: a conductor capped below the method's version makes it a 409
(``ConductorTooOld``) with nothing changed.

While the conductor runs an older release, ``[upgrade_levels] conductor`` caps what is
sent: below 1.3 the agent asks for (and reads) dicts; below 1.2 a fault is not recorded
(logged instead).
"""
import logging

import amqp.exceptions
import kombu.exceptions
import oslo_messaging as messaging

from conf import CONF
from contract import exception, objects, rpc

LOG = logging.getLogger(__name__)

BASE_VERSION = "1.0"
LATEST_VERSION = "1.5"
MOVES_VERSION = "1.4"
LIVE_MIGRATION_VERSION = "1.5"
# The methods the compute API sends → the version that brought them.
API_METHOD_VERSIONS = {"migrate_server": MOVES_VERSION, "unshelve_instance": MOVES_VERSION,
                       "evacuate_server": MOVES_VERSION,
                       "live_migrate_server": LIVE_MIGRATION_VERSION}
# Reconnection attempts a build's cast makes before it gives up (about 1 + 3 s).
BUILD_CAST_RETRIES = 2
# Seconds an agent's heartbeat (or inventory report) waits for its answer: one lost
# with a restarting broker or conductor must not hold back the next, or the agent
# would look down long after they are back.
HEARTBEAT_TIMEOUT = 10
# What the messaging driver raises when the broker cannot be reached or drops the
# connection mid-send: besides oslo.messaging's own, kombu's and py-amqp's errors and
# the socket's.
DELIVERY_ERRORS = (messaging.MessageDeliveryFailure, messaging.MessageUndeliverable,
                   messaging.ClientSendError, kombu.exceptions.KombuError,
                   amqp.exceptions.AMQPError, OSError)


class ConductorAPI:
    def __init__(self, timeout=None, version_cap=None):
        self.client = rpc.get_client(
            rpc.CONDUCTOR_TOPIC, BASE_VERSION, timeout=timeout,
            version_cap=version_cap or CONF.upgrade_levels.conductor or LATEST_VERSION)

    def _instance_call(self, ctxt, method, **kwargs):
        """A call answering instances: objects in this side's versions where the
        conductor can (1.3), dicts from an older one."""
        if self.client.can_send_version("1.3"):
            return self.client.prepare(version="1.3").call(
                ctxt, method, object_versions=objects.versions(), **kwargs)
        return self.client.call(ctxt, method, **kwargs)

    # --- from the compute API ---------------------------------------------------------

    def build_instances(self, ctxt, instance_uuids, request_spec):
        """Schedule and build servers the API has recorded as building/scheduling.
        While the message bus is unreachable this gives up after a few reconnection
        attempts (``oslo_messaging.MessageDeliveryFailure``) rather than hold the API
        request: the build is recorded, and the conductor's check of stuck builds sends
        it again. Any error of the driver's in sending comes out as that one."""
        try:
            self.client.prepare(retry=BUILD_CAST_RETRIES).cast(
                ctxt, "build_instances", instance_uuids=instance_uuids,
                request_spec=request_spec)
        except messaging.MessageDeliveryFailure:
            raise
        except DELIVERY_ERRORS as error:
            raise messaging.MessageDeliveryFailure(
                f"Sending build_instances failed: {error!r}") from error

    # --- from agents: instances ---------------------------------------------------------

    def instance_get(self, ctxt, instance_uuid):
        """The instance; raises InstanceNotFound once it is deleted."""
        return self._instance_call(ctxt, "instance_get", instance_uuid=instance_uuid)

    def instance_update(self, ctxt, instance_uuid, updates, expected_task_state=None,
                        expected_host=None):
        """Apply ``updates`` (vm_state, task_state, power_state, launched_at,
        network_info) only if the task_state is still one of ``expected_task_state`` and
        the instance still on ``expected_host`` (each when given); raises
        UnexpectedTaskState / UnexpectedDeletingTaskState otherwise. Returns the updated
        instance."""
        return self._instance_call(ctxt, "instance_update", instance_uuid=instance_uuid,
                                   updates=updates,
                                   expected_task_state=expected_task_state,
                                   expected_host=expected_host)

    def instances_on_host(self, ctxt, host):
        """Every instance the database places on ``host`` (not deleted)."""
        return self._instance_call(ctxt, "instances_on_host", host=host)

    def action_event_start(self, ctxt, instance_uuid, event, host):
        """Record that a step of the current action (by request id) began on ``host``."""
        self.client.call(ctxt, "action_event_start", instance_uuid=instance_uuid,
                         event=event, host=host)

    def action_event_finish(self, ctxt, instance_uuid, event, host, result, details=None):
        """Record how the step ended: ``result`` is "Success" or "Error"."""
        self.client.call(ctxt, "action_event_finish", instance_uuid=instance_uuid,
                         event=event, host=host, result=result, details=details)

    def instance_fault_create(self, ctxt, instance_uuid, host, fault):
        """Record why an action on the instance failed (``fault``: code, message,
        details), shown as the server's ``fault``; raises InstanceNotFound once it is
        deleted. A conductor older than 1.2 cannot: the fault is logged only."""
        if not self.client.can_send_version("1.2"):
            LOG.warning("Fault of %s not recorded (conductor capped below 1.2): %s",
                        instance_uuid, fault.get("message"))
            return
        self.client.prepare(version="1.2").call(ctxt, "instance_fault_create",
                                                instance_uuid=instance_uuid, host=host,
                                                fault=fault)

    def build_failed(self, ctxt, instance_uuid, host, fault, retry=True):
        """The build on ``host`` failed: release its claim and try an alternate host if
        ``retry`` (and attempts remain), else set ERROR with ``fault`` as the reason."""
        self.client.cast(ctxt, "build_failed", instance_uuid=instance_uuid, host=host,
                         fault=fault, retry=retry)

    def instance_destroyed(self, ctxt, instance_uuid, host):
        """The guest and its ports are gone from ``host``: mark the instance deleted and
        release its claim."""
        self.client.call(ctxt, "instance_destroyed", instance_uuid=instance_uuid, host=host)

    # --- from agents: the host ---------------------------------------------------------

    def service_heartbeat(self, ctxt, host, availability_zone=None):
        """The agent on ``host`` is alive (its compute service is up)."""
        self.client.prepare(timeout=HEARTBEAT_TIMEOUT).call(
            ctxt, "service_heartbeat", host=host, availability_zone=availability_zone)

    def report_inventory(self, ctxt, host, resources, availability_zone=None):
        """The host's capacity as its driver reports it (get_available_resource)."""
        self.client.prepare(timeout=HEARTBEAT_TIMEOUT).call(
            ctxt, "report_inventory", host=host, resources=resources,
            availability_zone=availability_zone)

    def claim_release(self, ctxt, instance_uuid):
        """Give back the resources claimed for the instance. Idempotent."""
        self.client.call(ctxt, "claim_release", instance_uuid=instance_uuid)

    # --- from agents: volumes ----------------------------------------------------------

    def block_device_update(self, ctxt, bdm_id, updates):
        """Record on a block device mapping (``id`` in the instance's
        ``block_device_mappings``) the volume made for it, its attachment, or the device
        the guest got."""
        self.client.prepare(version="1.1").call(ctxt, "block_device_update", bdm_id=bdm_id,
                                                updates=updates)

    def block_device_destroy(self, ctxt, bdm_id):
        """The volume left the server (detached, or its attach was undone)."""
        self.client.prepare(version="1.1").call(ctxt, "block_device_destroy", bdm_id=bdm_id)

    def get_instance_metadata(self, ctxt, instance_uuid, host):
        """The metadata documents (``contract.guest_metadata.documents``) of an
        instance on ``host``; raises InstanceNotFound for one deleted or elsewhere."""
        return self.client.prepare(version="1.1").call(
            ctxt, "get_instance_metadata", instance_uuid=instance_uuid, host=host)

    # --- moving servers (1.4) ----------------------------------------------------------

    def check_can_send(self, method):
        """Refuse (``ConductorTooOld``, a 409) an API method the cap cannot carry,
        before the caller changes any state for it."""
        version = API_METHOD_VERSIONS[method]
        if not self.client.can_send_version(version):
            raise exception.ConductorTooOld(
                f"This action is not available yet: it needs version {version} of the "
                f"conductor's RPC API ({method}), and [upgrade_levels] conductor caps "
                f"messages to it below that until it is upgraded.")

    def migrate_server(self, ctxt, instance_uuid, migration_uuid, host=None,
                       timeout=None):
        """Choose (and claim) the destination of a resize or cold migration the API
        recorded, then hand the move to the source host's agent; ``host``: the one an
        admin asked for. A call: raises NoValidHost (the server and the claims back as
        they were) so that the API can answer 400 as Nova does."""
        self.client.prepare(version=MOVES_VERSION, timeout=timeout).call(
            ctxt, "migrate_server", instance_uuid=instance_uuid,
            migration_uuid=migration_uuid, host=host)

    def migration_get(self, ctxt, migration_uuid):
        """The ``Migration`` (raises MigrationNotFound)."""
        return self.client.prepare(version=MOVES_VERSION).call(
            ctxt, "migration_get", migration_uuid=migration_uuid,
            object_versions=objects.versions())

    def migration_update(self, ctxt, migration_uuid, status):
        """The move reached ``status`` (migrating, post-migrating, finished, error)."""
        self.client.prepare(version=MOVES_VERSION).call(
            ctxt, "migration_update", migration_uuid=migration_uuid, status=status)

    def resize_finishing(self, ctxt, instance_uuid, migration_uuid, host):
        """The destination ``host`` takes the server over: it is there now, with the
        new flavor (task_state resize_migrated → resize_finish). Returns the instance."""
        return self.client.prepare(version=MOVES_VERSION).call(
            ctxt, "resize_finishing", instance_uuid=instance_uuid,
            migration_uuid=migration_uuid, host=host, object_versions=objects.versions())

    def resize_failed(self, ctxt, instance_uuid, migration_uuid, host, fault):
        """The move failed before the server left ``host`` (its guest is back as it
        was): the destination's claim goes, the source's returns to the server, the
        migration is in error and the server keeps ``fault`` as its reason."""
        self.client.prepare(version=MOVES_VERSION).call(
            ctxt, "resize_failed", instance_uuid=instance_uuid,
            migration_uuid=migration_uuid, host=host, fault=fault)

    def resize_confirmed(self, ctxt, instance_uuid, migration_uuid, host):
        """The source ``host`` has let the server go: its claim there is released, the
        migration confirmed, the server ACTIVE (or SHUTOFF) where it is."""
        self.client.prepare(version=MOVES_VERSION).call(
            ctxt, "resize_confirmed", instance_uuid=instance_uuid,
            migration_uuid=migration_uuid, host=host)

    def resize_reverted(self, ctxt, instance_uuid, migration_uuid, host):
        """The source ``host`` takes the server back: there again with its old flavor,
        the destination's claim released and the source's the server's again. Returns
        the instance."""
        return self.client.prepare(version=MOVES_VERSION).call(
            ctxt, "resize_reverted", instance_uuid=instance_uuid,
            migration_uuid=migration_uuid, host=host, object_versions=objects.versions())

    def unshelve_instance(self, ctxt, instance_uuid, image_id, image_meta):
        """Schedule (and claim) a host for a shelved, offloaded server and have its agent
        build it from the snapshot ``image_id``; no host: it stays offloaded."""
        self.client.prepare(version=MOVES_VERSION).cast(
            ctxt, "unshelve_instance", instance_uuid=instance_uuid, image_id=image_id,
            image_meta=image_meta)

    def instance_offloaded(self, ctxt, instance_uuid, host, expected_task_state,
                           fault=None):
        """The server left ``host`` (its guest removed, ports unwired): on no host,
        SHELVED_OFFLOADED, its claim released — after an offload, or an unshelve that
        failed there (``fault``: why)."""
        self.client.prepare(version=MOVES_VERSION).call(
            ctxt, "instance_offloaded", instance_uuid=instance_uuid, host=host,
            expected_task_state=expected_task_state, fault=fault)

    def evacuate_server(self, ctxt, instance_uuid, migration_uuid, host=None):
        """Rebuild on another host (``host``, or the scheduler's choice) a server whose
        host is down."""
        self.client.prepare(version=MOVES_VERSION).cast(
            ctxt, "evacuate_server", instance_uuid=instance_uuid,
            migration_uuid=migration_uuid, host=host)

    def evacuations_from(self, ctxt, host):
        """The ``Migration`` of each server evacuated away from ``host`` whose leftovers
        there are still to remove."""
        return self.client.prepare(version=MOVES_VERSION).call(
            ctxt, "evacuations_from", host=host, object_versions=objects.versions())

    def evacuation_cleaned(self, ctxt, migration_uuid):
        """``host`` removed what an evacuated server left there: release its claim."""
        self.client.prepare(version=MOVES_VERSION).call(
            ctxt, "evacuation_cleaned", migration_uuid=migration_uuid)

    # --- live migration (1.5) ------------------------------------------------------------

    def _live(self):
        return self.client.prepare(version=LIVE_MIGRATION_VERSION)

    def live_migrate_server(self, ctxt, instance_uuid, migration_uuid, host,
                            block_migration, force=False, timeout=None):
        """Choose (or check) and claim the destination of a live migration the API
        recorded, run the hosts' checks, and hand it to the source host's agent. A
        call: raises NoValidHost or InvalidRequest (the server untouched, the claims as
        they were) for the API's 400. ``block_migration``: True, False or "auto";
        ``force``: an admin's host, not checked by the scheduler."""
        self.client.prepare(version=LIVE_MIGRATION_VERSION, timeout=timeout).call(
            ctxt, "live_migrate_server", instance_uuid=instance_uuid,
            migration_uuid=migration_uuid, host=host, block_migration=block_migration,
            force=force)

    def live_migration_progress(self, ctxt, migration_uuid, status, stats=None):
        """The live migration is ``status`` (preparing, running), ``stats``: bytes of
        memory and disk (``controller.compute.moves.PROGRESS_FIELDS``) copied so far."""
        self._live().call(ctxt, "live_migration_progress", migration_uuid=migration_uuid,
                          status=status, stats=stats)

    def live_migration_completed(self, ctxt, instance_uuid, migration_uuid, host, updates):
        """The guest runs on the destination ``host`` now: the server is there with
        ``updates`` (network_info, power_state), no task; the source's claim (the
        migration's) is released and the migration completed. Returns the instance."""
        return self._live().call(
            ctxt, "live_migration_completed", instance_uuid=instance_uuid,
            migration_uuid=migration_uuid, host=host, updates=updates,
            object_versions=objects.versions())

    def live_migration_failed(self, ctxt, instance_uuid, migration_uuid, status,
                              fault=None):
        """The live migration ended with the guest still at its source: the
        destination's claim goes, the source's is the server's again, the migration is
        ``status`` (error, or cancelled when aborted), the server has no task and, for
        an error, ``fault`` as its reason."""
        self._live().call(ctxt, "live_migration_failed", instance_uuid=instance_uuid,
                          migration_uuid=migration_uuid, status=status, fault=fault)
