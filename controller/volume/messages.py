"""User messages: why an asynchronous request failed, for the project that made it
(Cinder's messages API, 3.3+). A message names what was being done (the action) and
what went wrong (the detail) by Cinder's codes, which make its ``event_id``; it is
kept for ``MESSAGE_TTL`` and then no longer shown."""
import datetime

from sqlalchemy import delete, select

from controller import policy
from controller.api import errors
from controller.db.base import utcnow
from controller.volume import models

MESSAGE_TTL = datetime.timedelta(seconds=2592000)   # Cinder's message_ttl

# Cinder's message_field codes.
ACTIONS = {"001": "schedule allocate volume", "002": "attach volume",
           "003": "copy volume to image", "004": "update attachment",
           "005": "copy image to volume", "006": "unmanage volume",
           "007": "extend volume", "008": "create volume from backend storage"}
DETAILS = {"001": "An unknown error occurred.",
           "002": "Driver is not initialized at present.",
           "003": "Could not find any available weighted backend."}
SCHEDULE_ALLOCATE_VOLUME = "001"
COPY_VOLUME_TO_IMAGE = "003"
COPY_IMAGE_TO_VOLUME = "005"
UNKNOWN_ERROR = "001"
NO_BACKEND_AVAILABLE = "003"


def event_id(resource_type, action, detail):
    return f"VOLUME_{resource_type}_{action}_{detail}"


def user_message(row):
    """The text Cinder shows: "<action>:<detail>"."""
    _, _, action, detail = row.event_id.rsplit("_", 3)
    return f"{ACTIONS.get(action, action)}:{DETAILS.get(detail, detail)}"


def record(session, project_id, resource_uuid, action, detail, resource_type="VOLUME",
           request_id=None):
    """Leave a message for ``project_id`` (in the caller's transaction)."""
    now = utcnow()
    session.execute(delete(models.Message).where(models.Message.expires_at < now))
    session.add(models.Message(
        project_id=project_id, request_id=request_id, resource_type=resource_type,
        resource_uuid=resource_uuid, event_id=event_id(resource_type, action, detail),
        message_level="ERROR", expires_at=now + MESSAGE_TTL))


def _visible(query, auth):
    query = query.where(models.Message.expires_at >= utcnow())
    if not policy.allowed(auth, "message:get_all_projects"):
        query = query.where(models.Message.project_id == auth.project_id)
    return query


def list_messages(db, auth, filters, page):
    query = _visible(select(models.Message).order_by(*page.order_by(models.Message)), auth)
    for name, value in filters.items():
        query = query.where(getattr(models.Message, name) == value)
    with db.session() as session:
        return page.apply(list(session.scalars(query)))


def _get(session, auth, message_id, rule):
    policy.authorize(auth, rule)
    row = session.scalar(_visible(select(models.Message), auth)
                         .where(models.Message.id == message_id))
    if row is None:
        raise errors.NotFound(f"Message {message_id} could not be found.")
    return row


def show(db, auth, message_id):
    with db.session() as session:
        return _get(session, auth, message_id, "message:get")


def delete_message(db, auth, message_id):
    with db.session() as session:
        session.delete(_get(session, auth, message_id, "message:delete"))
