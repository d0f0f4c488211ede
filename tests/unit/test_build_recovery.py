"""What happens to a build interrupted by a process that died or a message that was
lost: the agent's decision at its restart (``agent.interrupted``) and the conductor's
for a build that stopped moving (``controller.conductor.recovery``)."""
import pytest

from agent import interrupted
from agent.virt import power_state
from contract import vm_states as states
from contract.rpc import RequestContext
from controller.conductor import recovery

VOLUME = {"destination_type": "volume", "volume_id": "v", "boot_index": 0}
LOCAL = {"destination_type": "local", "boot_index": 0}


@pytest.mark.parametrize("task_state, guest, bdms, action", [
    (states.SPAWNING, power_state.RUNNING, [], interrupted.FINISH),
    (states.SPAWNING, power_state.RUNNING, [LOCAL], interrupted.FINISH),
    # The attachment's completion went with the process.
    (states.SPAWNING, power_state.RUNNING, [VOLUME], interrupted.RESCHEDULE),
    # Defined but not started, or never made: the spawn did not finish.
    (states.SPAWNING, power_state.SHUTDOWN, [], interrupted.RESCHEDULE),
    (states.SPAWNING, power_state.NOSTATE, [], interrupted.RESCHEDULE),
    (states.SPAWNING, power_state.PAUSED, [], interrupted.RESCHEDULE),
    # A guest running before the spawn step cannot be this build's.
    (states.NETWORKING, power_state.RUNNING, [], interrupted.RESCHEDULE),
    (states.BLOCK_DEVICE_MAPPING, power_state.NOSTATE, [], interrupted.RESCHEDULE),
])
def test_interrupted_build_is_finished_only_when_its_guest_runs(task_state, guest, bdms,
                                                                 action):
    assert interrupted.interrupted_build_action(task_state, guest, bdms) == action


@pytest.mark.parametrize("task_state, host, agent_up, stale, action", [
    # Nobody has it: sent again once it stalls (its message may still be queued before).
    (states.SCHEDULING, None, True, False, None),
    (states.SCHEDULING, None, True, True, recovery.REDRIVE),
    # Its host's agent is down: another host, whatever the step.
    (states.SCHEDULING, "h", False, False, recovery.RESCHEDULE),
    (states.SPAWNING, "h", False, False, recovery.RESCHEDULE),
    (states.NETWORKING, "h", False, True, recovery.RESCHEDULE),
    # An agent that is up and never took the build: another host.
    (states.SCHEDULING, "h", True, True, recovery.RESCHEDULE),
    (states.SCHEDULING, "h", True, False, None),
    # An agent that is up and took it but does not move: ERROR (it may still be at it).
    (states.SPAWNING, "h", True, True, recovery.FAIL),
    (states.BLOCK_DEVICE_MAPPING, "h", True, False, None),
])
def test_stuck_build_action(task_state, host, agent_up, stale, action):
    assert recovery.stuck_build_action(task_state, host, agent_up, stale) == action


@pytest.mark.parametrize("task_state, host, agent_up, stale, action", [
    # Every agent looks down (the broker or the conductor was away): wait for them.
    (states.SCHEDULING, None, True, True, None),
    (states.SPAWNING, "h", False, True, None),
    (states.SCHEDULING, "h", False, False, None),
])
def test_nothing_is_sent_while_every_agent_looks_down(task_state, host, agent_up, stale,
                                                     action):
    assert recovery.stuck_build_action(task_state, host, agent_up, stale,
                                       any_agent_up=False) == action


@pytest.mark.parametrize("vm_state, task_state, host, holder", [
    # Sent by the first scheduling: its host keeps the claim, also once built there
    # (the scheduling sent again came back after the build ended).
    (states.BUILDING, states.SPAWNING, "h", "h"),
    (states.BUILDING, states.SCHEDULING, "h", "h"),
    (states.ACTIVE, None, "h", "h"),
    (states.STOPPED, None, "h", "h"),
    # Failed, deleted or on no host: no claim.
    (states.ERROR, None, "h", None),
    (states.ACTIVE, states.DELETING, "h", None),
    (states.DELETED, None, "h", None),
    (states.SHELVED_OFFLOADED, None, None, None),
])
def test_a_build_scheduled_twice_keeps_its_claim_where_it_is(vm_state, task_state, host,
                                                            holder):
    assert recovery.claim_holder(vm_state, task_state, host) == holder


def test_a_build_goes_on_with_the_users_context():
    user = RequestContext(auth_token="user-token", user_id="u", project_id="p",
                          request_id="req-1", overwrite=False)
    kept = {"hosts": ["h"], "context": user.to_dict()}
    agent = RequestContext(is_admin=True, overwrite=False)     # no token
    for caller in (agent, None):
        context = recovery.build_context(kept, caller)
        assert (context.auth_token, context.project_id, context.request_id) == (
            "user-token", "p", "req-1")
    other = RequestContext(auth_token="other", overwrite=False)
    assert recovery.build_context(kept, other) is other
    assert recovery.build_context({}, agent) is agent
    assert recovery.build_context({}, None).auth_token is None
