"""The table of server actions (``states.ACTIONS``): which states each may start from,
the task_state it sets, and the order of its lock, host and state guards — pure logic."""
import types

import pytest

from controller.compute import states
from controller.compute.exception import InstanceInvalidState

VM_STATES = (states.BUILDING, states.ACTIVE, states.STOPPED, states.PAUSED,
             states.SUSPENDED, states.ERROR)
TASK_STATES = (None, states.SCHEDULING, states.SPAWNING, states.POWERING_OFF,
               states.REBOOTING, states.IMAGE_SNAPSHOT, states.REBUILDING, states.DELETING)


def server(vm_state=states.ACTIVE, task_state=None, host="h1", locked=False):
    return types.SimpleNamespace(uuid="u1", vm_state=vm_state, task_state=task_state,
                                 host=host, locked=locked)


def refusal(action, instance, is_admin=False, skip=()):
    with pytest.raises(InstanceInvalidState) as caught:
        states.check_action(action, instance, is_admin, skip)
    return str(caught.value)


def test_all_but():
    assert states.AllBut({states.DELETING}).__contains__(None)
    assert states.SPAWNING in states.AllBut({states.DELETING})
    assert states.DELETING not in states.AllBut({states.DELETING})
    assert all(vm_state in states.ANY for vm_state in VM_STATES + (None,))


def test_every_rule_is_well_formed():
    known_guards = {states.LOCK, states.HOST, states.STATE}
    for action, rule in states.ACTIONS.items():
        assert set(rule.guards) <= known_guards, action
        assert len(set(rule.guards)) == len(rule.guards), action
        # An action that may start only from some states checks them.
        any_state = all(isinstance(allowed, states.AllBut) and not allowed
                        for allowed in (rule.vm_states, rule.task_states))
        assert any_state or states.STATE in rule.guards, action


@pytest.mark.parametrize("action", ["stop", "start", "reboot", "pause", "unpause",
                                    "suspend", "resume", "createImage", "rebuild"])
def test_actions_of_agents_start_only_when_no_task_runs(action):
    rule = states.ACTIONS[action]
    for vm_state in VM_STATES:
        for task_state in TASK_STATES[1:]:
            with pytest.raises(InstanceInvalidState):
                states.begin_action(action, vm_state, task_state)
    for vm_state in rule.vm_states:
        assert states.begin_action(action, vm_state, None) == rule.sets_task_state


def test_hard_reboot_may_interrupt_a_soft_one():
    assert states.check_action("reboot_hard", server(task_state=states.REBOOTING),
                               False) == states.REBOOTING_HARD


def test_locked_server_refuses_its_owner_but_not_admins():
    locked = server(locked=True)
    for action in ("stop", "createImage", "rebuild", "delete", "attach_volume",
                   "detach_volume", "update_metadata"):
        assert refusal(action, locked) == "Instance u1 is locked"
        states.check_action(action, locked, True)


def test_lock_unlock_and_console_ignore_the_lock():
    locked = server(locked=True)
    for action in ("lock", "unlock", "get_console_output"):
        states.check_action(action, locked, False)


@pytest.mark.parametrize("vm_state", VM_STATES)
@pytest.mark.parametrize("task_state", TASK_STATES)
def test_delete_from_any_state(vm_state, task_state):
    assert states.check_action("delete", server(vm_state, task_state, host=None),
                               False) == states.DELETING


def test_power_actions_check_the_host_before_the_state():
    hostless = server(states.BUILDING, states.SCHEDULING, host=None)
    assert refusal("stop", hostless) == "Cannot 'stop' instance u1: it is on no host."
    assert refusal("stop", server(states.STOPPED)) == (
        "Cannot 'stop' instance u1 while it is in vm_state stopped")


def test_volume_actions_check_the_state_before_the_host():
    hostless = server(states.ERROR, host=None)
    assert refusal("attach_volume", hostless) == (
        "Cannot 'attach_volume' instance u1 while it is in vm_state error")
    assert refusal("detach_volume", server(host=None)) == (
        "Cannot 'detach_volume' instance u1: it is on no host.")
    assert refusal("attach_volume", server(task_state=states.REBOOTING)) == (
        "Cannot 'attach_volume' instance u1 while it is in vm_state active and "
        "task_state rebooting")


def test_skipped_guards_are_left_for_later():
    hostless = server(host=None)
    assert states.check_action("createImage", hostless, False,
                               skip=(states.HOST,)) == states.IMAGE_SNAPSHOT
    states.check_action("detach_volume", server(states.BUILDING, locked=False), False,
                        skip=(states.STATE, states.HOST))
    states.check_action("detach_volume", server(locked=True), False, skip=(states.LOCK,))


def test_metadata_changes_stop_while_deleting():
    for task_state in TASK_STATES:
        if task_state != states.DELETING:
            states.check_action("update_metadata", server(task_state=task_state), False)
    assert refusal("update_metadata", server(task_state=states.DELETING)) == (
        "Cannot change the metadata of instance u1 while it is being deleted")


@pytest.mark.parametrize("instance", [server(states.PAUSED), server(states.ERROR),
                                      server(states.ACTIVE, host=None)])
def test_console_needs_a_running_or_stopped_server_on_a_host(instance):
    assert refusal("get_console_output", instance) == (
        f"Cannot get the console of instance u1 while it is in vm_state "
        f"{instance.vm_state}")


def test_console_while_a_task_runs():
    states.check_action("get_console_output", server(states.STOPPED,
                                                     states.POWERING_ON), False)
