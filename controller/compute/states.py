"""A server's states and which moves between them are allowed — pure, as in Nova.

``vm_state`` is where the server is at rest, ``task_state`` what is being done to it
now (None when nothing is), and ``power_state`` what the hypervisor last reported
(``agent.virt.power_state``). The API status clients see is derived from the first two.
"""
from controller.compute import exception

# vm_state
BUILDING = "building"
ACTIVE = "active"
STOPPED = "stopped"
ERROR = "error"
DELETED = "deleted"

# task_state
SCHEDULING = "scheduling"
NETWORKING = "networking"
BLOCK_DEVICE_MAPPING = "block_device_mapping"
SPAWNING = "spawning"
POWERING_OFF = "powering-off"
POWERING_ON = "powering-on"
REBOOTING = "rebooting"
REBOOTING_HARD = "rebooting_hard"
DELETING = "deleting"

_STATUS_BY_VM_STATE = {
    BUILDING: "BUILD",
    ACTIVE: "ACTIVE",
    STOPPED: "SHUTOFF",
    ERROR: "ERROR",
    DELETED: "DELETED",
}

_STATUS_BY_TASK_STATE = {
    REBOOTING: "REBOOT",
    REBOOTING_HARD: "HARD_REBOOT",
}

# API status → vm_states, for ``GET /servers?status=``.
VM_STATES_BY_STATUS = {status: vm_state for vm_state, status in _STATUS_BY_VM_STATE.items()}


def status(vm_state, task_state):
    """The API status (``BUILD``, ``ACTIVE``, ``SHUTOFF``, ``REBOOT`` ...) of a server."""
    if vm_state == ACTIVE and task_state in _STATUS_BY_TASK_STATE:
        return _STATUS_BY_TASK_STATE[task_state]
    return _STATUS_BY_VM_STATE.get(vm_state, "UNKNOWN")


# action → (vm_states it may start from, task_states it may start from, task_state it sets)
ACTIONS = {
    "stop": ({ACTIVE, ERROR}, {None}, POWERING_OFF),
    "start": ({STOPPED}, {None}, POWERING_ON),
    "reboot": ({ACTIVE}, {None}, REBOOTING),
    "reboot_hard": ({ACTIVE, STOPPED, ERROR}, {None, REBOOTING}, REBOOTING_HARD),
}


def begin_action(action, vm_state, task_state):
    """The task_state ``action`` puts the server in, or InstanceInvalidState (→ 409)."""
    vm_states, task_states, new_task_state = ACTIONS[action]
    if vm_state not in vm_states or task_state not in task_states:
        raise exception.InstanceInvalidState(
            f"Cannot '{action}' instance while it is in vm_state {vm_state}"
            + (f" and task_state {task_state}" if task_state else ""))
    return new_task_state


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
