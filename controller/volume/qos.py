"""QoS specs: named limits (``read_iops_sec``, ``total_bytes_sec``...) a volume type
carries. ``consumer`` says who enforces them: ``front-end`` and ``both`` reach the
compute host in the attachment's connection info (``qos_specs``), as Cinder hands them
to Nova; the file backend has no limits of its own to apply for ``back-end``."""
from sqlalchemy import select, update

from controller.api import errors
from controller.volume import models

CONSUMERS = ("front-end", "back-end", "both")


def _get(session, qos_id):
    row = session.get(models.QosSpecs, qos_id)
    if row is None:
        raise errors.NotFound(f"QoS Specs {qos_id} could not be found.")
    return row


def _type(session, type_id):
    row = session.get(models.VolumeType, type_id) if type_id else None
    if row is None:
        raise errors.NotFound(f"Volume type {type_id} could not be found.")
    return row


def create(db, name, consumer, specs):
    with db.session() as session:
        if session.scalar(select(models.QosSpecs.id).where(models.QosSpecs.name == name)):
            raise errors.Conflict(f"QoS Specs {name} already exists.")
        row = models.QosSpecs(name=name, consumer=consumer, specs=specs)
        session.add(row)
    return row


def list_specs(db):
    with db.session() as session:
        return list(session.scalars(select(models.QosSpecs).order_by(
            models.QosSpecs.created_at, models.QosSpecs.id)))


def show(db, qos_id):
    with db.session() as session:
        return _get(session, qos_id)


def set_keys(db, qos_id, specs):
    """Add or replace keys (``consumer`` changes who enforces them); what was set."""
    with db.session() as session:
        row = _get(session, qos_id)
        specs = dict(specs)
        if "consumer" in specs:
            row.consumer = specs.pop("consumer")
        row.specs = {**row.specs, **specs}
    return specs


def unset_keys(db, qos_id, keys):
    with db.session() as session:
        row = _get(session, qos_id)
        missing = [key for key in keys if key not in row.specs]
        if missing:
            raise errors.NotFound(f"QoS spec {missing[0]} is not found in QoS Specs "
                                  f"{qos_id}.")
        row.specs = {k: v for k, v in row.specs.items() if k not in keys}


def delete(db, qos_id, force=False):
    """Delete the specs; ``force``: even if types carry them (they lose them)."""
    with db.session() as session:
        row = _get(session, qos_id)
        if session.scalar(select(models.VolumeType.id).where(
                models.VolumeType.qos_specs_id == qos_id).limit(1)):
            if not force:
                raise errors.BadRequest(f"QoS Specs {qos_id} is still associated with "
                                        f"entities.")
            _disassociate(session, qos_id)
        session.delete(row)


def associations(db, qos_id):
    with db.session() as session:
        _get(session, qos_id)
        return list(session.scalars(select(models.VolumeType).where(
            models.VolumeType.qos_specs_id == qos_id).order_by(models.VolumeType.name)))


def associate(db, qos_id, type_id):
    with db.session() as session:
        _get(session, qos_id)
        vtype = _type(session, type_id)
        if vtype.qos_specs_id not in (None, qos_id):
            raise errors.BadRequest(f"Type {type_id} is already associated with another "
                                    f"qos specs: {vtype.qos_specs_id}")
        vtype.qos_specs_id = qos_id


def disassociate(db, qos_id, type_id):
    with db.session() as session:
        _get(session, qos_id)
        vtype = _type(session, type_id)
        if vtype.qos_specs_id != qos_id:
            raise errors.BadRequest(f"Type {type_id} is not associated with qos specs "
                                    f"{qos_id}.")
        vtype.qos_specs_id = None


def disassociate_all(db, qos_id):
    with db.session() as session:
        _get(session, qos_id)
        _disassociate(session, qos_id)


def _disassociate(session, qos_id):
    session.execute(update(models.VolumeType).where(models.VolumeType.qos_specs_id == qos_id)
                    .values(qos_specs_id=None))


def front_end_specs(session, volume_type_id):
    """The specs a compute host applies to a volume of this type (None: no limits)."""
    row = session.scalar(select(models.QosSpecs).join(
        models.VolumeType, models.VolumeType.qos_specs_id == models.QosSpecs.id).where(
        models.VolumeType.id == volume_type_id))
    if row is None or row.consumer not in ("front-end", "both"):
        return None
    return dict(row.specs)
