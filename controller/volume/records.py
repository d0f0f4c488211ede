"""Loading rows the caller may see, moving them through the status machines, and the
API's reads and metadata changes, each in one transaction.

Another project's volume is reported missing (404), never forbidden, as in OpenStack.
A status change is one conditional UPDATE, so of two racing requests exactly one wins
and the other gets Cinder's "status must be ..." 400.
"""
import dataclasses

from sqlalchemy import select, update

from controller import policy
from controller.api import errors
from controller.volume import models, states


def _get(session, auth, model, row_id, read_rule, missing, action):
    """The row if the caller may see it (``read_rule``) and do ``action`` on it; 404 with
    ``missing`` when it does not exist or is another project's, 403 for ``action``."""
    row = session.get(model, row_id) if row_id else None
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


def find_type(session, name_or_id, auth=None):
    """The type named or numbered ``name_or_id``; given ``auth``, only one the caller may
    use (public, granted to its project, or any for an admin), else 404 as in Cinder."""
    volume_type = session.get(models.VolumeType, name_or_id) or session.scalar(
        select(models.VolumeType).where(models.VolumeType.name == name_or_id))
    if volume_type is None or (auth is not None and not type_usable(session, auth,
                                                                     volume_type)):
        raise errors.NotFound(f"Volume type {name_or_id} could not be found.")
    return volume_type


def type_usable(session, auth, volume_type):
    if volume_type.is_public or auth.is_admin:
        return True
    return session.scalar(select(models.VolumeTypeProject.id).where(
        models.VolumeTypeProject.volume_type_id == volume_type.id,
        models.VolumeTypeProject.project_id == auth.project_id)) is not None


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


# -- reads of the API: each one transaction ----------------------------------------------

@dataclasses.dataclass(frozen=True)
class VolumeDetail:
    """A volume with what its full view shows besides its own columns."""

    volume: models.Volume
    type_name: str | None
    attachments: list


def volume_details(session, rows):
    """``rows`` with their types and attachments, in two queries."""
    ids = [row.id for row in rows]
    type_names = dict(session.execute(select(models.VolumeType.id, models.VolumeType.name)
                                      .where(models.VolumeType.id.in_(
                                          {row.volume_type_id for row in rows}))).all())
    attachments = {}
    for attachment in session.scalars(select(models.Attachment)
                                      .where(models.Attachment.volume_id.in_(ids))):
        attachments.setdefault(attachment.volume_id, []).append(attachment)
    return [VolumeDetail(row, type_names.get(row.volume_type_id), attachments.get(row.id, []))
            for row in rows]


def show_volume(db, auth, volume_id):
    with db.session() as session:
        return volume_details(session, [get_volume(session, auth, volume_id)])[0]


def _filtered(query, model, project_id, filters):
    """Rows of ``project_id`` (True: of every project) matching ``filters``, which are
    {column name: value}."""
    if project_id is not True:
        query = query.where(model.project_id == project_id)
    for name, value in filters.items():
        query = query.where(getattr(model, name) == value)
    return query


def list_volumes(db, project_id, filters, page, detail=False):
    """One page of volumes, newest first: (rows or VolumeDetails, links). ``project_id``:
    the project listed, or True for every project; ``page`` applies marker and limit."""
    query = _filtered(select(models.Volume).order_by(*page.order_by(models.Volume)),
                      models.Volume, project_id, filters)
    with db.session() as session:
        rows, links = page.apply(list(session.scalars(query)))
        return (volume_details(session, rows) if detail else rows), links


def list_snapshots(db, project_id, filters, page):
    query = _filtered(select(models.Snapshot).order_by(*page.order_by(models.Snapshot)),
                      models.Snapshot, project_id, filters)
    with db.session() as session:
        return page.apply(list(session.scalars(query)))


def show_snapshot(db, auth, snapshot_id):
    with db.session() as session:
        return get_snapshot(session, auth, snapshot_id)


def list_attachments(db, project_id, filters, page):
    query = _filtered(select(models.Attachment).order_by(models.Attachment.created_at.desc(),
                                                         models.Attachment.id.desc()),
                      models.Attachment, project_id, filters)
    with db.session() as session:
        return page.apply(list(session.scalars(query)))


def show_attachment(db, auth, attachment_id):
    with db.session() as session:
        return get_attachment(session, auth, attachment_id)


def volume_summary(db, project_id):
    """(count, total GB, {metadata key: [values]}) of the volumes of ``project_id`` (True:
    of every project)."""
    query = _filtered(select(models.Volume), models.Volume, project_id, {})
    with db.session() as session:
        rows = list(session.scalars(query))
        metadata = {}
        for row in rows:
            for key, value in row.metadata_.items():
                values = metadata.setdefault(key, [])
                if value not in values:
                    values.append(value)
        return len(rows), sum(row.size for row in rows), metadata


# -- volume and snapshot metadata -------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class MetadataOwner:
    """How to load what carries the metadata (a volume or a snapshot), and the rule that
    lets a caller change it."""

    kind: str
    get: object
    update_rule: str


VOLUME_METADATA = MetadataOwner("Volume", get_volume, "volume:update")
SNAPSHOT_METADATA = MetadataOwner("Snapshot", get_snapshot, "volume:update_snapshot")


def _no_key(owner, row_id, key):
    return errors.NotFound(f"{owner.kind} {row_id} has no metadata with key {key}.")


def metadata(db, owner, auth, row_id):
    with db.session() as session:
        return owner.get(session, auth, row_id).metadata_


def metadata_item(db, owner, auth, row_id, key):
    values = metadata(db, owner, auth, row_id)
    if key not in values:
        raise _no_key(owner, row_id, key)
    return values[key]


def write_metadata(db, owner, auth, row_id, new, merge):
    """Merge ``new`` into the metadata, or replace it; the result."""
    with db.session() as session:
        row = owner.get(session, auth, row_id, owner.update_rule)
        row.metadata_ = {**row.metadata_, **new} if merge else dict(new)
        return row.metadata_


def set_metadata_item(db, owner, auth, row_id, key, value):
    with db.session() as session:
        row = owner.get(session, auth, row_id, owner.update_rule)
        row.metadata_ = {**row.metadata_, key: value}
        return value


def delete_metadata_item(db, owner, auth, row_id, key):
    with db.session() as session:
        row = owner.get(session, auth, row_id, owner.update_rule)
        if key not in row.metadata_:
            raise _no_key(owner, row_id, key)
        row.metadata_ = {k: v for k, v in row.metadata_.items() if k != key}
