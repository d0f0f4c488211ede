"""The agent's part in moving a server (resize, cold migration), as Nova's compute
manager does it: the source host stops the guest and hands its disks over
(``resize_instance``), the destination wires the ports and starts it with the new
flavor (``finish_resize``); the server then waits in VERIFY_RESIZE for its confirm
(the source removes what it kept) or revert (the destination removes the moved guest,
the source starts the one it kept). The volumes go with the server: the host it leaves
hands them over (``ServerVolumes.hand_over``), the host that takes it connects them
before its guest starts. An evacuation rebuilds a server whose host is down
on this one; the old host removes its leftovers when its agent is back.

The claims, the migration record and the instance's host and flavor are the
conductor's (``controller.conductor.moves``); each step here reports to it.
"""
import functools

from agent import build
from agent.events import (agent_operation, fault_of, instance_lock, reverts_task_state,
                          step_recorder, with_instance, wrap_instance_event,
                          wrap_instance_fault)
from agent.rpcapi import AgentAPI
from agent.volumes import HandOverFailed
from contract import exception, rpc
from contract import vm_states as states

# Nova's statuses of the migration record that the agents set.
MIGRATING = "migrating"
POST_MIGRATING = "post-migrating"
FINISHED = "finished"
ERROR = "error"
EVACUATION_DONE = "done"
EVACUATION_FAILED = "failed"


def service_context():
    """The context of the agent's own requests (its periodic clean-up)."""
    return rpc.RequestContext(is_admin=True, overwrite=False)


