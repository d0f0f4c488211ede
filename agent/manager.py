"""The agent's RPC endpoint: runs each request on this host's hypervisor and reports every
step and the outcome to the conductor, the agent's only way to the database.

Requests for one instance run one at a time (a lock per instance, like Nova's
``synchronized(instance.uuid)``), so a delete that arrives during a build waits for the
build to notice the deletion and stop.

A server's ports are the agent's business: its build creates (or binds) them with the
user's token and has the driver wire them on this host; its delete unwires and deletes
them. The agent's own service user (optional) cleans up what nobody's request covers:
after a restart, and the periodic refresh of tunnel peers.
"""
import contextlib
import datetime
import functools
import logging
import traceback

import oslo_messaging as messaging
from oslo_concurrency import lockutils

from agent.image import ImageError
from agent.image.client import ImageClient, image_endpoint
from agent.virt import driver as virt_driver
from agent.virt import power_state
from agent.volumes import ServerVolumes
from controller import rpc
from controller.compute import exception, metadata, network, states
from controller.network.client import NetworkApiError

LOG = logging.getLogger(__name__)

SUCCESS = "Success"
ERROR = "Error"
BUILD_EVENT = "compute_build_and_run_instance"
NETWORKING_EVENT = "compute_networking"
# The task_states of a build that this agent has begun.
BUILD_STEPS = (states.NETWORKING, states.BLOCK_DEVICE_MAPPING, states.SPAWNING)
# The vm_states of a server whose guest is at rest on this host (no build, no error):
# its power state is synced, its ports rewired after a restart.
GUEST_VM_STATES = (states.ACTIVE, states.STOPPED, states.PAUSED, states.SUSPENDED)


def service_context():
    """The context of the agent's own requests (heartbeats, power-state sync)."""
    return rpc.RequestContext(is_admin=True, overwrite=False)


def _utcnow_iso():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None).isoformat()


