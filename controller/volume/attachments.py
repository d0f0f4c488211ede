"""Attaching volumes to instances (Cinder's v3 attachments API, the calls Nova makes).

1. ``create`` without a connector reserves the volume for an instance (``reserved``);
2. ``create`` or ``update`` with the compute host's connector starts the volume's NBD
   export and returns ``connection_info`` for the host to plug in (``attaching``);
3. ``complete`` once the guest has the disk (``in-use``);
4. ``delete`` after the compute host unplugged it: the export ends (``available``).

A server that moves to another host holds a second attachment of its volume meanwhile
(as Cinder allows for the same instance): reserved on the old host's way out, given the
new host's connector there. Both share the volume's one export; the volume's status
follows the attachments left when one is deleted.

A failure while exporting undoes the attachment: the volume is ``available`` again and
no daemon is left running.
"""
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from controller.api import errors
from controller.db.base import utcnow
from controller.volume import models, qos, records
from controller.volume.backend import exports as backend_exports

LOG = logging.getLogger(__name__)


class AttachmentManager:
    def __init__(self, runtime, files, exports):
        self.db = runtime.db
        self.conf = runtime.conf
        self.files = files
        self.exports = exports

    def create(self, auth, volume_id, instance_uuid=None, connector=None, mode="rw"):
        with self.db.session() as session:
            volume = records.get_volume(session, auth, volume_id, "volume:attachment_create")
            if not (connector is None and _held_by(session, volume, instance_uuid)):
                records.change_volume_status(session, volume_id,
                                             "attach" if connector else "reserve")
            attachment = models.Attachment(
                volume_id=volume_id, project_id=volume.project_id,
                instance_uuid=instance_uuid, attach_mode=mode,
                status="attaching" if connector else "reserved", connector=connector,
                attached_host=(connector or {}).get("host"),
                mountpoint=(connector or {}).get("mountpoint"))
            session.add(attachment)
        if connector:
            return attachment, self._export_or_undo(attachment)
        return attachment, None

    def update(self, auth, attachment_id, connector):
        """Give a reserved attachment its connector: export the volume."""
        with self.db.session() as session:
            attachment = records.get_attachment(session, auth, attachment_id,
                                                "volume:attachment_update")
            if attachment.status != "reserved":
                raise errors.BadRequest(f"Attachment {attachment_id} is {attachment.status}; "
                                        f"only a reserved attachment takes a connector.")
            volume = session.get(models.Volume, attachment.volume_id)
            if volume.status in ("available", "reserved"):
                records.change_volume_status(session, attachment.volume_id, "attach")
            attachment.status = "attaching"
            attachment.connector = connector
            attachment.attached_host = connector.get("host")
            attachment.mountpoint = connector.get("mountpoint")
        return attachment, self._export_or_undo(attachment)

    def complete(self, auth, attachment_id):
        """The compute host has plugged the disk in: the volume is in use."""
        with self.db.session() as session:
            attachment = records.get_attachment(session, auth, attachment_id,
                                                "volume:attachment_complete")
            if attachment.status != "attaching":
                raise errors.BadRequest(f"Attachment {attachment_id} is {attachment.status}; "
                                        f"only an attaching attachment can complete.")
            if session.get(models.Volume, attachment.volume_id).status != "in-use":
                records.change_volume_status(session, attachment.volume_id,
                                             "complete_attach")
            attachment.status = "attached"
            attachment.attach_time = utcnow()

    def delete(self, auth, attachment_id):
        """Detach: end the export (once the compute host has unplugged the disk)."""
        with self.db.session() as session:
            attachment = records.get_attachment(session, auth, attachment_id,
                                                "volume:attachment_delete")
            volume_id = attachment.volume_id
            others = [other.status for other in session.scalars(
                select(models.Attachment).where(models.Attachment.volume_id == volume_id,
                                                models.Attachment.id != attachment_id))]
            if others:       # a moving server's other attachment keeps the volume
                session.delete(attachment)
                session.get(models.Volume, volume_id).status = _status_of(others)
        if others:
            if not {"attaching", "attached"} & set(others):
                self._unexport(volume_id)
            LOG.info("volume %s: attachment %s deleted, %s left", volume_id,
                     attachment_id, others)
            return
        with self.db.session() as session:
            records.change_volume_status(session, volume_id, "detach")
        self._unexport(volume_id)
        with self.db.session() as session:
            session.delete(session.get(models.Attachment, attachment_id))
            records.change_volume_status(session, volume_id, "finish_detach")
        LOG.info("volume %s detached (attachment %s)", volume_id, attachment_id)

    def end_export(self, volume_id):
        """End the volume's export, if it has one (a detach outside this API)."""
        self._unexport(volume_id)

    def connection_info(self, attachment):
        """What a compute host needs to reach the volume (None before it is exported)."""
        if attachment.status not in ("attaching", "attached"):
            return None
        with self.db.session() as session:
            export = session.get(models.Export, attachment.volume_id)
            if export is None:
                return None
            return _connection_info(export, attachment.attach_mode,
                                    self._qos_specs(session, attachment.volume_id))

    @staticmethod
    def _qos_specs(session, volume_id):
        return qos.front_end_specs(session, session.get(models.Volume, volume_id)
                                   .volume_type_id)

    # --- exports ---------------------------------------------------------------------

    def _export_or_undo(self, attachment):
        try:
            export = self._export(attachment.volume_id)
        except backend_exports.ExportError as exc:
            LOG.error("exporting volume %s failed: %s", attachment.volume_id, exc)
            self._unexport(attachment.volume_id)
            with self.db.session() as session:
                session.delete(session.get(models.Attachment, attachment.id))
                records.change_volume_status(session, attachment.volume_id,
                                             "roll_back_attach")
            raise errors.ApiError(f"Unable to export volume {attachment.volume_id}: {exc}")
        LOG.info("volume %s exported on %s:%d", attachment.volume_id, export.host,
                 export.port)
        with self.db.session() as session:
            qos_specs = self._qos_specs(session, attachment.volume_id)
        return _connection_info(export, attachment.attach_mode, qos_specs)

    def _export(self, volume_id):
        """Start (or find running) the volume's NBD export on a free port of the range."""
        host = self.conf.volume.export_host
        path = self.files.volume_path(volume_id)
        tried = set()
        while True:
            try:
                export = self._reserve_port(volume_id, host, tried)
            except IntegrityError:
                continue  # another request took that port in the meantime
            try:
                self.exports.start(path, volume_id, host, export.port)
                return export
            except backend_exports.ExportError as exc:
                if not exc.port_in_use:
                    raise
                LOG.info("port %d is taken by another program; trying the next",
                         export.port)
                tried.add(export.port)
                with self.db.session() as session:
                    session.delete(session.get(models.Export, volume_id))

    def _reserve_port(self, volume_id, host, tried):
        with self.db.session() as session:
            export = session.get(models.Export, volume_id)
            if export is not None:
                return export
            used = set(session.scalars(select(models.Export.port)
                                       .where(models.Export.host == host))) | tried
            for port in range(self.conf.volume.export_port_min,
                              self.conf.volume.export_port_max + 1):
                if port not in used:
                    export = models.Export(volume_id=volume_id, host=host, port=port)
                    session.add(export)
                    return export
        raise backend_exports.ExportError(
            f"No free port left in {self.conf.volume.export_port_min}-"
            f"{self.conf.volume.export_port_max} for another export.")

    def _unexport(self, volume_id):
        self.exports.stop(volume_id)
        with self.db.session() as session:
            export = session.get(models.Export, volume_id)
            if export is not None:
                session.delete(export)

    def recover(self):
        """After a restart: bring back the exports of attached volumes on their old
        ports (their guests reconnect there) and end exports nothing uses."""
        with self.db.session() as session:
            rows = session.execute(
                select(models.Export, models.Volume.status)
                .join(models.Volume, models.Volume.id == models.Export.volume_id)
                .where(models.Volume.host == self.conf.host)).all()
        for export, status in rows:
            if status in ("attaching", "in-use"):
                try:
                    self.exports.start(self.files.volume_path(export.volume_id),
                                       export.volume_id, export.host, export.port)
                except backend_exports.ExportError as exc:
                    LOG.error("could not restore the export of volume %s: %s",
                              export.volume_id, exc)
            else:
                LOG.info("ending the export of volume %s, which is %s", export.volume_id,
                         status)
                self._unexport(export.volume_id)
        # Detaching is asked for after the compute host unplugged the disk: finish it.
        with self.db.session() as session:
            detaching = list(session.scalars(select(models.Volume.id).where(
                models.Volume.host == self.conf.host, models.Volume.status == "detaching")))
        for volume_id in detaching:
            self._unexport(volume_id)
            with self.db.session() as session:
                for attachment in session.scalars(select(models.Attachment).where(
                        models.Attachment.volume_id == volume_id)):
                    session.delete(attachment)
                records.change_volume_status(session, volume_id, "finish_detach")


def _held_by(session, volume, instance_uuid):
    """Whether ``instance_uuid`` already holds an attachment of the (in-use or
    reserved) volume: a server moving between hosts may reserve it again."""
    if not instance_uuid or volume.status not in ("in-use", "reserved", "attaching"):
        return False
    return session.scalar(select(models.Attachment.id).where(
        models.Attachment.volume_id == volume.id,
        models.Attachment.instance_uuid == instance_uuid).limit(1)) is not None


def _status_of(attachment_statuses):
    """A volume's status from the attachments it keeps (as Cinder derives it)."""
    for status, volume_status in (("attached", "in-use"), ("attaching", "attaching"),
                                  ("reserved", "reserved")):
        if status in attachment_statuses:
            return volume_status
    return "available"


def _connection_info(export, mode, qos_specs):
    """What the compute host connects to; ``qos_specs``: the front-end limits of the
    volume's type, for the host to apply (None: none), as Cinder hands them to Nova."""
    return {"driver_volume_type": "nbd",
            "data": {"host": export.host, "port": export.port,
                     "export_name": export.volume_id, "access_mode": mode,
                     "qos_specs": qos_specs}}
