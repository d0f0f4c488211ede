"""The record of what was done to each server (``openstack server event list/show``):
one action per API request, one event per step of it, written by the API and, for the
steps that run elsewhere, by the conductor on the agents' behalf."""
from sqlalchemy import select

from controller.compute import models
from controller.db.base import utcnow

SUCCESS = "Success"
ERROR = "Error"

# The compute API's own steps of a create, which Nova does not record: the trace shows
# where a build's time went from the moment the request arrived.
API_AUTH_EVENT = "api_validate_token"
API_CREATE_EVENT = "compute_api_create"

# Action names as Nova records them.
CREATE = "create"
DELETE = "delete"
START = "start"
STOP = "stop"
REBOOT = "reboot"
PAUSE = "pause"
UNPAUSE = "unpause"
SUSPEND = "suspend"
RESUME = "resume"
LOCK = "lock"
UNLOCK = "unlock"
CREATE_IMAGE = "createImage"
CREATE_BACKUP = "createBackup"
REBUILD = "rebuild"
RESET_STATE = "resetState"
ATTACH_VOLUME = "attach_volume"
DETACH_VOLUME = "detach_volume"
RESIZE = "resize"
MIGRATE = "migrate"
CONFIRM_RESIZE = "confirmResize"
REVERT_RESIZE = "revertResize"


def record(session, instance_uuid, action, request_id, user_id, project_id):
    entry = models.InstanceAction(action=action, instance_uuid=instance_uuid,
                                  request_id=request_id, user_id=user_id,
                                  project_id=project_id)
    session.add(entry)
    if request_id:
        session.flush()   # its id, for the steps recorded in this transaction
        _found(session)[instance_uuid, request_id] = entry
    return entry


def _found(session):
    """The actions looked up (or recorded) in this transaction, by (server, request)."""
    return session.info.setdefault("instance_actions", {})


def find(session, instance_uuid, request_id=None):
    """The action a step belongs to: the one of ``request_id``, else the newest. The
    action of a request is looked up once per transaction (the conductor records two or
    three steps of one build in one)."""
    found = _found(session)
    if request_id and (instance_uuid, request_id) in found:
        return found[instance_uuid, request_id]
    query = select(models.InstanceAction).where(
        models.InstanceAction.instance_uuid == instance_uuid)
    if request_id:
        entry = session.scalars(query.where(
            models.InstanceAction.request_id == request_id)).first()
        if entry is not None:
            found[instance_uuid, request_id] = entry
            return entry
    return session.scalars(query.order_by(models.InstanceAction.id.desc())).first()


def event_start(session, instance_uuid, request_id, event, host, start_time=None):
    """Record that a step began (now, or at ``start_time``)."""
    entry = find(session, instance_uuid, request_id)
    if entry is None:
        return None
    session.add(models.InstanceActionEvent(action_id=entry.id, event=event, host=host,
                                           start_time=start_time or utcnow()))
    entry.updated_at = utcnow()
    return entry


def add_finished_event(session, instance_uuid, request_id, event, host, start, finish,
                       result=SUCCESS, details=None):
    """Record a step that is already over, with its own start and finish times."""
    entry = find(session, instance_uuid, request_id)
    if entry is None:
        return None
    session.add(models.InstanceActionEvent(action_id=entry.id, event=event, host=host,
                                           start_time=start, finish_time=finish,
                                           result=result, details=details))
    return entry


def event_finish(session, instance_uuid, request_id, event, host, result, details=None):
    """Close the newest open event of that name (opening one if the start was missed)."""
    entry = find(session, instance_uuid, request_id)
    if entry is None:
        return None
    open_event = session.scalars(
        select(models.InstanceActionEvent)
        .where(models.InstanceActionEvent.action_id == entry.id,
               models.InstanceActionEvent.event == event,
               models.InstanceActionEvent.finish_time.is_(None))
        .order_by(models.InstanceActionEvent.id.desc())).first()
    if open_event is None:
        open_event = models.InstanceActionEvent(action_id=entry.id, event=event, host=host)
        session.add(open_event)
    now = utcnow()
    open_event.finish_time = now
    open_event.result = result
    open_event.details = details
    if host:
        open_event.host = host
    entry.updated_at = now
    if result == ERROR:
        entry.message = ERROR
    return entry


def finish_open_events(session, instance_uuid, result, details):
    """Close every step of the server's actions still open (its build was given up)."""
    now = utcnow()
    for event in session.scalars(
            select(models.InstanceActionEvent)
            .join(models.InstanceAction,
                  models.InstanceAction.id == models.InstanceActionEvent.action_id)
            .where(models.InstanceAction.instance_uuid == instance_uuid,
                   models.InstanceActionEvent.finish_time.is_(None))):
        event.finish_time = now
        event.result = result
        event.details = details


def list_for(session, instance_uuid):
    return list(session.scalars(
        select(models.InstanceAction)
        .where(models.InstanceAction.instance_uuid == instance_uuid)
        .order_by(models.InstanceAction.start_time.desc(), models.InstanceAction.id.desc())))
