"""What the conductor does with a build that stopped moving, and the request context a
build is carried on when it has to be sent again.

A build can stop because a process died under it (the conductor that had taken its
message, the agent that was building it), or because a message was lost (RabbitMQ
acknowledges an RPC message when a server takes it, and a restarted broker drops its
queues). The instance row holds all a build needs to be sent again — its request spec,
the hosts tried, and the context of the request that created it — so a stalled build
is rescheduled rather than failed, as long as ``[scheduler] max_attempts`` allows.
"""
from contract import rpc
from contract import vm_states as states
from controller.compute.instances import BUILD_CONTEXT

# Seconds the check waits for the scheduler. A decision takes well under a second; one
# that takes longer was most likely lost with a restarting broker (its request or its
# answer), and the check goes on without it rather than wait out the RPC timeout while
# the other stuck builds wait behind it. A late answer leaves only a claim that the
# next sending moves or the build's end releases.
SCHEDULER_TIMEOUT = 10

REDRIVE = "redrive"          # nobody has it: schedule it again
RESCHEDULE = "reschedule"    # its host cannot finish it: another host, without that one
FAIL = "fail"                # its host's agent is alive but the build does not move


def stuck_build_action(task_state, host, agent_up, stale, any_agent_up=True):
    """What to do with a building instance in ``task_state`` on ``host`` (None while it
    is being scheduled) whose host's agent is ``agent_up``, and which has made no
    progress for ``[compute] build_timeout`` when ``stale``; None: leave it. While no
    agent at all is up (``any_agent_up``), the fault is the control plane's (the broker
    or the conductor was away, and the heartbeats with it): nothing is sent anywhere,
    where it could only fail, until the agents report again."""
    if not any_agent_up:
        return FAIL if stale and host is not None and agent_up else None
    if host is None:
        return REDRIVE if stale else None
    if not agent_up:
        return RESCHEDULE
    if not stale:
        return None
    # Still "scheduling" on a host that is up: its agent never took the message.
    return RESCHEDULE if task_state == states.SCHEDULING else FAIL


def claim_holder(vm_state, task_state, host):
    """Where the claim goes that a scheduling made for an instance it found sent
    already — scheduled twice: the check sent again a build whose first scheduling
    was only slow, and the first sent it. The host the instance is on keeps holding
    it (it may have finished building there meanwhile); one that failed, is being or
    was deleted, or is on no host holds none: None, release it."""
    if host is None or vm_state in (states.ERROR, states.DELETED) \
            or task_state == states.DELETING:
        return None
    return host


def build_context(retry, ctxt=None):
    """The context to carry a build on: ``ctxt`` when it acts for a user (has a token),
    else the one kept in the instance's ``retry`` (the agents' own requests carry
    none), else ``ctxt`` or a bare admin context."""
    if ctxt is not None and ctxt.auth_token:
        return ctxt
    kept = (retry or {}).get(BUILD_CONTEXT)
    if kept:
        return rpc.RequestContext.from_dict(kept)
    return ctxt or rpc.RequestContext(is_admin=True, overwrite=False)

