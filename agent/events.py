"""The decorators every agent operation shares, so that each operation reads as its steps
(as Nova's compute manager uses ``wrap_instance_event``, ``wrap_instance_fault`` and
``reverts_task_state``): one place records the action's event, the fault and the revert
of the task_state, one place holds the lock per instance and ends a cast's failure.

Stack them outermost first::

    @agent_operation                  # lock per instance; a failure ends here, logged
    @wrap_instance_event("compute_rebuild_instance")  # the step in the server's actions
    @with_instance                    # instance_uuid → the instance, from the conductor
    @reverts_task_state(REBUILDING, vm_state=ERROR)   # a failure resets the states
    @wrap_instance_fault              # a failure becomes the server's fault (first)
    def rebuild_instance(self, ctxt, instance): ...

A decorated method is one of ``AgentManager``: it takes ``(self, ctxt, instance_uuid,
...)`` (``instance`` below ``with_instance``) and uses ``self.conductor``,
``self.host`` and ``self.update``. An instance deleted meanwhile or taken over by
another request (``InstanceNotFound``, ``UnexpectedTaskState``) *abandons* the
operation: the event says so, but nothing is reverted and no fault is recorded — the
other request owns the instance now.
"""
import contextlib
import functools
import logging
import traceback

from oslo_concurrency import lockutils

from contract import exception

LOG = logging.getLogger(__name__)

SUCCESS = "Success"
ERROR = "Error"
ABANDONED = (exception.InstanceNotFound, exception.UnexpectedTaskState)


def _uuid(instance_or_uuid):
    if isinstance(instance_or_uuid, str):
        return instance_or_uuid
    return instance_or_uuid["uuid"]


def instance_lock(instance_uuid):
    """Requests for one instance run one at a time (Nova's
    ``synchronized(instance.uuid)``): a delete arriving during a build waits for the
    build to notice the deletion and stop."""
    return lockutils.lock(f"instance-{instance_uuid}", do_log=False)


def fault_of(exc):
    """The fault an unexpected failure leaves: its message and where it came from."""
    return {"code": 500, "message": str(exc) or type(exc).__name__,
            "details": traceback.format_exc()}


def agent_operation(function):
    """Outermost: run under the instance's lock; a failure is logged and ends here (the
    operations are casts: nobody waits for an answer; the event and the instance say
    what happened)."""

    @functools.wraps(function)
    def wrapper(self, ctxt, instance_uuid, *args, **kwargs):
        with instance_lock(instance_uuid):
            try:
                return function(self, ctxt, instance_uuid, *args, **kwargs)
            except ABANDONED as exc:
                LOG.info("%s of %s on %s abandoned: %s", function.__name__, instance_uuid,
                         self.host, exc)
            except Exception:
                LOG.exception("%s of %s on %s failed", function.__name__, instance_uuid,
                              self.host)
        return None

    return wrapper


def finish_event_quietly(manager, ctxt, instance_uuid, event, result, details=None):
    """Close the step; a server deleted meanwhile has nobody left to read it."""
    try:
        manager.conductor.action_event_finish(ctxt, instance_uuid, event, manager.host,
                                              result, details=details)
    except exception.InstanceNotFound:
        pass


def wrap_instance_event(event, started_by_conductor=False):
    """Record the operation as the step ``event`` of the request's action (``openstack
    server event show``): Success, or Error with the failure's message.
    ``started_by_conductor``: the conductor recorded the start when it sent the request
    (a build)."""

    def decorator(function):
        @functools.wraps(function)
        def wrapper(self, ctxt, instance, *args, **kwargs):
            uuid = _uuid(instance)
            if not started_by_conductor:
                self.conductor.action_event_start(ctxt, uuid, event, self.host)
            try:
                result = function(self, ctxt, instance, *args, **kwargs)
            except Exception as exc:
                finish_event_quietly(self, ctxt, uuid, event, ERROR, str(exc))
                raise
            finish_event_quietly(self, ctxt, uuid, event, SUCCESS)
            return result

        return wrapper

    return decorator


def with_instance(function):
    """Pass the instance as the conductor has it now in place of its UUID (raises
    InstanceNotFound once it is deleted)."""

    @functools.wraps(function)
    def wrapper(self, ctxt, instance_uuid, *args, **kwargs):
        instance = self.conductor.instance_get(ctxt, instance_uuid)
        return function(self, ctxt, instance, *args, **kwargs)

    return wrapper


def reverts_task_state(expected_task_state, vm_state=None):
    """On a failure, clear the task_state the API set (if it is still one of
    ``expected_task_state``; None: whatever it is; a callable: of the operation's
    arguments) — and set ``vm_state`` when given (a rebuild that failed half-way leaves
    ERROR)."""
    updates = {"task_state": None}
    if vm_state is not None:
        updates["vm_state"] = vm_state

    def decorator(function):
        @functools.wraps(function)
        def wrapper(self, ctxt, instance, *args, **kwargs):
            try:
                return function(self, ctxt, instance, *args, **kwargs)
            except ABANDONED:
                raise
            except Exception:
                expected = (expected_task_state(*args, **kwargs)
                            if callable(expected_task_state) else expected_task_state)
                try:
                    self.update(ctxt, _uuid(instance), updates, expected)
                except ABANDONED:
                    pass
                raise

        return wrapper

    return decorator


def wrap_instance_fault(function):
    """On a failure, give the server its reason as its fault (shown as the server's
    ``fault``), before anything shows the failure (an ERROR state)."""

    @functools.wraps(function)
    def wrapper(self, ctxt, instance, *args, **kwargs):
        try:
            return function(self, ctxt, instance, *args, **kwargs)
        except ABANDONED:
            raise
        except Exception as exc:
            try:
                self.conductor.instance_fault_create(ctxt, _uuid(instance), self.host,
                                                     fault_of(exc))
            except exception.InstanceNotFound:
                pass
            raise

    return wrapper


def step_recorder(manager, ctxt, instance_uuid):
    """``step(name)`` for the parts of an operation (and drivers' slow sub-steps, such as
    fetching the image): an action event around a block of work."""

    @contextlib.contextmanager
    def step(name):
        manager.conductor.action_event_start(ctxt, instance_uuid, name, manager.host)
        try:
            yield
        except Exception as exc:
            manager.conductor.action_event_finish(ctxt, instance_uuid, name, manager.host,
                                                  ERROR, details=str(exc))
            raise
        manager.conductor.action_event_finish(ctxt, instance_uuid, name, manager.host,
                                              SUCCESS)

    return step
