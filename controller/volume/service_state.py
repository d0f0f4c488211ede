"""Whether an admin disabled a storage host's volume service (``openstack volume service
set --disable``): a disabled backend is given no new volumes, as Cinder's scheduler
skips disabled services; what it holds keeps working."""
from controller.db.base import utcnow
from controller.volume import models


def state(db, host):
    """(disabled, reason, updated_at) of the host's volume service."""
    with db.session() as session:
        row = session.get(models.VolumeService, host)
        return (False, None, None) if row is None else (row.disabled, row.disabled_reason,
                                                        row.updated_at)


def set_disabled(db, host, disabled, reason=None):
    with db.session() as session:
        row = session.get(models.VolumeService, host)
        if row is None:
            row = models.VolumeService(host=host)
            session.add(row)
        row.disabled = disabled
        row.disabled_reason = reason if disabled else None
        row.updated_at = utcnow()
