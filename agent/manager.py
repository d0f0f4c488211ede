"""The agent's RPC endpoint: runs each request on this host's hypervisor and host
network, and reports every step and the outcome to the conductor, the agent's only way
to the database.

Each operation reads as its steps; what every operation shares (the lock per instance,
the action's event, the fault, the revert of the task_state) is in ``agent.events``.
The build is ``agent.build``, the server's ports ``agent.ports``, its volumes
``agent.volumes``, moving servers ``agent.moves`` and ``agent.live_migration``,
shelving ``agent.shelving``, rescue ``agent.rescue``, and what the agent does for its
host (start-up reconciliation, periodic tasks) ``agent.reconcile``.
"""
import concurrent.futures
import functools
import logging

import oslo_messaging as messaging

from agent import build
from agent.events import (agent_operation, reverts_task_state, step_recorder, with_instance,
                          wrap_instance_event, wrap_instance_fault)
from agent.live_migration import ServerLiveMigration
from agent.moves import ServerMoves
from agent.ports import ServerPorts
from agent.rescue import ServerRescue
from agent.shelving import ServerShelving
from agent.reconcile import HostReconciliation
from agent.virt import driver as virt_driver
from agent.volumes import ServerVolumes
from contract import exception
from contract import vm_states as states
from contract.clients.image import ImageClient, ImageError, image_endpoint

LOG = logging.getLogger(__name__)


def delete_image_on_error(function):
    """A snapshot that fails (or is abandoned) deletes the queued image it was to fill,
    as Nova's ``delete_image_on_error``."""

    @functools.wraps(function)
    def wrapper(self, ctxt, instance_uuid, image_id, *args, **kwargs):
        try:
            return function(self, ctxt, instance_uuid, image_id, *args, **kwargs)
        except Exception:
            try:
                self.image_client.delete(ctxt.auth_token, image_id)
            except ImageError:
                LOG.exception("Could not delete image %s of a failed snapshot", image_id)
            raise

    return wrapper


