"""Volume transfers: a project offers a volume (``awaiting-transfer``) and whoever shows
the transfer's id and its key takes it, snapshots included unless ``no_snapshots``.

The key is shown once, at creation; only a salted hash is kept. An accepted or deleted
transfer is gone (Cinder keeps accepted ones as deleted rows, which its API never shows).
"""
import hashlib
import hmac
import secrets

from sqlalchemy import select

from controller import policy
from controller.api import errors
from controller.volume import models, quotas, records

KEY_LENGTH = 16     # Cinder's default volume_transfer_key_length


def _hash(salt, key):
    return hashlib.sha256((salt + key).encode()).hexdigest()


def _get(session, auth, transfer_id, rule):
    """The transfer if it is a transfer of the caller's project (or the caller an admin)."""
    row = session.get(models.Transfer, transfer_id)
    if row is None or not policy.allowed(auth, rule, {"project_id": row.project_id}):
        raise errors.NotFound(f"Transfer {transfer_id} could not be found.")
    return row


def create(db, auth, volume_id, name=None, no_snapshots=False):
    """Offer the volume; (the transfer, its key)."""
    with db.session() as session:
        volume = records.get_volume(session, auth, volume_id, "volume:create_transfer")
        if not no_snapshots:
            busy = session.scalar(select(models.Snapshot.id).where(
                models.Snapshot.volume_id == volume_id,
                models.Snapshot.status != "available").limit(1))
            if busy:
                raise errors.BadRequest(f"Invalid snapshot: snapshot {busy} of the volume "
                                        f"must be available to be transferred.")
        records.change_volume_status(session, volume_id, "transfer")
        key = secrets.token_hex(KEY_LENGTH // 2)
        salt = secrets.token_hex(8)
        transfer = models.Transfer(volume_id=volume.id, project_id=volume.project_id,
                                   name=name, salt=salt, crypt_hash=_hash(salt, key),
                                   no_snapshots=no_snapshots)
        session.add(transfer)
    return transfer, key


def show(db, auth, transfer_id):
    with db.session() as session:
        return _get(session, auth, transfer_id, "volume:get_transfer")


def list_transfers(db, project_id, filters, page):
    """One page of the transfers of ``project_id`` (True: of every project)."""
    query = select(models.Transfer).order_by(*page.order_by(models.Transfer))
    if project_id is not True:
        query = query.where(models.Transfer.project_id == project_id)
    for name, value in filters.items():
        query = query.where(getattr(models.Transfer, name) == value)
    with db.session() as session:
        return page.apply(list(session.scalars(query)))


def delete(db, auth, transfer_id):
    """Withdraw the offer: the volume is available to its owner again."""
    with db.session() as session:
        transfer = _get(session, auth, transfer_id, "volume:delete_transfer")
        records.change_volume_status(session, transfer.volume_id, "finish_transfer")
        session.delete(transfer)


def accept(db, conf, auth, transfer_id, key):
    """Take the volume (and its snapshots) into the caller's project; the transfer as it
    was."""
    policy.authorize(auth, "volume:accept_transfer")
    with db.session() as session:
        transfer = session.get(models.Transfer, transfer_id)
        if transfer is None:
            raise errors.NotFound(f"Transfer {transfer_id} could not be found.")
        if not hmac.compare_digest(transfer.crypt_hash, _hash(transfer.salt, key)):
            raise errors.BadRequest(f"Invalid auth key: Attempt to transfer {transfer_id} "
                                    f"with invalid auth key.")
        volume = session.get(models.Volume, transfer.volume_id)
        snapshots = [] if transfer.no_snapshots else list(session.scalars(
            select(models.Snapshot).where(models.Snapshot.volume_id == volume.id)))
        limits = quotas.project_limits(session, conf, auth.project_id)
        usage = quotas.project_usage(session, auth.project_id)
        try:
            quotas.check(limits, usage, volumes=1, snapshots=len(snapshots),
                         gigabytes=volume.size + sum(s.size for s in snapshots),
                         volume_size=volume.size)
        except quotas.QuotaExceeded as exc:
            raise errors.RequestEntityTooLarge(str(exc))
        records.change_volume_status(session, volume.id, "finish_transfer",
                                     project_id=auth.project_id, user_id=auth.user_id)
        for snapshot in snapshots:
            snapshot.project_id, snapshot.user_id = auth.project_id, auth.user_id
        session.delete(transfer)
        return transfer
