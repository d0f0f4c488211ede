"""Loading rows the caller may see, and moving them through the status machines.

Another project's volume is reported missing (404), never forbidden, as in OpenStack.
A status change is one conditional UPDATE, so of two racing requests exactly one wins
and the other gets Cinder's "status must be ..." 400.
"""
from sqlalchemy import select, update

from controller import policy
from controller.api import errors
from controller.volume import models, states


def _get(session, auth, model, row_id, read_rule, missing, action):
    """The row if the caller may see it (``read_rule``) and do ``action`` on it; 404 with
    ``missing`` when it does not exist or is another project's, 403 for ``action``."""
    row = session.get(model, row_id)
    if row is None or not policy.allowed(auth, read_rule, {"project_id": row.project_id}):
        raise errors.NotFound(missing)
    if action:
        policy.authorize(auth, action, {"project_id": row.project_id})
    return row


def get_volume(session, auth, volume_id, action=None):
    """The volume if the caller may see it (and do ``action`` on it), else 404/403."""
    return _get(session, auth, models.Volume, volume_id, "volume:get",
                f"Volume {volume_id} could not be found.", action)


def get_snapshot(session, auth, snapshot_id, action=None):
    return _get(session, auth, models.Snapshot, snapshot_id, "volume:get_snapshot",
                f"Snapshot {snapshot_id} could not be found.", action)


def get_attachment(session, auth, attachment_id, action=None):
    return _get(session, auth, models.Attachment, attachment_id, "volume:attachment_get",
                f"Volume attachment could not be found with filter: "
                f"attachment_id = {attachment_id}.", action)


def find_type(session, name_or_id):
    volume_type = session.get(models.VolumeType, name_or_id) or session.scalar(
        select(models.VolumeType).where(models.VolumeType.name == name_or_id))
    if volume_type is None:
        raise errors.NotFound(f"Volume type {name_or_id} could not be found.")
    return volume_type


def default_type(session):
    return find_type(session, models.DEFAULT_TYPE_NAME)


def change_status(session, model, row_id, machine, event, **values):
    """Apply ``event`` to the row if its status allows it, setting ``values`` too."""
    transition = machine.transition(event)
    # An event that keeps the status still writes it, so the check is part of the UPDATE.
    values["status"] = transition.target if transition.target is not None else model.status
    result = session.execute(
        update(model).where(model.id == row_id, model.status.in_(transition.sources))
        .values(**values).execution_options(synchronize_session="fetch"))
    if result.rowcount != 1:
        current = session.scalar(select(model.status).where(model.id == row_id))
        raise errors.BadRequest(machine.refusal(transition, current))


def change_volume_status(session, volume_id, event, **values):
    change_status(session, models.Volume, volume_id, states.VOLUME, event, **values)


def change_snapshot_status(session, snapshot_id, event, **values):
    change_status(session, models.Snapshot, snapshot_id, states.SNAPSHOT, event, **values)
