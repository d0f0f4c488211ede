"""Copying a volume into a new image (``os-volume_upload_image``).

The image record is made at once, as the caller (so the image is theirs), and the
volume is ``uploading`` while a worker converts its file to the asked disk format and
sends it to the image service; then the volume is ``available`` again. A failed upload
leaves the volume as it was and a user message saying so.
"""
import logging
import os

from controller.api import errors
from controller.volume import image_source, messages, models, records
from controller.volume.backend import files as backend_files
from controller.volume.backend import formats

LOG = logging.getLogger(__name__)


class VolumeUploads:
    def __init__(self, db, files, images, submit):
        self.db = db
        self.files = files
        self.images = images
        self.submit = submit

    def upload(self, auth, volume_id, image_name, disk_format, container_format,
               visibility=None, protected=False):
        """Start the upload; (the volume, its type, the new image's id)."""
        if disk_format not in formats.QEMU_FORMATS:
            raise errors.BadRequest(
                f"Invalid disk-format '{disk_format}' is specified. Allowed disk-formats "
                f"are {', '.join(sorted(formats.QEMU_FORMATS))}.")
        with self.db.session() as session:
            records.get_volume(session, auth, volume_id,
                               "volume_extension:volume_actions:upload_image")
            records.change_volume_status(session, volume_id, "upload")
        fields = {"name": image_name, "disk_format": disk_format,
                  "container_format": container_format, "protected": protected}
        if visibility:
            fields["visibility"] = visibility
        try:
            image_id = self.images.create(auth.token, **fields)
        except image_source.ImageUnavailable as exc:
            with self.db.session() as session:
                records.change_volume_status(session, volume_id, "finish_upload")
            raise errors.BadRequest(str(exc))
        self.submit(self._copy, volume_id, image_id, disk_format, auth.token)
        with self.db.session() as session:
            volume = session.get(models.Volume, volume_id)
            return volume, session.get(models.VolumeType, volume.volume_type_id), image_id

    def _copy(self, volume_id, image_id, disk_format, token):
        scratch = self.files.scratch_path(f"upload-{image_id}")
        try:
            self.files.write_image(volume_id, formats.QEMU_FORMATS[disk_format], scratch)
            self.images.upload(image_id, token, scratch)
        except (backend_files.BackendError, image_source.ImageUnavailable, OSError) as exc:
            LOG.warning("uploading volume %s to image %s failed: %s", volume_id, image_id,
                        exc)
            with self.db.session() as session:
                volume = session.get(models.Volume, volume_id)
                messages.record(session, volume.project_id, volume_id,
                                messages.COPY_VOLUME_TO_IMAGE, messages.UNKNOWN_ERROR)
        else:
            LOG.info("volume %s uploaded to image %s", volume_id, image_id)
        finally:
            if os.path.exists(scratch):
                os.unlink(scratch)
            with self.db.session() as session:
                records.change_volume_status(session, volume_id, "finish_upload")
