"""Server states: the API status they show and which actions they allow."""
import pytest

from contract import exception
from controller.compute import states
from controller.compute.exception import InstanceInvalidState


@pytest.mark.parametrize("vm_state, task_state, status", [
    (states.BUILDING, states.SCHEDULING, "BUILD"),
    (states.BUILDING, states.SPAWNING, "BUILD"),
    (states.ACTIVE, None, "ACTIVE"),
    (states.ACTIVE, states.POWERING_OFF, "ACTIVE"),
    (states.ACTIVE, states.REBOOTING, "REBOOT"),
    (states.ACTIVE, states.REBOOTING_HARD, "HARD_REBOOT"),
    (states.ACTIVE, states.DELETING, "ACTIVE"),
    (states.STOPPED, None, "SHUTOFF"),
    (states.STOPPED, states.POWERING_ON, "SHUTOFF"),
    (states.ERROR, None, "ERROR"),
    (states.DELETED, None, "DELETED"),
    (states.ACTIVE, states.RESIZE_PREP, "RESIZE"),
    (states.ACTIVE, states.RESIZE_MIGRATING, "RESIZE"),
    (states.STOPPED, states.RESIZE_MIGRATED, "RESIZE"),
    (states.STOPPED, states.RESIZE_FINISH, "RESIZE"),
    (states.RESIZED, None, "VERIFY_RESIZE"),
    (states.RESIZED, states.RESIZE_REVERTING, "REVERT_RESIZE"),
    (states.SHELVED, None, "SHELVED"),
    (states.SHELVED_OFFLOADED, states.UNSHELVING, "SHELVED_OFFLOADED"),
    (states.RESCUED, None, "RESCUE"),
])
def test_status(vm_state, task_state, status):
    assert states.status(vm_state, task_state) == status


def test_status_filter_maps_back_to_vm_state():
    for vm_state in (states.BUILDING, states.ACTIVE, states.STOPPED, states.ERROR):
        assert states.VM_STATES_BY_STATUS[states.status(vm_state, None)] == vm_state


@pytest.mark.parametrize("action, vm_state, task_state, new_task_state", [
    ("stop", states.ACTIVE, None, states.POWERING_OFF),
    ("stop", states.ERROR, None, states.POWERING_OFF),
    ("start", states.STOPPED, None, states.POWERING_ON),
    ("reboot", states.ACTIVE, None, states.REBOOTING),
    ("reboot_hard", states.ACTIVE, states.REBOOTING, states.REBOOTING_HARD),
    ("reboot_hard", states.STOPPED, None, states.REBOOTING_HARD),
    ("resize", states.ACTIVE, None, states.RESIZE_PREP),
    ("resize", states.STOPPED, None, states.RESIZE_PREP),
    ("migrate", states.STOPPED, None, states.RESIZE_PREP),
    ("confirmResize", states.RESIZED, None, None),
    ("revertResize", states.RESIZED, None, states.RESIZE_REVERTING),
    ("shelve", states.SUSPENDED, None, states.SHELVING),
    ("shelveOffload", states.SHELVED, None, states.SHELVING_OFFLOADING),
    ("unshelve", states.SHELVED_OFFLOADED, None, states.UNSHELVING),
    ("rescue", states.ERROR, None, states.RESCUING),
    ("unrescue", states.RESCUED, None, states.UNRESCUING),
    ("evacuate", states.STOPPED, None, states.REBUILDING),
])
def test_allowed_actions(action, vm_state, task_state, new_task_state):
    assert states.begin_action(action, vm_state, task_state) == new_task_state


@pytest.mark.parametrize("action, vm_state, task_state", [
    ("stop", states.STOPPED, None),
    ("stop", states.BUILDING, states.SCHEDULING),
    ("stop", states.ACTIVE, states.REBOOTING),
    ("start", states.ACTIVE, None),
    ("start", states.STOPPED, states.DELETING),
    ("reboot", states.STOPPED, None),
    ("reboot", states.ACTIVE, states.REBOOTING),
    ("reboot_hard", states.BUILDING, states.SPAWNING),
    ("reboot_hard", states.ACTIVE, states.DELETING),
    ("resize", states.PAUSED, None),
    ("resize", states.RESIZED, None),
    ("migrate", states.ACTIVE, states.RESIZE_PREP),
    ("migrate", states.ERROR, None),
    ("confirmResize", states.ACTIVE, None),
    ("revertResize", states.RESIZED, states.RESIZE_REVERTING),
    ("confirmResize", states.RESIZED, states.RESIZE_REVERTING),
    ("shelve", states.SHELVED, None),
    ("shelveOffload", states.SHELVED_OFFLOADED, None),
    ("unshelve", states.ACTIVE, None),
    ("unshelve", states.SHELVED_OFFLOADED, states.UNSHELVING),
    ("rescue", states.RESCUED, None),
    ("unrescue", states.ACTIVE, None),
    ("evacuate", states.SHELVED_OFFLOADED, None),
])
def test_refused_actions(action, vm_state, task_state):
    with pytest.raises(InstanceInvalidState, match=f"Cannot '{action}'"):
        states.begin_action(action, vm_state, task_state)


def test_expected_task_state_guard():
    states.check_expected_task_state(states.SPAWNING, None)
    states.check_expected_task_state(states.SPAWNING, states.SPAWNING)
    states.check_expected_task_state(None, [None])
    states.check_expected_task_state(states.NETWORKING, (states.SCHEDULING,
                                                         states.NETWORKING))
    with pytest.raises(exception.UnexpectedTaskState) as caught:
        states.check_expected_task_state(states.POWERING_OFF, [None])
    assert not isinstance(caught.value, exception.UnexpectedDeletingTaskState)
    with pytest.raises(exception.UnexpectedDeletingTaskState):
        states.check_expected_task_state(states.DELETING, states.SPAWNING)
