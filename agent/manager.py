"""The agent's RPC endpoint: runs each request on this host's hypervisor and reports every
step and the outcome to the conductor, the agent's only way to the database.

Requests for one instance run one at a time (a lock per instance, like Nova's
``synchronized(instance.uuid)``), so a delete that arrives during a build waits for the
build to notice the deletion and stop.
"""
import base64
import contextlib
import datetime
import logging
import traceback

import oslo_messaging as messaging
from oslo_concurrency import lockutils

from agent.virt import driver as virt_driver
from agent.virt import power_state
from controller import rpc
from controller.compute import exception, states

LOG = logging.getLogger(__name__)

SUCCESS = "Success"
ERROR = "Error"


def service_context():
    """The context of the agent's own requests (heartbeats, power-state sync)."""
    return rpc.RequestContext(is_admin=True, overwrite=False)


def _utcnow_iso():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None).isoformat()


class AgentManager:
    target = messaging.Target(version="1.0")

    def __init__(self, conf, host, driver, conductor):
        self.conf = conf
        self.host = host
        self.driver = driver
        self.conductor = conductor
        self.availability_zone = conf.agent.availability_zone

    # --- life of the host ---------------------------------------------------------------

    def init_host(self):
        """Connect the driver, register the host, and reconcile what the database expects
        with what the hypervisor has: finish deletes, fail interrupted builds, destroy
        guests whose instances are gone."""
        self.driver.init_host(self.host)
        self.driver.register_event_listener(self.handle_lifecycle_event)
        self.report()
        ctxt = service_context()
        expected = {}
        for instance in self.conductor.instances_on_host(ctxt, self.host):
            expected[instance["uuid"]] = instance
            if instance["task_state"] == states.DELETING:
                self.terminate_instance(ctxt, instance["uuid"])
            elif instance["task_state"] in (states.NETWORKING, states.BLOCK_DEVICE_MAPPING,
                                            states.SPAWNING):
                # A build this agent had begun (a build still in "scheduling" may have
                # its message waiting in the queue; the conductor's build timeout
                # covers a lost one).
                self.conductor.claim_release(ctxt, instance["uuid"])
                self.conductor.build_failed(ctxt, instance["uuid"], self.host, {
                    "code": 500, "message": "The agent restarted during the build."})
        for uuid in self.driver.list_instance_uuids():
            if uuid not in expected:
                LOG.warning("Destroying guest %s: no instance of this host has it", uuid)
                self.driver.destroy(ctxt, {"uuid": uuid}, [])

    def report(self):
        """Heartbeat and capacity, through the conductor (periodic)."""
        ctxt = service_context()
        self.conductor.service_heartbeat(ctxt, self.host, self.availability_zone)
        self.conductor.report_inventory(ctxt, self.host, self.driver.get_available_resource(),
                                        self.availability_zone)

    def handle_lifecycle_event(self, event):
        """A guest changed power state on its own: record it; a running server whose guest
        shut down becomes SHUTOFF. An action in flight wins (its task_state is set)."""
        ctxt = service_context()
        try:
            instance = self.conductor.instance_get(ctxt, event.instance_uuid)
            updates = {"power_state": event.power_state}
            if (instance["vm_state"] == states.ACTIVE
                    and event.power_state in (power_state.SHUTDOWN, power_state.CRASHED)):
                updates["vm_state"] = states.STOPPED
            self._update(ctxt, event.instance_uuid, updates, [None])
        except (exception.InstanceNotFound, exception.UnexpectedTaskState) as exc:
            LOG.info("Ignoring lifecycle event for %s: %s", event.instance_uuid, exc)

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
        meta_data = {"uuid": instance["uuid"], "name": instance["name"],
                     "hostname": instance["hostname"],
                     "availability_zone": instance["availability_zone"],
                     "launch_index": instance["launch_index"],
                     "project_id": instance["project_id"],
                     "meta": instance["metadata"],
                     "public_keys": ({instance["key_name"]: instance["key_data"]}
                                     if instance["key_data"] else {})}
        user_data = (base64.b64decode(instance["user_data"]) if instance["user_data"]
                     else None)
        return {"meta_data": meta_data, "user_data": user_data, "network_info": network_info}

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
        event = "compute_build_and_run_instance"
        step = self._step_recorder(ctxt, uuid)
        instance = None
        try:
            instance = self._update(ctxt, uuid, {"task_state": states.NETWORKING},
                                    states.SCHEDULING)
            network_info = (self.conductor.allocate_networks(ctxt, uuid, self.host)
                            if instance["requested_networks"] else [])
            self._update(ctxt, uuid, {"task_state": states.BLOCK_DEVICE_MAPPING},
                         states.NETWORKING)
            instance = self._update(ctxt, uuid, {"task_state": states.SPAWNING},
                                    states.BLOCK_DEVICE_MAPPING)
            self.driver.spawn(ctxt, instance, instance["image_meta"], network_info,
                              instance["block_device_mappings"],
                              self._config_drive_meta(instance, network_info), step)
            self._update(ctxt, uuid, {"vm_state": states.ACTIVE, "task_state": None,
                                      "power_state": self.driver.get_power_state(instance),
                                      "launched_at": _utcnow_iso()}, states.SPAWNING)
        except (exception.UnexpectedTaskState, exception.InstanceNotFound) as exc:
            # Deleted (the delete, terminate_instance, finishes the job) or no longer
            # ours: stop here and leave the instance to whoever has it now.
            LOG.info("Build of %s on %s stopped: %s", uuid, self.host, exc)
            if instance is not None:
                self.driver.destroy(ctxt, instance, instance["network_info"])
            self._finish_event_quietly(ctxt, uuid, event, ERROR, str(exc))
        except Exception as exc:
            LOG.exception("Build of %s failed on %s", uuid, self.host)
            self._build_failed(ctxt, uuid, event, instance, exc)
        else:
            self.conductor.action_event_finish(ctxt, uuid, event, self.host, SUCCESS)

    def _build_failed(self, ctxt, uuid, event, instance, exc):
        """Undo what the build left here, give back the claim, let the conductor retry."""
        if instance is not None:
            try:
                self.driver.destroy(ctxt, instance, instance["network_info"])
            except Exception:
                LOG.exception("Cleaning up the failed build of %s", uuid)
        self._finish_event_quietly(ctxt, uuid, event, ERROR, str(exc))
        self.conductor.claim_release(ctxt, uuid)
        self.conductor.build_failed(ctxt, uuid, self.host, {
            "code": 500, "message": str(exc) or type(exc).__name__,
            "details": traceback.format_exc()})

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

    def reboot_instance(self, ctxt, instance_uuid, hard):
        expected = states.REBOOTING_HARD if hard else states.REBOOTING
        self._power_action(
            ctxt, instance_uuid, "compute_reboot_instance", expected,
            lambda instance: self.driver.reboot(ctxt, instance, instance["network_info"],
                                                hard),
            states.ACTIVE)

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