class AgentManager(HostReconciliation, ServerMoves, ServerLiveMigration, ServerShelving,
                   ServerRescue):
    target = messaging.Target(version="1.7")  # see agent.rpcapi

    def __init__(self, conf, host, driver, host_network, conductor, network_client,
                 service_credentials=None):
        """``driver``: the ``agent.virt.driver.ComputeDriver``; ``host_network``: the
        ``agent.network.host.HostNetwork`` it is composed with. ``network_client`` and
        ``service_credentials``: see ``agent.ports.ServerPorts``."""
        self.conf = conf
        self.host = host
        self.driver = driver
        self.host_network = host_network
        self.conductor = conductor
        self.availability_zone = conf.agent.availability_zone
        self.ports = ServerPorts(host, host_network, network_client, service_credentials)
        self.volumes = ServerVolumes(conf, host, driver, conductor)
        # Live migrations from here an admin aborted while they were being prepared.
        self.aborted_live_migrations = set()

    def update(self, ctxt, instance_uuid, updates, expected_task_state):
        """Report a state change; it applies only while the instance is in the expected
        task_state and still on this host."""
        return self.conductor.instance_update(ctxt, instance_uuid, updates,
                                              expected_task_state=expected_task_state,
                                              expected_host=self.host)

    def token_for(self, ctxt):
        """The token to act with for a request: the caller's, else (a request of the
        agent's own) the service user's, else None."""
        if ctxt is not None and ctxt.auth_token:
            return ctxt.auth_token
        credentials = self.ports.service_credentials
        return credentials.token() if credentials else None

    # --- RPC: building ------------------------------------------------------------------

    @agent_operation
    @build.reschedules_on_failure
    @wrap_instance_event(build.BUILD_EVENT, started_by_conductor=True)
    def build_and_run_instance(self, ctxt, instance_uuid):
        """The build the conductor sent here (it recorded the event's start)."""
        build.Build(self, ctxt, instance_uuid).run()

    # --- RPC: power actions -------------------------------------------------------------

    def _power_action(self, ctxt, instance, act, expected_task_state, final_vm_state):
        """``act()`` then the state it leaves: ``final_vm_state`` and the guest's power
        state, if the task_state is still the one the API set."""
        act()
        self.update(ctxt, instance["uuid"], {
            "vm_state": final_vm_state, "task_state": None,
            "power_state": self.driver.get_power_state(instance)}, expected_task_state)

    @agent_operation
    @wrap_instance_event("compute_stop_instance")
    @with_instance
    @reverts_task_state(states.POWERING_OFF)
    def stop_instance(self, ctxt, instance):
        self._power_action(
            ctxt, instance,
            lambda: self.driver.power_off(instance, self.conf.agent.shutdown_timeout),
            states.POWERING_OFF, states.STOPPED)

    @agent_operation
    @wrap_instance_event("compute_start_instance")
    @with_instance
    @reverts_task_state(states.POWERING_ON)
    def start_instance(self, ctxt, instance):
        self._power_action(
            ctxt, instance,
            lambda: self.driver.power_on(ctxt, instance, instance["network_info"],
                                         instance["block_device_mappings"]),
            states.POWERING_ON, states.ACTIVE)

    @agent_operation
    @wrap_instance_event("compute_reboot_instance")
    @with_instance
    @reverts_task_state(lambda hard: states.REBOOTING_HARD if hard else states.REBOOTING)
    def reboot_instance(self, ctxt, instance, hard):
        self._power_action(
            ctxt, instance,
            lambda: self.driver.reboot(ctxt, instance, instance["network_info"], hard),
            states.REBOOTING_HARD if hard else states.REBOOTING, states.ACTIVE)

    @agent_operation
    @wrap_instance_event("compute_pause_instance")
    @with_instance
    @reverts_task_state(states.PAUSING)
    def pause_instance(self, ctxt, instance):
        self._power_action(ctxt, instance, lambda: self.driver.pause(instance),
                           states.PAUSING, states.PAUSED)

    @agent_operation
    @wrap_instance_event("compute_unpause_instance")
    @with_instance
    @reverts_task_state(states.UNPAUSING)
    def unpause_instance(self, ctxt, instance):
        self._power_action(ctxt, instance, lambda: self.driver.unpause(instance),
                           states.UNPAUSING, states.ACTIVE)

    @agent_operation
    @wrap_instance_event("compute_suspend_instance")
    @with_instance
    @reverts_task_state(states.SUSPENDING)
    def suspend_instance(self, ctxt, instance):
        self._power_action(ctxt, instance, lambda: self.driver.suspend(instance),
                           states.SUSPENDING, states.SUSPENDED)

    @agent_operation
    @wrap_instance_event("compute_resume_instance")
    @with_instance
    @reverts_task_state(states.RESUMING)
    def resume_instance(self, ctxt, instance):
        self._power_action(ctxt, instance, lambda: self.driver.resume(instance),
                           states.RESUMING, states.ACTIVE)

    # --- RPC: snapshot and rebuild (1.2) -------------------------------------------------

    @functools.cached_property
    def image_client(self):
        """The image service, for snapshots' uploads (made with the caller's token)."""
        return ImageClient(image_endpoint(self.conf))

    @agent_operation
    @delete_image_on_error
    @wrap_instance_event("compute_snapshot_instance")
    @with_instance
    @reverts_task_state((states.IMAGE_SNAPSHOT, states.IMAGE_UPLOADING))
    @wrap_instance_fault
    def snapshot_instance(self, ctxt, instance, image_id):
        """Fill the queued image ``image_id`` the API created with a copy of the
        server's root disk. On failure the image is deleted, the server keeps its state
        and gets the reason as its fault."""

        self._snapshot(ctxt, instance, image_id, states.IMAGE_SNAPSHOT)

    def _snapshot(self, ctxt, instance, image_id, task_state):
        """Copy the root disk into image ``image_id``: ``task_state`` → image_uploading
        → no task."""

        def upload(path, disk_format):
            self.update(ctxt, instance["uuid"], {"task_state": states.IMAGE_UPLOADING},
                        task_state)
            self.image_client.upload(ctxt.auth_token, image_id, path, disk_format)

        self.driver.snapshot(ctxt, instance, upload)
        self.update(ctxt, instance["uuid"], {"task_state": None}, states.IMAGE_UPLOADING)

    @agent_operation
    @delete_image_on_error
    @wrap_instance_event("compute_backup_instance")
    @with_instance
    @reverts_task_state((states.IMAGE_BACKUP, states.IMAGE_UPLOADING))
    @wrap_instance_fault
    def backup_instance(self, ctxt, instance, image_id, backup_type, rotation):
        """A snapshot into the queued backup image ``image_id`` (1.6); then only the
        newest ``rotation`` of the server's ``backup_type`` backups stay, as Nova's
        ``_rotate_backups`` (a backup that cannot be deleted is left and logged)."""
        self._snapshot(ctxt, instance, image_id, states.IMAGE_BACKUP)
        backups = self.image_client.list(
            ctxt.auth_token, image_type="backup", backup_type=backup_type,
            instance_uuid=instance["uuid"], sort_key="created_at", sort_dir="desc")
        for excess in backups[rotation:]:
            try:
                self.image_client.delete(ctxt.auth_token, excess["id"])
            except ImageError as exc:
                LOG.info("Could not delete backup %s of %s while rotating: %s",
                         excess["id"], instance["uuid"], exc)

    @agent_operation
    @wrap_instance_event("compute_rebuild_instance")
    @with_instance
    @reverts_task_state((states.REBUILDING, states.REBUILD_SPAWNING), states.ERROR)
    @wrap_instance_fault
    def rebuild_instance(self, ctxt, instance):
        """Replace the guest by one from the image the API recorded: its disks go, its
        ports stay wired (same addresses). A server stopped before is stopped after, as
        in Nova; a failure leaves it in ERROR, with the reason as its fault."""
        uuid = instance["uuid"]
        stopped = instance["vm_state"] == states.STOPPED
        network_info = instance["network_info"]
        self.driver.destroy(ctxt, instance, network_info)
        instance = self.update(ctxt, uuid, {"task_state": states.REBUILD_SPAWNING},
                               states.REBUILDING)
        drive = build.config_drive_meta(self.conf, instance, network_info)
        self.driver.spawn(ctxt, instance, instance["image_meta"], network_info,
                          instance["block_device_mappings"], drive,
                          step_recorder(self, ctxt, uuid))
        if stopped:
            self.driver.power_off(instance)
        self.update(ctxt, uuid, {
            "vm_state": states.STOPPED if stopped else states.ACTIVE, "task_state": None,
            "power_state": self.driver.get_power_state(instance),
            "launched_at": build.utcnow_iso(), "config_drive": drive is not None},
            states.REBUILD_SPAWNING)

    # --- RPC: deleting and reading --------------------------------------------------------

    @agent_operation
    @with_instance
    @wrap_instance_event("compute_terminate_instance")
    @reverts_task_state(None, states.ERROR)
    def terminate_instance(self, ctxt, instance):
        """Remove the guest, its ports and its volumes' attachments; then the instance
        is deleted. (An instance deleted already has nothing left here.)

        The ports go while libvirt destroys the guest: waiting for QEMU to be gone is
        most of a delete's time. Their taps go first, so the guest reaches nothing
        meanwhile. Volumes are let go of only once the guest is gone (Nova's order)."""
        with concurrent.futures.ThreadPoolExecutor(1, "destroy") as destroying:
            destroyed = destroying.submit(self.driver.destroy, ctxt, instance,
                                          instance["network_info"],
                                          instance["block_device_mappings"])
            try:
                self.ports.release_all(ctxt, instance)
            finally:
                destroyed.result()
        self.volumes.release(instance, self.token_for(ctxt))
        self.conductor.instance_destroyed(ctxt, instance["uuid"], self.host)

    def get_console_output(self, ctxt, instance_uuid):
        instance = self.conductor.instance_get(ctxt, instance_uuid)
        try:
            return self.driver.get_console_output(instance)
        except virt_driver.InstanceNotOnHost as exc:
            raise exception.InstanceNotFound(str(exc)) from exc

    def get_console_connect_info(self, ctxt, instance_uuid, console_kind):
        """Where the guest's ``console_kind`` console listens (1.4): the API turns it
        into a one-time token for the console proxy."""
        instance = self.conductor.instance_get(ctxt, instance_uuid)
        try:
            return self.driver.get_console_connect_info(instance, console_kind)
        except virt_driver.InstanceNotOnHost as exc:
            raise exception.InstanceNotFound(str(exc)) from exc

    def get_diagnostics(self, ctxt, instance_uuid):
        """The guest's diagnostics (1.6), for the compute API's admins."""
        instance = self.conductor.instance_get(ctxt, instance_uuid)
        try:
            return self.driver.get_diagnostics(instance)
        except virt_driver.InstanceNotOnHost as exc:
            raise exception.InstanceNotFound(str(exc)) from exc

    def get_host_uptime(self, ctxt):
        """This host's ``uptime`` line (1.6), for the hypervisors API."""
        return self.driver.get_host_uptime()

    # --- RPC: volumes (1.1) ---------------------------------------------------------------

    @staticmethod
    def _bdm_of(instance, volume_id):
        bdm = next((bdm for bdm in instance["block_device_mappings"]
                    if bdm["volume_id"] == volume_id), None)
        if bdm is None:
            raise exception.InvalidRequest(
                f"Volume {volume_id} is not attached to {instance['uuid']}.")
        return bdm

    @agent_operation
    @with_instance
    @wrap_instance_event("compute_attach_volume")
    def attach_volume(self, ctxt, instance, volume_id):
        """Plug the volume the API reserved (its BDM holds the attachment) into the
        guest; a failure ends the attachment and drops the BDM."""
        self.volumes.attach(ctxt, instance, self._bdm_of(instance, volume_id))

    @agent_operation
    @with_instance
    @wrap_instance_event("compute_detach_volume")
    def detach_volume(self, ctxt, instance, volume_id):
        """Unplug the volume from the guest, end its attachment, drop the BDM."""
        self.volumes.detach(ctxt, instance, self._bdm_of(instance, volume_id))
