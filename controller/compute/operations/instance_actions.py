"""Reading what was done to a server (``openstack server event list/show``): its actions
and their events, kept after the server is deleted."""
from sqlalchemy import select

from contract import exception
from controller.compute import actions, models


class ActionNotFound(exception.ComputeError):
    code = 404


def _server(session, auth, instance_uuid, authorize):
    """The server, deleted ones included: their history stays readable. Returns its
    project."""
    instance = session.get(models.Instance, instance_uuid)
    if instance is None or (instance.project_id != auth.project_id and not auth.is_admin):
        raise exception.InstanceNotFound(f"Instance {instance_uuid} could not be found.")
    authorize({"project_id": instance.project_id})
    return instance.project_id


def list_actions(db, auth, instance_uuid, authorize):
    """The server's actions, newest first."""
    with db.session() as session:
        _server(session, auth, instance_uuid, authorize)
        return actions.list_for(session, instance_uuid)


def get_action(db, auth, instance_uuid, request_id, authorize):
    """(the action of ``request_id`` on the server, its events, the server's project)."""
    with db.session() as session:
        project_id = _server(session, auth, instance_uuid, authorize)
        entry = session.scalars(select(models.InstanceAction).where(
            models.InstanceAction.instance_uuid == instance_uuid,
            models.InstanceAction.request_id == request_id)).first()
        if entry is None:
            raise ActionNotFound(f"Action for request_id {request_id} on instance "
                                 f"{instance_uuid} not found")
        return entry, list(entry.events), project_id
