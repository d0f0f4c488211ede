"""Volume types: every volume has one; ``__DEFAULT__`` is made by the schema migration and
cannot be deleted. One backend serves every type, so a type's extra specs are kept and
shown but select nothing. A private type is usable by admins and by the projects it was
granted to (type access); to anyone else it does not exist."""
from sqlalchemy import delete, func, or_, select

from controller.api import errors
from controller.volume import models, records


def list_types(db, auth, is_public=True):
    """The types the caller sees, by name. ``is_public``: True (Cinder's default) lists
    the public types and the private ones granted to the caller's project, False only
    private ones, None every type; admins alone may ask for False or None."""
    query = select(models.VolumeType).order_by(models.VolumeType.name)
    granted = select(models.VolumeTypeProject.volume_type_id).where(
        models.VolumeTypeProject.project_id == auth.project_id)
    if not auth.is_admin or is_public is True:
        query = query.where(or_(models.VolumeType.is_public.is_(True),
                                models.VolumeType.id.in_(granted)))
    elif is_public is False:
        query = query.where(models.VolumeType.is_public.is_(False))
    with db.session() as session:
        return list(session.scalars(query))


def create_type(db, name, description=None, is_public=True, extra_specs=None):
    with db.session() as session:
        _refuse_taken_name(session, name)
        row = models.VolumeType(name=name, description=description, is_public=is_public,
                                extra_specs=extra_specs or {})
        session.add(row)
    return row


def _refuse_taken_name(session, name, except_id=None):
    query = select(models.VolumeType.id).where(models.VolumeType.name == name)
    if except_id:
        query = query.where(models.VolumeType.id != except_id)
    if session.scalar(query):
        raise errors.Conflict(f"Volume Type {name} already exists.")


def _get(session, type_id, auth=None):
    """The type ``type_id`` (``default``: the default type), if ``auth`` may use it."""
    if type_id == "default":
        return records.default_type(session)
    row = session.get(models.VolumeType, type_id)
    if row is None or (auth is not None and not records.type_usable(session, auth, row)):
        raise errors.NotFound(f"Volume type {type_id} could not be found.")
    return row


def show_type(db, auth, type_id):
    with db.session() as session:
        return _get(session, type_id, auth)


def update_type(db, type_id, name=None, description=None, is_public=None):
    """Rename, describe, or make a type public or private (Cinder's PUT /types/{id})."""
    with db.session() as session:
        row = _get(session, type_id)
        if row.name == models.DEFAULT_TYPE_NAME and (name is not None
                                                     or is_public is not None):
            raise errors.BadRequest("The name and visibility of the default volume type "
                                    "cannot be changed.")
        if name is not None:
            _refuse_taken_name(session, name, except_id=row.id)
            row.name = name
        if description is not None:
            row.description = description
        if is_public is not None:
            row.is_public = is_public
        return row


def delete_type(db, type_id):
    """Delete a type no volume uses; never the default type."""
    with db.session() as session:
        row = _get(session, type_id)
        if row.name == models.DEFAULT_TYPE_NAME:
            raise errors.BadRequest("The default volume type cannot be deleted.")
        in_use = session.scalar(select(func.count()).select_from(models.Volume)
                                .where(models.Volume.volume_type_id == row.id))
        if in_use:
            raise errors.BadRequest(f"Target volume type is still in use by {in_use} "
                                    f"volumes.")
        session.execute(delete(models.VolumeTypeProject).where(
            models.VolumeTypeProject.volume_type_id == row.id))
        session.delete(row)


# --- extra specs ----------------------------------------------------------------------

def extra_specs(db, type_id):
    with db.session() as session:
        return dict(_get(session, type_id).extra_specs)


def extra_spec(db, type_id, key):
    specs = extra_specs(db, type_id)
    if key not in specs:
        raise errors.NotFound(f"Volume Type {type_id} has no extra specs with key {key}.")
    return specs[key]


def set_extra_specs(db, type_id, new):
    """Add ``new`` to the type's extra specs, replacing keys it names."""
    with db.session() as session:
        row = _get(session, type_id)
        row.extra_specs = {**row.extra_specs, **new}
        return new


def delete_extra_spec(db, type_id, key):
    with db.session() as session:
        row = _get(session, type_id)
        if key not in row.extra_specs:
            raise errors.NotFound(f"Volume Type {type_id} has no extra specs with key "
                                  f"{key}.")
        row.extra_specs = {k: v for k, v in row.extra_specs.items() if k != key}


# --- access to private types -------------------------------------------------------------

def _private(session, type_id):
    row = _get(session, type_id)
    if row.is_public:
        raise errors.BadRequest("Invalid volume type: Type access modification is not "
                                "applicable to public volume type.")
    return row


def list_access(db, type_id):
    """The projects a private type is granted to (404 for a public type, as Cinder)."""
    with db.session() as session:
        row = _get(session, type_id)
        if row.is_public:
            raise errors.NotFound("Access list not available for public volume types.")
        return list(session.scalars(select(models.VolumeTypeProject.project_id).where(
            models.VolumeTypeProject.volume_type_id == row.id)
            .order_by(models.VolumeTypeProject.id)))


def add_access(db, type_id, project_id):
    with db.session() as session:
        row = _private(session, type_id)
        if session.scalar(select(models.VolumeTypeProject.id).where(
                models.VolumeTypeProject.volume_type_id == row.id,
                models.VolumeTypeProject.project_id == project_id)):
            raise errors.Conflict(f"Volume type access for {row.id} / {project_id} "
                                  f"combination already exists.")
        session.add(models.VolumeTypeProject(volume_type_id=row.id, project_id=project_id))


def remove_access(db, type_id, project_id):
    with db.session() as session:
        row = _private(session, type_id)
        removed = session.execute(delete(models.VolumeTypeProject).where(
            models.VolumeTypeProject.volume_type_id == row.id,
            models.VolumeTypeProject.project_id == project_id)).rowcount
        if not removed:
            raise errors.NotFound(f"Volume type access not found for {row.id} / "
                                  f"{project_id} combination.")
