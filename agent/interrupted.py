"""A build this agent had begun when it stopped (killed, crashed, host rebooted): at the
next start it is finished when the guest made it, else taken back and handed to the
conductor for another host — never left in ERROR for a restart alone.

Beyond Nova, whose compute sets such a build to ERROR at start-up: the conductor keeps
the context of the request that asked for the build, so another host can build it for
the user although this agent lost the user's token with its process.
"""
import logging

from agent import build
from agent.virt import power_state
from agent.volumes import is_volume
from contract import exception
from contract import vm_states as states

LOG = logging.getLogger(__name__)

FINISH = "finish"            # the guest runs: record what the build would have recorded
RESCHEDULE = "reschedule"    # take back what the build made, and retry on another host

RESTART_FAULT = "The agent restarted during the build."


def interrupted_build_action(task_state, guest_power_state, block_device_mappings):
    """What to do with an instance found in ``task_state`` (one of
    ``build.BUILD_STEPS``) at start, whose guest here is in ``guest_power_state``
    (``NOSTATE`` when there is none). Only a spawn that started its guest is finished:
    the guest starts as the spawn's last step. A build with volumes is rescheduled, as
    its attachments' completion went with the process."""
    if (task_state == states.SPAWNING and guest_power_state == power_state.RUNNING
            and not any(is_volume(bdm) for bdm in block_device_mappings)):
        return FINISH
    return RESCHEDULE


def recover(manager, ctxt, instance, guest_power_state):
    """Finish or reschedule ``instance``'s interrupted build; returns the instance as
    it now is when it stays on this host (finished), else None."""
    uuid = instance["uuid"]
    action = interrupted_build_action(instance["task_state"], guest_power_state,
                                      instance["block_device_mappings"])
    if action == FINISH:
        LOG.warning("Build of %s was interrupted after its guest started: finishing it",
                    uuid)
        drive = build.config_drive_meta(manager.conf, instance, instance["network_info"])
        try:
            return manager.update(ctxt, uuid, {
                "vm_state": states.ACTIVE, "task_state": None,
                "power_state": guest_power_state, "launched_at": build.utcnow_iso(),
                "config_drive": drive is not None}, states.SPAWNING)
        except (exception.InstanceNotFound, exception.UnexpectedTaskState) as exc:
            LOG.info("Interrupted build of %s is no longer this host's: %s", uuid, exc)
            return None
    LOG.warning("Build of %s was interrupted by a restart of the agent: rescheduling it",
                uuid)
    try:
        manager.driver.destroy(ctxt, instance, instance["network_info"])
        manager.ports.release_all(ctxt, instance)
        manager.volumes.release_attachments(ctxt, uuid, manager.token_for(ctxt))
    except Exception:
        LOG.exception("Cleaning up the interrupted build of %s", uuid)
    # The conductor releases the claim if the build is still this host's.
    manager.conductor.build_failed(ctxt, uuid, manager.host,
                                   {"code": 500, "message": RESTART_FAULT}, retry=True)
    return None
