"""A server's states and which moves between them are allowed — pure, as in Nova.

``vm_state`` is where the server is at rest, ``task_state`` what is being done to it
now (None when nothing is), and ``power_state`` what the hypervisor last reported
(``agent.virt.power_state``). The API status clients see is derived from the first two.
"""
import dataclasses

from contract import exception
from contract.vm_states import (BUILDING, ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR,
                               DELETED, SCHEDULING, NETWORKING, BLOCK_DEVICE_MAPPING,
                               SPAWNING, POWERING_OFF, POWERING_ON, REBOOTING,
                               REBOOTING_HARD, PAUSING, UNPAUSING, SUSPENDING, RESUMING,
                               IMAGE_SNAPSHOT, IMAGE_UPLOADING, IMAGE_BACKUP, REBUILDING,
                               REBUILD_SPAWNING, DELETING, RESIZED, RESIZE_PREP,
                               RESIZE_MIGRATING, RESIZE_MIGRATED, RESIZE_FINISH,
                               RESIZE_REVERTING, SHELVED, SHELVED_OFFLOADED, SHELVING,
                               SHELVING_OFFLOADING, UNSHELVING, RESCUED, RESCUING,
                               UNRESCUING, MIGRATING)
from controller.compute.exception import InstanceInvalidState

# Nova's vm_state of a deleted server kept for reclaim_instance_interval.
SOFT_DELETED = "soft-delete"

_STATUS_BY_VM_STATE = {
    BUILDING: "BUILD",
    ACTIVE: "ACTIVE",
    STOPPED: "SHUTOFF",
    PAUSED: "PAUSED",
    SUSPENDED: "SUSPENDED",
    ERROR: "ERROR",
    DELETED: "DELETED",
    RESIZED: "VERIFY_RESIZE",
    SHELVED: "SHELVED",
    SHELVED_OFFLOADED: "SHELVED_OFFLOADED",
    RESCUED: "RESCUE",
}

# A resize or cold migration on its way shows as RESIZE (Nova's table).
_RESIZING = {task_state: "RESIZE" for task_state in (RESIZE_PREP, RESIZE_MIGRATING,
                                                     RESIZE_MIGRATED, RESIZE_FINISH)}

# Task states that show instead of the vm_state's status (Nova's table, as far as the
# actions here go): a rebuild shows from every state it may start from.
_STATUS_BY_TASK_STATE = {
    ACTIVE: {REBOOTING: "REBOOT", REBOOTING_HARD: "HARD_REBOOT",
             REBUILDING: "REBUILD", REBUILD_SPAWNING: "REBUILD", MIGRATING: "MIGRATING",
             **_RESIZING},
    PAUSED: {MIGRATING: "MIGRATING"},
    STOPPED: {REBUILDING: "REBUILD", REBUILD_SPAWNING: "REBUILD", **_RESIZING},
    ERROR: {REBUILDING: "REBUILD", REBUILD_SPAWNING: "REBUILD"},
    RESIZED: {RESIZE_REVERTING: "REVERT_RESIZE"},
}

# API status → vm_states, for ``GET /servers?status=``.
VM_STATES_BY_STATUS = {status: vm_state for vm_state, status in _STATUS_BY_VM_STATE.items()}


def status(vm_state, task_state):
    """The API status (``BUILD``, ``ACTIVE``, ``SHUTOFF``, ``REBOOT`` ...) of a server."""
    by_task_state = _STATUS_BY_TASK_STATE.get(vm_state, {})
    if task_state in by_task_state:
        return by_task_state[task_state]
    return _STATUS_BY_VM_STATE.get(vm_state, "UNKNOWN")


class AllBut(frozenset):
    """Every state except these: lets a rule name what it refuses (``AllBut({DELETING})``)."""

    def __contains__(self, state):
        return not frozenset.__contains__(self, state)


ANY = AllBut()

