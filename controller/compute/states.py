"""A server's states and which moves between them are allowed — pure, as in Nova.

``vm_state`` is where the server is at rest, ``task_state`` what is being done to it
now (None when nothing is), and ``power_state`` what the hypervisor last reported
(``agent.virt.power_state``). The API status clients see is derived from the first two.
"""
from contract import exception
from contract.vm_states import (BUILDING, ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR,
                               DELETED, SCHEDULING, NETWORKING, BLOCK_DEVICE_MAPPING,
                               SPAWNING, POWERING_OFF, POWERING_ON, REBOOTING,
                               REBOOTING_HARD, PAUSING, UNPAUSING, SUSPENDING, RESUMING,
                               IMAGE_SNAPSHOT, IMAGE_UPLOADING, REBUILDING,
                               REBUILD_SPAWNING, DELETING)
from controller.compute.exception import InstanceInvalidState

_STATUS_BY_VM_STATE = {
    BUILDING: "BUILD",
    ACTIVE: "ACTIVE",
    STOPPED: "SHUTOFF",
    PAUSED: "PAUSED",
    SUSPENDED: "SUSPENDED",
    ERROR: "ERROR",
    DELETED: "DELETED",
}

# Task states that show instead of the vm_state's status (Nova's table, as far as the
# actions here go): a rebuild shows from every state it may start from.
_STATUS_BY_TASK_STATE = {
    ACTIVE: {REBOOTING: "REBOOT", REBOOTING_HARD: "HARD_REBOOT",
             REBUILDING: "REBUILD", REBUILD_SPAWNING: "REBUILD"},
    STOPPED: {REBUILDING: "REBUILD", REBUILD_SPAWNING: "REBUILD"},
    ERROR: {REBUILDING: "REBUILD", REBUILD_SPAWNING: "REBUILD"},
}

# API status → vm_states, for ``GET /servers?status=``.
VM_STATES_BY_STATUS = {status: vm_state for vm_state, status in _STATUS_BY_VM_STATE.items()}


def status(vm_state, task_state):
    """The API status (``BUILD``, ``ACTIVE``, ``SHUTOFF``, ``REBOOT`` ...) of a server."""
    by_task_state = _STATUS_BY_TASK_STATE.get(vm_state, {})
    if task_state in by_task_state:
        return by_task_state[task_state]
    return _STATUS_BY_VM_STATE.get(vm_state, "UNKNOWN")


# action → (vm_states it may start from, task_states it may start from, task_state it sets)
ACTIONS = {
    "stop": ({ACTIVE, ERROR}, {None}, POWERING_OFF),
    "start": ({STOPPED}, {None}, POWERING_ON),
    "reboot": ({ACTIVE}, {None}, REBOOTING),
    "reboot_hard": ({ACTIVE, STOPPED, ERROR}, {None, REBOOTING}, REBOOTING_HARD),
    "pause": ({ACTIVE}, {None}, PAUSING),
    "unpause": ({PAUSED}, {None}, UNPAUSING),
    "suspend": ({ACTIVE}, {None}, SUSPENDING),
    "resume": ({SUSPENDED}, {None}, RESUMING),
    "createImage": ({ACTIVE, STOPPED, PAUSED, SUSPENDED}, {None}, IMAGE_SNAPSHOT),
    "rebuild": ({ACTIVE, STOPPED, ERROR}, {None}, REBUILDING),
}

# action → the vm_state it leaves the server in (the others keep theirs).
FINAL_VM_STATE = {"pause": PAUSED, "unpause": ACTIVE, "suspend": SUSPENDED,
                  "resume": ACTIVE}


def begin_action(action, vm_state, task_state, instance_uuid=None):
    """The task_state ``action`` puts the server in, or InstanceInvalidState (→ 409)."""
    vm_states, task_states, new_task_state = ACTIONS[action]
    if vm_state not in vm_states or task_state not in task_states:
        which = f" {instance_uuid}" if instance_uuid else ""
        raise InstanceInvalidState(
            f"Cannot '{action}' instance{which} while it is in vm_state {vm_state}"
            + (f" and task_state {task_state}" if task_state else ""))
    return new_task_state


def check_unlocked(instance_uuid, locked, is_admin):
    """A locked server refuses everyone but admins, its owner included (409), as Nova's
    ``check_instance_lock``."""
    if locked and not is_admin:
        raise InstanceInvalidState(f"Instance {instance_uuid} is locked")


def check_expected_task_state(current, expected):
    """Compare-and-swap guard of ``instance_update``: ``expected`` is a task_state or a
    tuple of them the server must be in for the update to apply."""
    if expected is None:
        return
    allowed = tuple(expected) if isinstance(expected, (list, tuple)) else (expected,)
    if current in allowed:
        return
    if current == DELETING:
        raise exception.UnexpectedDeletingTaskState(
            f"Instance is being deleted; expected task_state {list(allowed)}.")
    raise exception.UnexpectedTaskState(
        f"Unexpected task_state: expecting {list(allowed)} but the actual state is "
        f"{current!r}.")