class ServerMoves:
    """Mixed into ``AgentManager`` (``self.driver``, ``self.ports``, ``self.conductor``,
    ``self.update``, ``self.volumes``, ``self.host``, ``self.conf``)."""

    @functools.cached_property
    def agents(self):
        """The other hosts' agents: a move goes on there."""
        return AgentAPI()

    # --- on the source host -----------------------------------------------------------

    @agent_operation
    @wrap_instance_event("compute_resize_instance")
    @with_instance
    def resize_instance(self, ctxt, instance, migration_uuid):
        """Stop the guest and hand its disks to the destination; on failure the guest
        is back as it was, the claims too, and the server has the reason as its
        fault."""
        uuid = instance["uuid"]
        migration = self.conductor.migration_get(ctxt, migration_uuid)
        instance = self.update(ctxt, uuid, {"task_state": states.RESIZE_MIGRATING},
                               states.RESIZE_PREP)
        try:
            self.conductor.migration_update(ctxt, migration_uuid, MIGRATING)
            disk_info = self.driver.migrate_disk_and_power_off(
                ctxt, instance, migration["dest_host"], migration["new_flavor"],
                instance["network_info"], instance["block_device_mappings"],
                self.conf.agent.shutdown_timeout)
        except Exception as exc:
            self.conductor.resize_failed(ctxt, uuid, migration_uuid, self.host,
                                         fault_of(exc))
            raise
        try:
            self.volumes.hand_over(ctxt, instance)
        except HandOverFailed as exc:
            self._keep_here(ctxt, uuid, migration, exc.handed)
            self.conductor.resize_failed(ctxt, uuid, migration_uuid, self.host,
                                         fault_of(exc))
            raise
        self.conductor.migration_update(ctxt, migration_uuid, POST_MIGRATING)
        self.update(ctxt, uuid, {"task_state": states.RESIZE_MIGRATED},
                    states.RESIZE_MIGRATING)
        self.agents.finish_resize(ctxt, migration["dest_compute"], uuid, migration_uuid,
                                  disk_info)

    def _keep_here(self, ctxt, uuid, migration, handed):
        """The move stopped once the guest was stopped for it: the guest runs here
        again (stopped if it was), the volumes handed over connected here again."""
        instance = self.conductor.instance_get(ctxt, uuid)
        bdms = self.volumes.connect_here(ctxt, instance, only=handed)
        self.driver.finish_revert_migration(
            ctxt, instance, instance["network_info"], bdms,
            power_on=migration["old_vm_state"] != states.STOPPED)
        self.volumes.complete(ctxt, bdms)

    @agent_operation
    @wrap_instance_event("compute_confirm_resize")
    def confirm_resize(self, ctxt, instance_uuid, migration_uuid):
        """Remove what the server left on this host (its old guest and disks, its
        ports' wiring) and give back the claim here. Also when the server was deleted
        meanwhile (a delete confirms first)."""
        migration = self.conductor.migration_get(ctxt, migration_uuid)
        try:
            instance = self.conductor.instance_get(ctxt, instance_uuid)
        except exception.InstanceNotFound:
            instance = {"uuid": instance_uuid, "network_info": []}
        try:
            if migration["dest_compute"] != self.host:
                self.ports.unwire(instance)
            self.driver.confirm_migration(ctxt, migration, instance)
        except Exception:
            self.conductor.migration_update(ctxt, migration_uuid, ERROR)
            raise
        self.conductor.resize_confirmed(ctxt, instance_uuid, migration_uuid, self.host)

    @agent_operation
    @wrap_instance_event("compute_finish_revert_resize")
    @with_instance
    @reverts_task_state(states.RESIZE_REVERTING, states.ERROR)
    @wrap_instance_fault
    def finish_revert_resize(self, ctxt, instance, migration_uuid):
        """Take the server back: here again with its old flavor and claim, its ports
        wired here, the guest kept here started as it was (stopped if it was)."""
        uuid = instance["uuid"]
        migration = self.conductor.migration_get(ctxt, migration_uuid)
        instance = self.conductor.resize_reverted(ctxt, uuid, migration_uuid, self.host)
        network_info = self.ports.move_here(ctxt, instance)
        instance = self.update(ctxt, uuid, {"network_info": network_info},
                               states.RESIZE_REVERTING)
        bdms = self.volumes.connect_here(ctxt, instance)
        self.driver.finish_revert_migration(
            ctxt, instance, network_info, bdms,
            power_on=migration["old_vm_state"] != states.STOPPED)
        self.volumes.complete(ctxt, bdms)
        self.update(ctxt, uuid, {"vm_state": migration["old_vm_state"], "task_state": None,
                                 "power_state": self.driver.get_power_state(instance)},
                    states.RESIZE_REVERTING)

    # --- on the destination host ------------------------------------------------------

    @agent_operation
    @wrap_instance_event("compute_finish_resize")
    @with_instance
    @reverts_task_state((states.RESIZE_MIGRATED, states.RESIZE_FINISH), states.ERROR)
    @wrap_instance_fault
    def finish_resize(self, ctxt, instance, migration_uuid, disk_info):
        """The server is here now, with its new flavor: wire its ports, start the guest
        from the disks the source handed over; it then waits for confirm or revert."""
        uuid = instance["uuid"]
        migration = self.conductor.migration_get(ctxt, migration_uuid)
        try:
            instance = self.conductor.resize_finishing(ctxt, uuid, migration_uuid,
                                                       self.host)
            network_info = self.ports.move_here(ctxt, instance)
            instance = self.update(ctxt, uuid, {"network_info": network_info},
                                   states.RESIZE_FINISH)
            bdms = self.volumes.connect_here(ctxt, instance)
            self.driver.finish_migration(
                ctxt, migration, instance, disk_info, network_info,
                instance["image_meta"], bdms,
                power_on=migration["old_vm_state"] != states.STOPPED)
            self.volumes.complete(ctxt, bdms)
        except Exception:
            self.conductor.migration_update(ctxt, migration_uuid, ERROR)
            raise
        self.conductor.migration_update(ctxt, migration_uuid, FINISHED)
        self.update(ctxt, uuid, {"vm_state": states.RESIZED, "task_state": None,
                                 "power_state": self.driver.get_power_state(instance)},
                    states.RESIZE_FINISH)

    @agent_operation
    @wrap_instance_event("compute_revert_resize")
    @with_instance
    @reverts_task_state(states.RESIZE_REVERTING, states.ERROR)
    @wrap_instance_fault
    def revert_resize(self, ctxt, instance, migration_uuid):
        """Remove the moved guest and its disks here, then let the source host take
        the server back."""
        migration = self.conductor.migration_get(ctxt, migration_uuid)
        self.driver.destroy(ctxt, instance, instance["network_info"])
        self.volumes.hand_over(ctxt, instance)
        if migration["source_compute"] != self.host:
            self.ports.unwire(instance)
        self.agents.finish_revert_resize(ctxt, migration["source_compute"],
                                         instance["uuid"], migration_uuid)

    # --- evacuation ---------------------------------------------------------------------

    @agent_operation
    @wrap_instance_event("compute_rebuild_instance")
    @with_instance
    @reverts_task_state((states.REBUILDING, states.REBUILD_SPAWNING), states.ERROR)
    @wrap_instance_fault
    def evacuate_instance(self, ctxt, instance, migration_uuid):
        """Build here a server whose host is down, from its image on its own ports (its
        addresses kept) with its volumes (their attachments moved here); stopped if it
        was. A failure leaves it in ERROR here."""
        uuid = instance["uuid"]
        migration = self.conductor.migration_get(ctxt, migration_uuid)
        try:
            network_info = self.ports.move_here(ctxt, instance)
            self.volumes.hand_over(ctxt, instance)      # from the host that is down
            instance = self.update(ctxt, uuid, {"task_state": states.REBUILD_SPAWNING,
                                                "network_info": network_info},
                                   states.REBUILDING)
            bdms = self.volumes.connect_here(ctxt, instance)
            drive = build.config_drive_meta(self.conf, instance, network_info)
            self.driver.spawn(ctxt, instance, instance["image_meta"], network_info,
                              bdms, drive, step_recorder(self, ctxt, uuid))
            self.volumes.complete(ctxt, bdms)
            if migration["old_vm_state"] == states.STOPPED:
                self.driver.power_off(instance)
        except Exception:
            self.conductor.migration_update(ctxt, migration_uuid, EVACUATION_FAILED)
            raise
        self.conductor.migration_update(ctxt, migration_uuid, EVACUATION_DONE)
        self.update(ctxt, uuid, {
            "vm_state": (states.STOPPED if migration["old_vm_state"] == states.STOPPED
                         else states.ACTIVE),
            "task_state": None, "power_state": self.driver.get_power_state(instance),
            "launched_at": build.utcnow_iso(), "config_drive": drive is not None},
            states.REBUILD_SPAWNING)

    def clean_evacuated(self):
        """At start and periodically: remove what servers evacuated away from this host
        left here (guest, disks, wired ports), then release their claims here — Nova's
        ``_destroy_evacuated_instances``. Guests of servers this host has again are left
        alone."""
        ctxt = service_context()
        for migration in self.conductor.evacuations_from(ctxt, self.host):
            uuid = migration["instance_uuid"]
            try:
                instance = self.conductor.instance_get(ctxt, uuid)
            except exception.InstanceNotFound:
                instance = {"uuid": uuid, "host": None, "network_info": []}
            if instance["host"] != self.host:
                with instance_lock(uuid):
                    self.driver.destroy(ctxt, {"uuid": uuid}, [])
                    self.ports.unwire(instance)
            self.conductor.evacuation_cleaned(ctxt, migration["uuid"])
