"""Volume actions that change a row only: the read-only flag, the image metadata, the
type (one backend serves every type, so a retype never moves data), and Cinder's older
attach bookkeeping (os-reserve, os-attach, os-begin_detaching, os-detach...), which
records an attachment made by someone else. Detaching also ends an export the v3
attachments API started, through the attachment manager."""
from sqlalchemy import select

from controller.api import errors
from controller.db.base import utcnow
from controller.volume import models, records, service_state


# Cinder's os-update_snapshot_status: {current status: the statuses it may report}.
SNAPSHOT_STATUS_UPDATES = {"creating": ("creating", "available", "error"),
                           "deleting": ("deleting", "error_deleting")}


class VolumeActions:
    def __init__(self, db, attachments):
        self.db = db
        self.attachments = attachments

    # --- flags and metadata --------------------------------------------------------

    def update_readonly_flag(self, auth, volume_id, readonly):
        with self.db.session() as session:
            volume = records.get_volume(session, auth, volume_id,
                                        "volume_extension:volume_actions:update_readonly_flag")
            records.change_volume_status(session, volume_id, "update_readonly_flag")
            volume.admin_metadata = {**volume.admin_metadata, "readonly": str(readonly)}

    def set_image_metadata(self, auth, volume_id, new):
        """Merge ``new`` into the volume's image metadata; all of it as it now is."""
        with self.db.session() as session:
            volume = records.get_volume(session, auth, volume_id,
                                        "volume_extension:volume_image_metadata:set")
            records.change_volume_status(session, volume_id, "change_image_metadata")
            volume.image_metadata = {**volume.image_metadata, **new}
            return volume.image_metadata

    def unset_image_metadata(self, auth, volume_id, key):
        with self.db.session() as session:
            volume = records.get_volume(session, auth, volume_id,
                                        "volume_extension:volume_image_metadata:remove")
            if key not in volume.image_metadata:
                raise errors.NotFound(f"Glance metadata for volume {volume_id} with key "
                                      f"{key} could not be found.")
            records.change_volume_status(session, volume_id, "change_image_metadata")
            volume.image_metadata = {k: v for k, v in volume.image_metadata.items()
                                     if k != key}

    def image_metadata(self, auth, volume_id):
        with self.db.session() as session:
            volume = records.get_volume(session, auth, volume_id,
                                        "volume_extension:volume_image_metadata:show")
            return dict(volume.image_metadata)

    def retype(self, auth, volume_id, new_type):
        with self.db.session() as session:
            volume = records.get_volume(session, auth, volume_id, "volume:retype")
            service_state.refuse_if_frozen(session, volume.host)
            vtype = records.find_type(session, new_type, auth)
            if vtype.id == volume.volume_type_id:
                raise errors.BadRequest("Invalid volume type: New volume type must be "
                                        "different from the current one.")
            records.change_volume_status(session, volume_id, "retype",
                                         volume_type_id=vtype.id)

    def update_snapshot_status(self, auth, snapshot_id, status, progress=None):
        """What a snapshot's maker reports (os-update_snapshot_status): a snapshot being
        made becomes available or error, one being deleted error_deleting."""
        with self.db.session() as session:
            snapshot = records.get_snapshot(
                session, auth, snapshot_id,
                "snapshot_extension:snapshot_actions:update_snapshot_status")
            allowed = SNAPSHOT_STATUS_UPDATES.get(snapshot.status)
            if allowed is None:
                raise errors.BadRequest(f"Invalid snapshot: Snapshot status "
                                        f"{snapshot.status} not allowed for "
                                        f"update_snapshot_status")
            if status not in allowed:
                raise errors.BadRequest(f"Invalid snapshot: Provided snapshot status "
                                        f"{status} not allowed for snapshot with status "
                                        f"{snapshot.status}.")
            snapshot.status = status
            if progress:
                snapshot.progress = progress

    # --- Cinder's older attach calls ------------------------------------------------

    def reserve(self, auth, volume_id):
        self._change(auth, volume_id, "legacy_reserve", "volume_extension:volume_actions:reserve")

    def unreserve(self, auth, volume_id):
        self._change(auth, volume_id, "legacy_unreserve", "volume_extension:volume_actions:unreserve")

    def begin_detaching(self, auth, volume_id):
        self._change(auth, volume_id, "begin_detaching", "volume_extension:volume_actions:begin_detaching")

    def roll_detaching(self, auth, volume_id):
        self._change(auth, volume_id, "roll_detaching", "volume_extension:volume_actions:roll_detaching")

    def _change(self, auth, volume_id, event, rule):
        with self.db.session() as session:
            records.get_volume(session, auth, volume_id, rule)
            records.change_volume_status(session, volume_id, event)

    def attach(self, auth, volume_id, instance_uuid=None, host_name=None, mountpoint=None,
               mode="rw"):
        """Record that the volume is attached (os-attach): in use, no export of ours."""
        with self.db.session() as session:
            volume = records.get_volume(session, auth, volume_id,
                                        "volume_extension:volume_actions:attach")
            if volume.admin_metadata.get("readonly") == "True" and mode != "ro":
                raise errors.BadRequest(f"Invalid attaching mode '{mode}' for volume "
                                        f"{volume_id}: it is read-only.")
            records.change_volume_status(session, volume_id, "legacy_attach")
            session.add(models.Attachment(
                volume_id=volume_id, project_id=volume.project_id,
                instance_uuid=instance_uuid, attach_mode=mode, status="attached",
                attached_host=host_name, mountpoint=mountpoint, attach_time=utcnow()))
            volume.admin_metadata = {**volume.admin_metadata, "attached_mode": mode}

    def detach(self, auth, volume_id, attachment_id=None, force=False):
        """Forget an attachment (os-detach; ``force``: an admin's os-force_detach, from
        any status): its export ends, and the volume is available once none is left."""
        rule = ("volume_extension:volume_admin_actions:force_detach" if force
                else "volume_extension:volume_actions:detach")
        with self.db.session() as session:
            volume = records.get_volume(session, auth, volume_id, rule)
            query = select(models.Attachment).where(models.Attachment.volume_id == volume_id)
            if attachment_id:
                query = query.where(models.Attachment.id == attachment_id)
            attachments = list(session.scalars(query))
            if attachment_id and not attachments:
                raise errors.NotFound(f"Volume attachment could not be found with filter: "
                                      f"attachment_id = {attachment_id}.")
            if not attachments and attachment_id is None and volume.status == "available":
                return      # Cinder: nothing attached, nothing to do
            if len(attachments) > 1:
                raise errors.BadRequest(f"Volume {volume_id} has several attachments: name "
                                        f"the one to detach (attachment_id).")
            records.change_volume_status(session, volume_id,
                                         "force_detach" if force else "legacy_detach")
            for attachment in attachments:
                session.delete(attachment)
            volume.admin_metadata = {k: v for k, v in volume.admin_metadata.items()
                                     if k != "attached_mode"}
        self.attachments.end_export(volume_id)