class AgentManager:
    target = messaging.Target(version="1.2")  # see agent.rpcapi

    def __init__(self, conf, host, driver, conductor, network_client,
                 service_credentials=None):
        """``network_client(token)``: a ``controller.network.client.NetworkClient``
        acting with ``token``. ``service_credentials``: the agent's service user
        (``token()`` → a token, or None when Identity cannot give one), or None."""
        self.conf = conf
        self.host = host
        self.driver = driver
        self.conductor = conductor
        self.network_client = network_client
        self.service_credentials = service_credentials
        self.availability_zone = conf.agent.availability_zone
        self.volumes = ServerVolumes(conf, host, driver, conductor)

    # --- life of the host ---------------------------------------------------------------

    def init_host(self):
        """Connect the driver, register the host, and reconcile what the database expects
        with what this host has: finish deletes, fail interrupted builds, remove guests
        and ports whose instances are gone, rewire the ports of the rest."""
        self.driver.init_host(self.host)
        self.driver.register_event_listener(self.handle_lifecycle_event)
        self.report()
        if self.service_credentials is None:
            LOG.warning("No [service_credentials]: host %s cannot bind ports to itself "
                        "(unless its callers are admins), clean up ports after a restart "
                        "nor refresh tunnel peers", self.host)
        ctxt = service_context()
        kept = {}
        for instance in self.conductor.instances_on_host(ctxt, self.host):
            if instance["task_state"] == states.DELETING:
                self.terminate_instance(ctxt, instance["uuid"])
            elif instance["task_state"] in BUILD_STEPS:
                # A build still in "scheduling" may have its message waiting in the
                # queue; the conductor's build timeout covers a lost one.
                self._fail_interrupted_build(ctxt, instance)
            else:
                kept[instance["uuid"]] = instance
        self._remove_leftovers(ctxt, kept)
        self._rewire(kept)

    def _fail_interrupted_build(self, ctxt, instance):
        """A build this agent had begun when it stopped: remove what it made and set
        ERROR. Not rescheduled: the build's user token died with the process, and a
        build on another host would need it for the image and the ports."""
        uuid = instance["uuid"]
        LOG.warning("Build of %s was interrupted by a restart of the agent", uuid)
        try:
            self.driver.destroy(ctxt, instance, instance["network_info"])
            client = self._service_network_client()
            self._release_networks(client, self._instance_ports(client, instance))
        except Exception:
            LOG.exception("Cleaning up the interrupted build of %s", uuid)
        self.conductor.claim_release(ctxt, uuid)
        self.conductor.build_failed(ctxt, uuid, self.host, {
            "code": 500, "message": "The agent restarted during the build."}, retry=False)

    def _remove_leftovers(self, ctxt, kept):
        """Remove what belongs to no instance kept on this host: guests, wired ports, and
        (with the service user) ports of instances deleted while this agent was away."""
        for uuid in self.driver.list_instance_uuids():
            if uuid not in kept:
                LOG.warning("Destroying guest %s: no instance of this host has it", uuid)
                self._best_effort(self.driver.destroy, ctxt, {"uuid": uuid}, [])
        wanted = {vif["id"] for instance in kept.values() for vif in instance["network_info"]}
        for port_id in self.driver.plugged_port_ids() - wanted:
            LOG.warning("Unplugging port %s: no instance of this host has it", port_id)
            self._best_effort(self.driver.unplug_vif, port_id)
        client = self._service_network_client()
        if client is None:
            return
        try:
            for port in client.list_ports(**{"binding:host_id": self.host}):
                if (not port["device_owner"].startswith("compute:")
                        or port["device_id"] in kept):
                    continue
                try:
                    self.conductor.instance_get(ctxt, port["device_id"])
                except exception.InstanceNotFound:
                    LOG.warning("Deleting port %s of deleted instance %s", port["id"],
                                port["device_id"])
                    network.release_port(client, port["id"], preserve=False)
        except Exception:  # best effort: the next start tries again
            LOG.exception("Could not clean up the ports of deleted instances")

    @staticmethod
    def _best_effort(cleanup, *args):
        """One step of the reconciliation at start: a failure is logged, and the next
        start tries again, rather than keeping the host from serving."""
        try:
            cleanup(*args)
        except Exception:
            LOG.exception("Reconciliation step %s%r failed", cleanup.__name__, args[-1:])

    def _rewire(self, kept):
        """Wire the ports of the guests kept here again (the host may have rebooted, or
        lost its bridges): ``plug_vif`` only builds what is missing."""
        client = self._service_network_client()
        if client is None:
            return
        for instance in kept.values():
            if instance["vm_state"] not in GUEST_VM_STATES:
                continue
            for vif in instance["network_info"]:
                try:
                    self.driver.plug_vif(client.show_port(vif["id"]), client)
                except Exception:
                    LOG.exception("Could not wire port %s of %s again", vif["id"],
                                  instance["uuid"])

    def report(self):
        """Heartbeat and capacity, through the conductor (periodic)."""
        ctxt = service_context()
        self.conductor.service_heartbeat(ctxt, self.host, self.availability_zone)
        self.conductor.report_inventory(ctxt, self.host, self.driver.get_available_resource(),
                                        self.availability_zone)

    def handle_lifecycle_event(self, event):
        """A guest changed power state on its own: record the state it is in now, asked
        of the driver, since an event may arrive after the action that caused it has
        recorded its result (a pause's "suspended" after the server became PAUSED)."""
        ctxt = service_context()
        try:
            instance = self.conductor.instance_get(ctxt, event.instance_uuid)
            self._record_power_state(ctxt, instance, self._current_power_state(instance))
        except (exception.InstanceNotFound, exception.UnexpectedTaskState) as exc:
            LOG.info("Ignoring lifecycle event for %s: %s", event.instance_uuid, exc)

    def sync_power_states(self):
        """Periodic: record the power state of every guest whose server says otherwise,
        in case a hypervisor event was missed (e.g. while the agent was down)."""
        ctxt = service_context()
        for instance in self.conductor.instances_on_host(ctxt, self.host):
            if (instance["task_state"] is not None
                    or instance["vm_state"] not in GUEST_VM_STATES):
                continue
            state = self._current_power_state(instance)
            if state == instance["power_state"]:
                continue
            try:
                self._record_power_state(ctxt, instance, state)
            except (exception.InstanceNotFound, exception.UnexpectedTaskState) as exc:
                LOG.info("Power state of %s not synced: %s", instance["uuid"], exc)

    def _current_power_state(self, instance):
        try:
            return self.driver.get_power_state(instance)
        except virt_driver.InstanceNotOnHost:
            return power_state.NOSTATE

    def _record_power_state(self, ctxt, instance, state):
        """A running or paused server whose guest stopped (or vanished) becomes SHUTOFF,
        as in Nova; otherwise only the power state is recorded (a paused server stays
        PAUSED, a suspended one SUSPENDED). An action in flight wins (its task_state is
        set)."""
        updates = {"power_state": state}
        if instance["vm_state"] in (states.ACTIVE, states.PAUSED) and state in (
                power_state.SHUTDOWN, power_state.CRASHED, power_state.NOSTATE):
            updates["vm_state"] = states.STOPPED
        self._update(ctxt, instance["uuid"], updates, [None])

    def refresh_networks(self):
        """Periodic: catch the networks wired here up with the network service, as the
        service user (who sees every host's ports on them)."""
        client = self._service_network_client()
        if client is not None:
            self.driver.refresh_networks(client)

    def refresh_security_groups(self):
        """Periodic (about every second): the security group rules of the ports here
        reconciled with the network service, as the service user."""
        client = self._service_network_client()
        if client is not None:
            self.driver.refresh_security_groups(client)

    def manage_image_cache(self):
        """Periodic: let the driver drop images no guest here has used for long."""
        removed = self.driver.manage_image_cache()
        if removed:
            LOG.info("Removed unused cached images: %s", ", ".join(removed))

    # --- helpers ------------------------------------------------------------------------

    @staticmethod
    def _locked(instance_uuid):
        return lockutils.lock(f"instance-{instance_uuid}", do_log=False)

    def _step_recorder(self, ctxt, instance_uuid):
        """``step(name)`` for drivers: an action event around a block of work."""

        @contextlib.contextmanager
        def step(name):
            self.conductor.action_event_start(ctxt, instance_uuid, name, self.host)
            try:
                yield
            except Exception as exc:
                self.conductor.action_event_finish(ctxt, instance_uuid, name, self.host,
                                                   ERROR, details=str(exc))
                raise
            self.conductor.action_event_finish(ctxt, instance_uuid, name, self.host, SUCCESS)

        return step

    def _config_drive_meta(self, instance, network_info):
        if not (instance["config_drive"] or self.conf.agent.force_config_drive):
            return None
        return metadata.config_drive(dict(instance, network_info=network_info))

    def _service_network_client(self):
        """A network client acting as the agent's service user, or None without one."""
        token = self.service_credentials.token() if self.service_credentials else None
        return self.network_client(token) if token else None

    def _network_client_for(self, ctxt):
        """The network client for a request: with the caller's token, else (a request of
        the agent's own) the service user's."""
        if ctxt is not None and ctxt.auth_token:
            return self.network_client(ctxt.auth_token)
        return self._service_network_client()

    def _allocate_networks(self, ctxt, instance, step):
        """Create (or bind) the instance's ports on this host and have the driver wire
        them: the network_info. On failure nothing of it is left behind."""
        if not instance["requested_networks"]:
            return []
        client = self.network_client(ctxt.auth_token)
        binder = self._service_network_client() or client
        made = []
        network_info = []
        try:
            with step(NETWORKING_EVENT):
                for request in instance["requested_networks"]:
                    preserve = bool(request.get("port_id"))
                    port = network.bind_port(client, binder, instance, request, self.host)
                    made.append({"id": port["id"], "preserve_on_delete": preserve})
                    plugged = self.driver.plug_vif(port, binder)
                    network_info.append(network.vif(client, plugged, preserve))
        except Exception:
            self._release_networks(client, made)
            raise
        return network_info

    def _instance_ports(self, client, instance):
        """The instance's ports: those of its network_info and, asked of the network
        service, any a build created but could not record before it stopped."""
        ports = {vif["id"]: vif.get("preserve_on_delete", False)
                 for vif in instance["network_info"]}
        if client is not None and instance["requested_networks"]:
            brought = {request["port_id"] for request in instance["requested_networks"]
                       if request.get("port_id")}
            for port in client.list_ports(device_id=instance["uuid"]):
                ports.setdefault(port["id"], port["id"] in brought)
        return [{"id": port_id, "preserve_on_delete": preserve}
                for port_id, preserve in ports.items()]

    def _release_networks(self, client, ports):
        """Unwire ``ports`` (network_info entries) from this host, then delete them, or
        unbind those the user brought (as the service user, if there is one: unbinding
        is an admin's act)."""
        for vif in ports:
            self.driver.unplug_vif(vif["id"])
        if not ports:
            return
        if client is None:
            LOG.warning("Ports %s stay in the network service: no token to delete them "
                        "with (configure [service_credentials])",
                        ", ".join(vif["id"] for vif in ports))
            return
        binder = self._service_network_client() or client
        for vif in ports:
            preserve = vif.get("preserve_on_delete", False)
            network.release_port(binder if preserve else client, vif["id"], preserve)

    def _update(self, ctxt, instance_uuid, updates, expected_task_state):
        """Report a state change; it applies only while the instance is in the expected
        task_state and still on this host."""
        return self.conductor.instance_update(ctxt, instance_uuid, updates,
                                              expected_task_state=expected_task_state,
                                              expected_host=self.host)

    # --- RPC: building -------------------------------------------------------------------

    def build_and_run_instance(self, ctxt, instance_uuid):
        with self._locked(instance_uuid):
            self._build_and_run(ctxt, instance_uuid)

    def _build_and_run(self, ctxt, uuid):
        """The build the conductor sent here (it recorded the event's start): each step
        reported as a task_state, the end as the event's result."""
        event = BUILD_EVENT
        step = self._step_recorder(ctxt, uuid)
        instance = None
        network_info = []
        try:
            instance = self._update(ctxt, uuid, {"task_state": states.NETWORKING},
                                    states.SCHEDULING)
            network_info = self._allocate_networks(ctxt, instance, step)
            self._update(ctxt, uuid, {"task_state": states.BLOCK_DEVICE_MAPPING,
                                      "network_info": network_info}, states.NETWORKING)
            block_device_info = self.volumes.prepare(ctxt, instance, step)
            instance = self._update(ctxt, uuid, {"task_state": states.SPAWNING},
                                    states.BLOCK_DEVICE_MAPPING)
            config_drive_meta = self._config_drive_meta(instance, network_info)
            self.driver.spawn(ctxt, instance, instance["image_meta"], network_info,
                              block_device_info, config_drive_meta, step)
            self.volumes.complete(ctxt, block_device_info)
            # config_drive: the guest got one (also when forced), so the API counts it
            # among the guest's disks when it names the next volume's device.
            self._update(ctxt, uuid, {"vm_state": states.ACTIVE, "task_state": None,
                                      "power_state": self.driver.get_power_state(instance),
                                      "launched_at": _utcnow_iso(),
                                      "config_drive": config_drive_meta is not None},
                         states.SPAWNING)
        except (exception.UnexpectedTaskState, exception.InstanceNotFound) as exc:
            # Deleted (the delete, terminate_instance, finishes the job) or no longer
            # ours: stop here and leave the instance to whoever has it now.
            LOG.info("Build of %s on %s stopped: %s", uuid, self.host, exc)
            if instance is not None:
                self._undo_build(ctxt, instance, network_info)
            self._finish_event_quietly(ctxt, uuid, event, ERROR, str(exc))
        except Exception as exc:
            LOG.exception("Build of %s failed on %s", uuid, self.host)
            self._build_failed(ctxt, uuid, event, instance, network_info, exc)
        else:
            self.conductor.action_event_finish(ctxt, uuid, event, self.host, SUCCESS)

    def _undo_build(self, ctxt, instance, network_info):
        """Remove what the build made here: the guest, then its ports."""
        try:
            self.driver.destroy(ctxt, instance, network_info)
            self._release_networks(self._network_client_for(ctxt), network_info)
            self.volumes.release_attachments(ctxt, instance["uuid"], self._token_for(ctxt))
        except Exception:
            LOG.exception("Cleaning up the build of %s", instance["uuid"])

    def _build_failed(self, ctxt, uuid, event, instance, network_info, exc):
        """Undo what the build left here, give back the claim, let the conductor retry —
        unless the network service refused the request itself, which no other host
        would change."""
        if instance is not None:
            self._undo_build(ctxt, instance, network_info)
        self._finish_event_quietly(ctxt, uuid, event, ERROR, str(exc))
        self.conductor.claim_release(ctxt, uuid)
        refused = isinstance(exc, NetworkApiError) and 400 <= exc.status < 500
        self.conductor.build_failed(ctxt, uuid, self.host, {
            "code": exc.status if refused else 500,
            "message": str(exc) or type(exc).__name__,
            "details": traceback.format_exc()}, retry=not refused)

    def _record_fault_quietly(self, ctxt, uuid, exc):
        """Give the server the failure's reason as its fault (as Nova's
        ``wrap_instance_fault``), unless it is gone meanwhile."""
        try:
            self.conductor.instance_fault_create(ctxt, uuid, self.host, {
                "code": 500, "message": str(exc) or type(exc).__name__,
                "details": traceback.format_exc()})
        except exception.InstanceNotFound:
            pass

    def _finish_event_quietly(self, ctxt, uuid, event, result, details):
        try:
            self.conductor.action_event_finish(ctxt, uuid, event, self.host, result,
                                               details=details)
        except exception.InstanceNotFound:
            pass

    # --- RPC: power actions ---------------------------------------------------------------

    def _power_action(self, ctxt, uuid, event, expected_task_state, act, final_vm_state):
        """Run ``act(instance)`` for an action the API started (task_state set); on
        success set ``final_vm_state``, on failure put the task_state back."""
        with self._locked(uuid):
            try:
                self.conductor.action_event_start(ctxt, uuid, event, self.host)
                instance = self.conductor.instance_get(ctxt, uuid)
                act(instance)
                self._update(ctxt, uuid, {"vm_state": final_vm_state, "task_state": None,
                                          "power_state": self.driver.get_power_state(instance)},
                             expected_task_state)
            except (exception.InstanceNotFound, exception.UnexpectedTaskState) as exc:
                LOG.info("%s of %s abandoned: %s", event, uuid, exc)
                self._finish_event_quietly(ctxt, uuid, event, ERROR, str(exc))
                return
            except Exception as exc:
                LOG.exception("%s of %s failed", event, uuid)
                self._finish_event_quietly(ctxt, uuid, event, ERROR, str(exc))
                try:
                    self._update(ctxt, uuid, {"task_state": None}, expected_task_state)
                except (exception.InstanceNotFound, exception.UnexpectedTaskState):
                    pass
                return
            self.conductor.action_event_finish(ctxt, uuid, event, self.host, SUCCESS)

    def stop_instance(self, ctxt, instance_uuid):
        self._power_action(
            ctxt, instance_uuid, "compute_stop_instance", states.POWERING_OFF,
            lambda instance: self.driver.power_off(instance,
                                                   self.conf.agent.shutdown_timeout),
            states.STOPPED)

    def start_instance(self, ctxt, instance_uuid):
        self._power_action(
            ctxt, instance_uuid, "compute_start_instance", states.POWERING_ON,
            lambda instance: self.driver.power_on(ctxt, instance, instance["network_info"],
                                                  instance["block_device_mappings"]),
            states.ACTIVE)

    def pause_instance(self, ctxt, instance_uuid):
        self._power_action(ctxt, instance_uuid, "compute_pause_instance", states.PAUSING,
                           self.driver.pause, states.PAUSED)

    def unpause_instance(self, ctxt, instance_uuid):
        self._power_action(ctxt, instance_uuid, "compute_unpause_instance",
                           states.UNPAUSING, self.driver.unpause, states.ACTIVE)

    def suspend_instance(self, ctxt, instance_uuid):
        self._power_action(ctxt, instance_uuid, "compute_suspend_instance",
                           states.SUSPENDING, self.driver.suspend, states.SUSPENDED)

    def resume_instance(self, ctxt, instance_uuid):
        self._power_action(ctxt, instance_uuid, "compute_resume_instance", states.RESUMING,
                           self.driver.resume, states.ACTIVE)

    def reboot_instance(self, ctxt, instance_uuid, hard):
        expected = states.REBOOTING_HARD if hard else states.REBOOTING
        self._power_action(
            ctxt, instance_uuid, "compute_reboot_instance", expected,
            lambda instance: self.driver.reboot(ctxt, instance, instance["network_info"],
                                                hard),
            states.ACTIVE)

    # --- RPC: snapshot and rebuild (1.2) -------------------------------------------------

    @functools.cached_property
    def image_client(self):
        """The image service, for snapshots' uploads (made with the caller's token)."""
        return ImageClient(image_endpoint(self.conf))

    def snapshot_instance(self, ctxt, instance_uuid, image_id):
        """Fill the queued image ``image_id`` the API created with a copy of the
        server's root disk. On failure the image is deleted, the server keeps its state
        and the action's event holds the error."""
        event = "compute_snapshot_instance"
        uuid = instance_uuid

        def upload(path, disk_format):
            self._update(ctxt, uuid, {"task_state": states.IMAGE_UPLOADING},
                         states.IMAGE_SNAPSHOT)
            self.image_client.upload(ctxt.auth_token, image_id, path, disk_format)

        with self._locked(uuid):
            try:
                self.conductor.action_event_start(ctxt, uuid, event, self.host)
                instance = self.conductor.instance_get(ctxt, uuid)
                self.driver.snapshot(ctxt, instance, upload)
                self._update(ctxt, uuid, {"task_state": None}, states.IMAGE_UPLOADING)
            except (exception.InstanceNotFound, exception.UnexpectedTaskState) as exc:
                LOG.info("Snapshot of %s abandoned: %s", uuid, exc)
                self._delete_image_quietly(ctxt, image_id)
                self._finish_event_quietly(ctxt, uuid, event, ERROR, str(exc))
                return
            except Exception as exc:
                LOG.exception("Snapshot of %s into image %s failed", uuid, image_id)
                self._delete_image_quietly(ctxt, image_id)
                self._finish_event_quietly(ctxt, uuid, event, ERROR, str(exc))
                self._record_fault_quietly(ctxt, uuid, exc)
                try:
                    self._update(ctxt, uuid, {"task_state": None},
                                 (states.IMAGE_SNAPSHOT, states.IMAGE_UPLOADING))
                except (exception.InstanceNotFound, exception.UnexpectedTaskState):
                    pass
                return
            self.conductor.action_event_finish(ctxt, uuid, event, self.host, SUCCESS)

    def _delete_image_quietly(self, ctxt, image_id):
        try:
            self.image_client.delete(ctxt.auth_token, image_id)
        except ImageError:
            LOG.exception("Could not delete image %s of a failed snapshot", image_id)

    def rebuild_instance(self, ctxt, instance_uuid):
        """Replace the guest by one from the image the API recorded: its disks go, its
        ports stay wired (same addresses). A server stopped before is stopped after, as
        in Nova; a failure leaves it in ERROR."""
        event = "compute_rebuild_instance"
        uuid = instance_uuid
        with self._locked(uuid):
            try:
                self.conductor.action_event_start(ctxt, uuid, event, self.host)
                instance = self.conductor.instance_get(ctxt, uuid)
                stopped = instance["vm_state"] == states.STOPPED
                network_info = instance["network_info"]
                self.driver.destroy(ctxt, instance, network_info)
                instance = self._update(ctxt, uuid, {"task_state": states.REBUILD_SPAWNING},
                                        states.REBUILDING)
                config_drive_meta = self._config_drive_meta(instance, network_info)
                self.driver.spawn(ctxt, instance, instance["image_meta"], network_info,
                                  instance["block_device_mappings"], config_drive_meta,
                                  self._step_recorder(ctxt, uuid))
                if stopped:
                    self.driver.power_off(instance)
                self._update(ctxt, uuid, {
                    "vm_state": states.STOPPED if stopped else states.ACTIVE,
                    "task_state": None, "power_state": self.driver.get_power_state(instance),
                    "launched_at": _utcnow_iso(),
                    "config_drive": config_drive_meta is not None}, states.REBUILD_SPAWNING)
            except (exception.InstanceNotFound, exception.UnexpectedTaskState) as exc:
                LOG.info("Rebuild of %s abandoned: %s", uuid, exc)
                self._finish_event_quietly(ctxt, uuid, event, ERROR, str(exc))
                return
            except Exception as exc:
                LOG.exception("Rebuild of %s failed", uuid)
                self._finish_event_quietly(ctxt, uuid, event, ERROR, str(exc))
                # The fault first: whoever sees ERROR sees its reason too.
                self._record_fault_quietly(ctxt, uuid, exc)
                try:
                    self._update(ctxt, uuid, {"vm_state": states.ERROR, "task_state": None},
                                 (states.REBUILDING, states.REBUILD_SPAWNING))
                except (exception.InstanceNotFound, exception.UnexpectedTaskState):
                    pass
                return
            self.conductor.action_event_finish(ctxt, uuid, event, self.host, SUCCESS)

    # --- RPC: deleting and reading --------------------------------------------------------

    def terminate_instance(self, ctxt, instance_uuid):
        event = "compute_terminate_instance"
        with self._locked(instance_uuid):
            try:
                instance = self.conductor.instance_get(ctxt, instance_uuid)
            except exception.InstanceNotFound:
                return
            self.conductor.action_event_start(ctxt, instance_uuid, event, self.host)
            try:
                self.driver.destroy(ctxt, instance, instance["network_info"],
                                    instance["block_device_mappings"])
                client = self._network_client_for(ctxt)
                self._release_networks(client, self._instance_ports(client, instance))
                self.volumes.release(instance, self._token_for(ctxt))
                self.conductor.instance_destroyed(ctxt, instance_uuid, self.host)
            except Exception as exc:
                LOG.exception("Deleting %s failed", instance_uuid)
                self._finish_event_quietly(ctxt, instance_uuid, event, ERROR, str(exc))
                self._update(ctxt, instance_uuid, {"vm_state": states.ERROR,
                                                   "task_state": None}, None)
                return
            self._finish_event_quietly(ctxt, instance_uuid, event, SUCCESS, None)

    def get_console_output(self, ctxt, instance_uuid):
        instance = self.conductor.instance_get(ctxt, instance_uuid)
        try:
            return self.driver.get_console_output(instance)
        except virt_driver.InstanceNotOnHost as exc:
            raise exception.InstanceNotFound(str(exc)) from exc

    # --- RPC: volumes (1.1) ---------------------------------------------------------------

    def _token_for(self, ctxt):
        """The token to act with for a request: the caller's, else (a request of the
        agent's own) the service user's, else None."""
        if ctxt is not None and ctxt.auth_token:
            return ctxt.auth_token
        return self.service_credentials.token() if self.service_credentials else None

    def _volume_action(self, ctxt, instance_uuid, volume_id, event, act):
        """Run ``act(instance, bdm)`` on the server's BDM of ``volume_id`` as the step
        ``event`` of the API's action."""
        with self._locked(instance_uuid):
            try:
                instance = self.conductor.instance_get(ctxt, instance_uuid)
            except exception.InstanceNotFound:
                return
            self.conductor.action_event_start(ctxt, instance_uuid, event, self.host)
            bdm = next((bdm for bdm in instance["block_device_mappings"]
                        if bdm["volume_id"] == volume_id), None)
            try:
                if bdm is None:
                    raise exception.InvalidRequest(
                        f"Volume {volume_id} is not attached to {instance_uuid}.")
                act(instance, bdm)
            except Exception as exc:
                LOG.exception("%s of volume %s on %s failed", event, volume_id,
                              instance_uuid)
                self._finish_event_quietly(ctxt, instance_uuid, event, ERROR, str(exc))
                return
            self._finish_event_quietly(ctxt, instance_uuid, event, SUCCESS, None)

    def attach_volume(self, ctxt, instance_uuid, volume_id):
        """Plug the volume the API reserved (its BDM holds the attachment) into the
        guest; a failure ends the attachment and drops the BDM."""
        self._volume_action(ctxt, instance_uuid, volume_id, "compute_attach_volume",
                            lambda instance, bdm: self.volumes.attach(ctxt, instance, bdm))

    def detach_volume(self, ctxt, instance_uuid, volume_id):
        """Unplug the volume from the guest, end its attachment, drop the BDM."""
        self._volume_action(ctxt, instance_uuid, volume_id, "compute_detach_volume",
                            lambda instance, bdm: self.volumes.detach(ctxt, instance, bdm))