# The guards an action passes, each refusing with a 409; a rule lists them in the order
# they are checked, as Nova stacks ``check_instance_lock``, ``check_instance_host`` and
# ``check_instance_state`` on each method of its compute API.
LOCK = "lock"     # a locked server refuses everyone but admins
HOST = "host"     # the server must be on a host (an agent carries the action out)
STATE = "state"   # vm_state and task_state must be ones the action may start from


@dataclasses.dataclass(frozen=True)
class Rule:
    """When a server action may start, and the task_state it puts the server in."""

    vm_states: frozenset
    task_states: frozenset
    sets_task_state: str | None = None
    guards: tuple = (LOCK, HOST, STATE)
    # The message of a host or state refusal, when the action words it its own way
    # (fields: uuid, vm_state, task_state).
    refusal: str | None = None

    def __post_init__(self):
        for name in ("vm_states", "task_states"):
            if not isinstance(getattr(self, name), frozenset):
                object.__setattr__(self, name, frozenset(getattr(self, name)))


# Every server action the API starts. None among task_states means "no task running".
ACTIONS = {
    "stop": Rule({ACTIVE, ERROR}, {None}, POWERING_OFF),
    "start": Rule({STOPPED}, {None}, POWERING_ON),
    "reboot": Rule({ACTIVE}, {None}, REBOOTING),
    "reboot_hard": Rule({ACTIVE, STOPPED, ERROR}, {None, REBOOTING}, REBOOTING_HARD),
    "pause": Rule({ACTIVE}, {None}, PAUSING),
    "unpause": Rule({PAUSED}, {None}, UNPAUSING),
    "suspend": Rule({ACTIVE}, {None}, SUSPENDING),
    "resume": Rule({SUSPENDED}, {None}, RESUMING),
    "createImage": Rule({ACTIVE, STOPPED, PAUSED, SUSPENDED}, {None}, IMAGE_SNAPSHOT),
    "createBackup": Rule({ACTIVE, STOPPED, PAUSED, SUSPENDED}, {None}, IMAGE_BACKUP),
    "rebuild": Rule({ACTIVE, STOPPED, ERROR}, {None}, REBUILDING),
    # From any state; DELETING only while a live agent destroys the guest.
    "delete": Rule(ANY, ANY, DELETING, guards=(LOCK,)),
    # forceDelete: a delete from any state, but not while another task runs (Nova).
    "forceDelete": Rule(ANY, {None}, DELETING, guards=(LOCK, STATE)),
    # Only a SOFT_DELETED server is restored. This cloud deletes at once (Nova's
    # reclaim_instance_interval 0), so restore always refuses, as Nova then does.
    "restore": Rule({SOFT_DELETED}, {None}, guards=(LOCK, STATE)),
    "changePassword": Rule({ACTIVE}, {None}, guards=(LOCK, STATE)),
    # An admin's os-resetState: from anything, to ACTIVE or ERROR with no task.
    "resetState": Rule(ANY, ANY, guards=()),
    "lock": Rule(ANY, ANY, guards=()),
    "unlock": Rule(ANY, ANY, guards=()),
    "attach_volume": Rule({ACTIVE, STOPPED}, {None}, guards=(LOCK, STATE, HOST)),
    "detach_volume": Rule({ACTIVE, STOPPED}, {None}, guards=(LOCK, STATE, HOST)),
    "update_metadata": Rule(
        ANY, AllBut({DELETING}), guards=(LOCK, STATE),
        refusal="Cannot change the metadata of instance {uuid} while it is being deleted"),
    # Nova's check_instance_host and reject_instance_state(DELETING) of get_*_console.
    "get_remote_console": Rule(
        ANY, AllBut({DELETING}), guards=(HOST, STATE),
        refusal="Instance {uuid} is not ready"),
    # Nova's check_instance_host and reject_instance_state(DELETING) of get_diagnostics.
    "get_diagnostics": Rule(
        ANY, AllBut({DELETING}), guards=(HOST, STATE),
        refusal="Cannot get the diagnostics of instance {uuid} while it is in vm_state "
                "{vm_state}"),
    "get_console_output": Rule(
        {ACTIVE, STOPPED}, ANY, guards=(STATE, HOST),
        refusal="Cannot get the console of instance {uuid} while it is in vm_state "
                "{vm_state}"),
}

