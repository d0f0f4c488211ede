"""What an admin set on a storage host's volume service: disabled (``openstack volume
service set --disable``): the backend is given no new volumes, as Cinder's scheduler
skips disabled services, and what it holds keeps working; frozen (``cinder
freeze-host``): its volumes keep working but are not deleted, extended, snapshotted or
retyped until it is thawed, as Cinder refuses on a frozen host."""
import dataclasses

from controller.api import errors
from controller.db.base import utcnow
from controller.volume import models


@dataclasses.dataclass(frozen=True)
class ServiceState:
    disabled: bool = False
    disabled_reason: str | None = None
    frozen: bool = False


def state(db, host):
    with db.session() as session:
        row = session.get(models.VolumeService, host)
        return ServiceState() if row is None else ServiceState(
            row.disabled, row.disabled_reason, row.frozen)


def _row(session, host):
    row = session.get(models.VolumeService, host)
    if row is None:
        row = models.VolumeService(host=host, disabled=False, frozen=False)
        session.add(row)
    row.updated_at = utcnow()
    return row


def set_disabled(db, host, disabled, reason=None):
    with db.session() as session:
        row = _row(session, host)
        row.disabled = disabled
        row.disabled_reason = reason if disabled else None


def set_frozen(db, host, frozen):
    with db.session() as session:
        row = _row(session, host)
        if row.frozen == frozen:
            raise errors.BadRequest("Invalid input received: Host is already Frozen."
                                    if frozen else
                                    "Invalid input received: Host is NOT Frozen.")
        row.frozen = frozen


def refuse_if_frozen(session, host):
    """In the caller's transaction: 400 if the volume's host is frozen."""
    row = session.get(models.VolumeService, host)
    if row is not None and row.frozen:
        raise errors.BadRequest("Invalid input received: Volume is on a frozen host.")
