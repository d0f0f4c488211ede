"""Flavors — the sizes servers come in — and their extra specs: anyone reads the public
ones, admins (the handler's policy check) manage them."""
from sqlalchemy import or_, select

from contract import exception
from controller.compute import models
from controller.compute import flavors as flavor_store

# sort_key → column (Nova's names)
SORT_KEYS = {"id": models.Flavor.id, "name": models.Flavor.name,
             "memory_mb": models.Flavor.memory_mb, "vcpus": models.Flavor.vcpus,
             "root_gb": models.Flavor.root_gb, "flavorid": models.Flavor.id,
             "created_at": models.Flavor.created_at}


class FlavorNotFound(exception.ComputeError):
    code = 404


class FlavorExists(exception.ComputeError):
    code = 409


class ExtraSpecNotFound(exception.ComputeError):
    code = 404


class FlavorAccessConflict(exception.ComputeError):
    code = 409


def _visible(session, auth, flavor_id):
    flavor = flavor_store.find(session, flavor_id)
    if flavor is None or not (auth.is_admin or flavor.open_to(auth.project_id)):
        raise FlavorNotFound(f"Flavor {flavor_id} could not be found.")
    return flavor


def _spec_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _set_specs(flavor, specs):
    existing = {spec.key: spec for spec in flavor.extra_specs}
    for key, value in specs.items():
        if key in existing:
            existing[key].value = _spec_value(value)
        else:
            flavor.extra_specs.append(models.FlavorExtraSpec(key=key,
                                                             value=_spec_value(value)))
    return {key: _spec_value(value) for key, value in specs.items()}


def list_flavors(db, is_public=None, min_ram=None, min_disk=None, sort_key="flavorid",
                 descending=False, project_id=None):
    """Enabled flavors, public or not as ``is_public`` says (None: both), sorted by
    ``sort_key`` (one of SORT_KEYS) then id. ``project_id``: public ones also include
    the private ones that project has access to (Nova's rule for non-admins)."""
    query = select(models.Flavor).where(models.Flavor.disabled.is_(False))
    if is_public and project_id is not None:
        query = query.where(or_(models.Flavor.is_public.is_(True), models.Flavor.projects.any(
            models.FlavorProject.project_id == project_id)))
    elif is_public is not None:
        query = query.where(models.Flavor.is_public.is_(is_public))
    if min_ram is not None:
        query = query.where(models.Flavor.memory_mb >= min_ram)
    if min_disk is not None:
        query = query.where(models.Flavor.root_gb >= min_disk)
    column = SORT_KEYS[sort_key]
    query = query.order_by(column.desc() if descending else column.asc(), models.Flavor.id)
    with db.session() as session:
        return list(session.scalars(query))


def get(db, auth, flavor_id):
    """The flavor, if the caller may see it (private ones: admins only)."""
    with db.session() as session:
        return _visible(session, auth, flavor_id)


def create(db, flavor_id, name, memory_mb, vcpus, root_gb, ephemeral_gb=0, swap=0,
           rxtx_factor=1.0, is_public=True, description=None):
    """A new flavor; 409 if its id or its name is taken."""
    with db.session() as session:
        if flavor_store.find(session, flavor_id) is not None:
            raise FlavorExists(f"Flavor with ID {flavor_id} already exists.")
        if flavor_store.by_name(session, name) is not None:
            raise FlavorExists(f"Flavor with name {name} already exists.")
        flavor = models.Flavor(
            id=flavor_id, name=name, memory_mb=memory_mb, vcpus=vcpus, root_gb=root_gb,
            ephemeral_gb=ephemeral_gb, swap=swap, rxtx_factor=rxtx_factor,
            is_public=is_public, disabled=False, description=description, extra_specs=[])
        session.add(flavor)
    return flavor


def set_description(db, auth, flavor_id, description):
    with db.session() as session:
        flavor = _visible(session, auth, flavor_id)
        flavor.description = description
    return flavor


def delete(db, auth, flavor_id):
    with db.session() as session:
        session.delete(_visible(session, auth, flavor_id))


def get_extra_specs(db, auth, flavor_id):
    with db.session() as session:
        return flavor_store.extra_specs(_visible(session, auth, flavor_id))


def get_extra_spec(db, auth, flavor_id, key):
    """``{key: value}``; 404 if the flavor has no such spec."""
    specs = get_extra_specs(db, auth, flavor_id)
    if key not in specs:
        raise ExtraSpecNotFound(f"Flavor {flavor_id} has no extra specs with key {key}.")
    return {key: specs[key]}


def set_extra_specs(db, auth, flavor_id, specs):
    """Set each of ``specs`` (values stored as strings, booleans as true/false); returns
    the flavor's specs as they now are."""
    with db.session() as session:
        flavor = _visible(session, auth, flavor_id)
        _set_specs(flavor, specs)
        return flavor_store.extra_specs(flavor)


def set_extra_spec(db, auth, flavor_id, key, value):
    """Set one spec; returns ``{key: stored value}``."""
    with db.session() as session:
        return _set_specs(_visible(session, auth, flavor_id), {key: value})


def delete_extra_spec(db, auth, flavor_id, key):
    with db.session() as session:
        flavor = _visible(session, auth, flavor_id)
        match = [spec for spec in flavor.extra_specs if spec.key == key]
        if not match:
            raise ExtraSpecNotFound(f"Flavor {flavor_id} has no extra specs with key "
                                    f"{key}.")
        flavor.extra_specs.remove(match[0])


# --- access to private flavors ------------------------------------------------------------

def _access_list(flavor):
    return [{"flavor_id": flavor.id, "tenant_id": p.project_id} for p in flavor.projects]


def list_access(db, auth, flavor_id):
    """The projects a private flavor is open to; a public one has no list (404)."""
    with db.session() as session:
        flavor = _visible(session, auth, flavor_id)
        if flavor.is_public:
            raise FlavorNotFound("Access list not available for public flavors.")
        return _access_list(flavor)


def add_access(db, auth, flavor_id, project_id, refuse_public=True):
    """Open the private flavor to ``project_id``; returns the access list. A public
    flavor refuses (409) when ``refuse_public`` (Nova from 2.7)."""
    with db.session() as session:
        flavor = _visible(session, auth, flavor_id)
        if flavor.is_public and refuse_public:
            raise FlavorAccessConflict("Can not add access to a public flavor.")
        if any(p.project_id == project_id for p in flavor.projects):
            raise FlavorAccessConflict(f"Flavor access already exists for flavor "
                                       f"{flavor_id} and project {project_id} combination.")
        flavor.projects.append(models.FlavorProject(project_id=project_id))
        session.flush()
        return _access_list(flavor)


def remove_access(db, auth, flavor_id, project_id):
    """Close the flavor to ``project_id``; returns the access list (404 if it had none)."""
    with db.session() as session:
        flavor = _visible(session, auth, flavor_id)
        match = [p for p in flavor.projects if p.project_id == project_id]
        if not match:
            raise FlavorNotFound(f"Flavor access not found for {flavor_id} / "
                                 f"{project_id} combination.")
        flavor.projects.remove(match[0])
        session.flush()
        return _access_list(flavor)