# Moving a server (``server_moves``): a resize or cold migration starts from a server at
# rest and ends in RESIZED, which only its confirm or revert leaves.
ACTIONS.update({
    "resize": Rule({ACTIVE, STOPPED}, {None}, RESIZE_PREP),
    "migrate": Rule({ACTIVE, STOPPED}, {None}, RESIZE_PREP),
    "confirmResize": Rule({RESIZED}, {None}),
    "revertResize": Rule({RESIZED}, {None}, RESIZE_REVERTING),
    # Shelving snapshots the server and (offloaded) frees its host; an offloaded server
    # is on no host, so unshelving it checks no host.
    "shelve": Rule({ACTIVE, STOPPED, PAUSED, SUSPENDED}, {None}, SHELVING),
    "shelveOffload": Rule({SHELVED}, {None}, SHELVING_OFFLOADING),
    "unshelve": Rule({SHELVED, SHELVED_OFFLOADED}, {None}, UNSHELVING,
                     guards=(LOCK, STATE)),
    # Rebuilt elsewhere while its host is down; the HOST guard is the API's own check.
    "evacuate": Rule({ACTIVE, STOPPED, ERROR}, {None}, REBUILDING),
    "rescue": Rule({ACTIVE, STOPPED, ERROR}, {None}, RESCUING),
    "unrescue": Rule({RESCUED}, {None}, UNRESCUING),
    # A live migration moves a running (or paused) guest; while it runs, an admin may
    # abort it or force it to complete (Nova's checks on the server-migrations API).
    "os-migrateLive": Rule({ACTIVE, PAUSED}, {None}, MIGRATING),
    "live_migration_abort": Rule({ACTIVE, PAUSED}, {MIGRATING}),
    "live_migration_force_complete": Rule({ACTIVE}, {MIGRATING}),
})

# action → the vm_state it leaves the server in (the others keep theirs).
FINAL_VM_STATE = {"pause": PAUSED, "unpause": ACTIVE, "suspend": SUSPENDED,
                  "resume": ACTIVE}


def _refuse(action, rule, default, instance_uuid, vm_state, task_state):
    if rule.refusal:
        default = rule.refusal.format(uuid=instance_uuid, vm_state=vm_state,
                                      task_state=task_state)
    raise InstanceInvalidState(default)


def begin_action(action, vm_state, task_state, instance_uuid=None):
    """The task_state ``action`` puts the server in, or InstanceInvalidState (→ 409)."""
    rule = ACTIONS[action]
    if vm_state not in rule.vm_states or task_state not in rule.task_states:
        which = f" {instance_uuid}" if instance_uuid else ""
        _refuse(action, rule,
                f"Cannot '{action}' instance{which} while it is in vm_state {vm_state}"
                + (f" and task_state {task_state}" if task_state else ""),
                instance_uuid, vm_state, task_state)
    return rule.sets_task_state


def check_unlocked(instance_uuid, locked, is_admin):
    """A locked server refuses everyone but admins, its owner included (409), as Nova's
    ``check_instance_lock``."""
    if locked and not is_admin:
        raise InstanceInvalidState(f"Instance {instance_uuid} is locked")


def check_action(action, instance, is_admin, skip=()):
    """Pass ``instance`` through the guards of ``action`` in the table's order (409 at
    the first that refuses); returns the task_state the action sets. ``skip``: guards
    left for later, e.g. the host when a preflight check runs before slow work."""
    rule = ACTIONS[action]
    for guard in rule.guards:
        if guard in skip:
            continue
        if guard == LOCK:
            check_unlocked(instance.uuid, instance.locked, is_admin)
        elif guard == HOST and not instance.host:
            _refuse(action, rule, f"Cannot '{action}' instance {instance.uuid}: it is on "
                                  f"no host.",
                    instance.uuid, instance.vm_state, instance.task_state)
        elif guard == STATE:
            begin_action(action, instance.vm_state, instance.task_state, instance.uuid)
    return rule.sets_task_state


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
