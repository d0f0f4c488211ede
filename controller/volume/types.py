"""Volume types: every volume has one; ``__DEFAULT__`` is made by the schema migration and
cannot be deleted. One backend serves every type, so a type's extra specs are kept and
shown but select nothing."""
from sqlalchemy import func, select

from controller.api import errors
from controller.volume import models, records


def list_types(db, include_private):
    query = select(models.VolumeType).order_by(models.VolumeType.name)
    if not include_private:
        query = query.where(models.VolumeType.is_public.is_(True))
    with db.session() as session:
        return list(session.scalars(query))


def create_type(db, name, description=None, is_public=True, extra_specs=None):
    with db.session() as session:
        if session.scalar(select(models.VolumeType.id)
                          .where(models.VolumeType.name == name)):
            raise errors.Conflict(f"Volume Type {name} already exists.")
        row = models.VolumeType(name=name, description=description, is_public=is_public,
                                extra_specs=extra_specs or {})
        session.add(row)
    return row


def show_type(db, type_id, include_private):
    """The type ``type_id`` (``default``: the default type); a private one only with
    ``include_private``, else 404."""
    with db.session() as session:
        row = (records.default_type(session) if type_id == "default"
               else session.get(models.VolumeType, type_id))
        if row is None or not (row.is_public or include_private):
            raise errors.NotFound(f"Volume type {type_id} could not be found.")
        return row


def delete_type(db, type_id):
    """Delete a type no volume uses; never the default type."""
    with db.session() as session:
        row = session.get(models.VolumeType, type_id)
        if row is None:
            raise errors.NotFound(f"Volume type {type_id} could not be found.")
        if row.name == models.DEFAULT_TYPE_NAME:
            raise errors.BadRequest("The default volume type cannot be deleted.")
        in_use = session.scalar(select(func.count()).select_from(models.Volume)
                                .where(models.Volume.volume_type_id == type_id))
        if in_use:
            raise errors.BadRequest(f"Target volume type is still in use by {in_use} "
                                    f"volumes.")
        session.delete(row)
