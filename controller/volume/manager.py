"""Volumes and snapshots: rows, quotas and statuses here; the files in ``backend``.

The storage host is the host running the volume API (the controller in the all-in-one),
so requests do the storage work themselves. Quick work (a truncate to extend, an unlink
to delete) happens within the request; making a volume or snapshot (which may mean
downloading and converting an image) runs on a small thread pool while the row says
``creating``. A restart interrupts such work: ``recover``
then moves the row to an error status with the reason, and the data that existed stays.
"""
import concurrent.futures
import glob
import logging
import os
import uuid

from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select

from controller import policy
from controller.api import errors
from controller.volume import (capabilities, image_source, messages, models, quotas,
                               records, service_state, states)
from controller.volume.backend import files as backend_files
from controller.volume.backend import formats

LOG = logging.getLogger(__name__)

GiB = backend_files.GiB

# What Cinder copies from the image into volume_image_metadata.
IMAGE_METADATA_KEYS = ("id", "name", "checksum", "container_format", "disk_format",
                       "min_disk", "min_ram", "size")


class VolumeManager:
    def __init__(self, runtime, files):
        conf = runtime.conf
        self.db = runtime.db
        self.conf = conf
        self.files = files
        self.images = image_source.ImageSource(
            conf.volume.image_url or runtime.endpoint("/image"),
            conf.volume.image_download_timeout)
        self.executor = concurrent.futures.ThreadPoolExecutor(
            conf.volume.workers, thread_name_prefix="volume-worker")

    def submit(self, job, *args):
        """Run ``job(*args)`` on the worker pool, logging what it raises."""
        def run():
            try:
                job(*args)
            except Exception:
                LOG.exception("background volume job %s%r failed", job.__name__, args[:1])
        self.executor.submit(run)

    # --- volumes -----------------------------------------------------------------

    def create_volume(self, auth, size=None, name=None, description=None, metadata=None,
                      volume_type=None, snapshot_id=None, source_volid=None, image_id=None,
                      availability_zone=None):
        """Record the volume and start making it; the volume as shown (a VolumeDetail)."""
        policy.authorize(auth, "volume:create")
        zone = self.conf.volume.availability_zone
        if availability_zone not in (None, zone):
            raise errors.BadRequest(f"Availability zone '{availability_zone}' is invalid.")
        if sum(x is not None for x in (snapshot_id, source_volid, image_id)) > 1:
            raise errors.BadRequest("Only one of snapshot_id, source_volid and imageRef "
                                    "may be given.")
        image = self._check_image(auth, image_id, size) if image_id else None
        with self.db.session() as session:
            source_size = None
            if snapshot_id:
                snapshot = records.get_snapshot(session, auth, snapshot_id)
                states.SNAPSHOT.next_status(snapshot.status, "copy")
                source_size = snapshot.size
            if source_volid:
                source = records.get_volume(session, auth, source_volid)
                states.VOLUME.next_status(source.status, "snapshot")
                source_size = source.size
            size = self._size_for(size, source_size, "snapshot" if snapshot_id else "volume")
            vtype = (records.find_type(session, volume_type, auth) if volume_type
                     else records.default_type(session))
            self._check_quota(session, auth.project_id, volumes=1, gigabytes=size,
                              volume_size=size)
            volume = models.Volume(
                project_id=auth.project_id, user_id=auth.user_id, name=name,
                description=description, size=size, status="creating",
                volume_type_id=vtype.id, snapshot_id=snapshot_id, source_volid=source_volid,
                image_id=image_id, metadata_=metadata or {}, availability_zone=zone,
                host=self.conf.host, image_metadata=_image_metadata(image))
            session.add(volume)
        request_id = f"req-{uuid.uuid4()}"
        LOG.info("volume %s: create request %s", volume.id, request_id)
        self.submit(self._build_volume, volume.id, size, snapshot_id, source_volid, image,
                     auth.token, request_id)
        return records.show_volume(self.db, auth, volume.id)

    def _check_image(self, auth, image_id, size):
        """Refuse at once what would surely fail later: a missing image, an unusable
        format, or one too big for the volume."""
        try:
            image = self.images.show(image_id, auth.token)
        except image_source.ImageUnavailable as exc:
            raise errors.BadRequest(f"Invalid image identifier or unable to access "
                                    f"requested image. {exc}")
        if image.get("disk_format") not in formats.QEMU_FORMATS:
            raise errors.BadRequest(f"Image {image_id} has disk format "
                                    f"{image.get('disk_format')!r}, which cannot be written "
                                    f"to a volume.")
        if image.get("container_format") not in (None, "bare"):
            raise errors.BadRequest(f"Image {image_id} has container format "
                                    f"{image['container_format']!r}; only bare is supported.")
        if size is not None:
            if (image.get("min_disk") or 0) > size:
                raise errors.BadRequest(f"Volume size {size}GB cannot be smaller than the "
                                        f"image minDisk size {image['min_disk']}GB.")
            image_gb = -(-(image.get("size") or 0) // GiB)
            if image.get("disk_format") == "raw" and image_gb > size:
                raise errors.BadRequest(f"Size of specified image {image_gb}GB is larger "
                                        f"than volume size {size}GB.")
        return image

    @staticmethod
    def _size_for(size, source_size, source_kind):
        if size is None:
            if source_size is None:
                raise errors.BadRequest("Volume size must be given unless the volume is "
                                        "made from a snapshot or another volume.")
            return source_size
        if source_size is not None and size < source_size:
            raise errors.BadRequest(f"Volume size {size}GB cannot be smaller than the "
                                    f"{source_kind} size {source_size}GB. They must be >= "
                                    f"original {source_kind} size.")
        return size

    def _check_quota(self, session, project_id, **deltas):
        limits = quotas.project_limits(session, self.conf, project_id)
        usage = quotas.project_usage(session, project_id)
        try:
            quotas.check(limits, usage, **deltas)
        except quotas.QuotaExceeded as exc:
            raise errors.RequestEntityTooLarge(str(exc))

    def _unplaceable(self, volume_id):
        """Why the backend cannot hold a volume of its type (Cinder's capabilities
        filter finding no backend), or None."""
        with self.db.session() as session:
            vtype = session.get(models.VolumeType,
                                session.get(models.Volume, volume_id).volume_type_id)
            specs = dict(vtype.extra_specs) if vtype else {}
        if service_state.state(self.db, self.conf.host).disabled:
            return "No valid backend was found: the volume service is disabled."
        unmet = capabilities.unmet_specs(specs, capabilities.backend_capabilities(
            self.files.root))
        if unmet:
            return (f"No valid backend was found: the backend does not offer what the "
                    f"volume type asks for ({', '.join(sorted(unmet))}).")
        return None

    def _build_volume(self, volume_id, size, snapshot_id, source_volid, image, token,
                      request_id):
        reason = self._unplaceable(volume_id)
        if reason:
            self._fail(volume_id, reason, request_id, messages.SCHEDULE_ALLOCATE_VOLUME,
                       messages.NO_BACKEND_AVAILABLE)
            return
        action = messages.COPY_IMAGE_TO_VOLUME if image else messages.SCHEDULE_ALLOCATE_VOLUME
        try:
            if image:
                self._write_image(volume_id, size, image, token)
            elif snapshot_id:
                self.files.create_from_snapshot(snapshot_id, volume_id, size)
            elif source_volid:
                self.files.create_from_volume(source_volid, volume_id, size)
            else:
                self.files.create(volume_id, size)
        except (backend_files.BackendError, image_source.ImageUnavailable, OSError) as exc:
            self._fail(volume_id, f"Creating the volume failed: {exc}", request_id, action)
            return
        except Exception:
            LOG.exception("creating volume %s failed", volume_id)
            self._fail(volume_id, "Creating the volume failed unexpectedly.", request_id,
                       action)
            return
        with self.db.session() as session:
            records.change_volume_status(session, volume_id, "finish_create",
                                         bootable=bool(image))
        LOG.info("volume %s created (%d GiB)", volume_id, size)

    def _write_image(self, volume_id, size, image, token):
        scratch = self.files.scratch_path(f"image-{volume_id}")
        try:
            self.images.download(image, token, scratch)
            self.files.create_from_image(scratch, image["disk_format"], volume_id, size)
        finally:
            if os.path.exists(scratch):
                os.unlink(scratch)

    def _fail(self, volume_id, reason, request_id, action,
              detail=messages.UNKNOWN_ERROR):
        """The volume could not be made: it is in error, with a user message saying so
        to its project."""
        LOG.warning("volume %s: %s", volume_id, reason)
        self.files.delete_volume(volume_id)
        with self.db.session() as session:
            records.change_volume_status(session, volume_id, "fail_create",
                                         status_reason=reason)
            messages.record(session, session.get(models.Volume, volume_id).project_id,
                            volume_id, action, detail, request_id=request_id)

    def update_volume(self, auth, volume_id, **changes):
        """Apply ``changes``; the volume as it now is (a VolumeDetail)."""
        with self.db.session() as session:
            volume = records.get_volume(session, auth, volume_id, "volume:update")
            for key, value in changes.items():
                setattr(volume, key, value)
            session.flush()
            return records.volume_details(session, [volume])[0]

    def delete_volume(self, auth, volume_id, cascade=False, force=False):
        """Delete the volume (``cascade``: its snapshots too); ``force``: an admin's
        os-force_delete, from any status but attached."""
        rule = ("volume_extension:volume_admin_actions:force_delete" if force
                else "volume:delete")
        with self.db.session() as session:
            volume = records.get_volume(session, auth, volume_id, rule)
            service_state.refuse_if_frozen(session, volume.host)
            attached = session.scalar(select(func.count()).select_from(models.Attachment)
                                      .where(models.Attachment.volume_id == volume_id))
            if attached:
                raise errors.BadRequest(f"Volume {volume_id} is attached; detach it before "
                                        f"deleting it.")
            snapshots = list(session.scalars(select(models.Snapshot).where(
                models.Snapshot.volume_id == volume_id)))
            if snapshots and not cascade:
                raise errors.BadRequest(f"Volume {volume_id} still has {len(snapshots)} "
                                        f"dependent snapshots.")
            self._refuse_if_being_copied(session, models.Volume.source_volid, volume_id,
                                         "Volume")
            for snapshot in snapshots:
                self._refuse_if_being_copied(session, models.Volume.snapshot_id,
                                             snapshot.id, "Snapshot")
                records.change_snapshot_status(session, snapshot.id,
                                               "force_delete" if force else "delete")
            records.change_volume_status(session, volume.id,
                                         "force_delete" if force else "delete")
            session.execute(sa_delete(models.Transfer).where(
                models.Transfer.volume_id == volume_id))
        for snapshot in snapshots:
            self._remove_snapshot(snapshot.id)
        try:
            self.files.delete_volume(volume_id)
        except OSError as exc:
            with self.db.session() as session:
                records.change_volume_status(session, volume_id, "fail_delete",
                                             status_reason=f"Deleting the file failed: {exc}")
            raise errors.ApiError(f"Deleting volume {volume_id} failed: {exc}")
        with self.db.session() as session:
            session.delete(session.get(models.Volume, volume_id))
        LOG.info("volume %s deleted", volume_id)

    @staticmethod
    def _refuse_if_being_copied(session, column, source_id, kind):
        """A volume being made from a volume or snapshot needs its source until done."""
        busy = session.scalar(select(models.Volume.id).where(
            column == source_id, models.Volume.status == "creating").limit(1))
        if busy:
            raise errors.BadRequest(f"{kind} {source_id} is being copied into volume {busy}; "
                                    f"try again when that volume is available.")

    def extend_volume(self, auth, volume_id, new_size):
        with self.db.session() as session:
            volume = records.get_volume(session, auth, volume_id, "volume:extend")
            service_state.refuse_if_frozen(session, volume.host)
            if new_size <= volume.size:
                raise errors.BadRequest(f"New size for extend must be greater than current "
                                        f"size. (current: {volume.size}, extended: "
                                        f"{new_size}).")
            if volume.status == "in-use":
                raise errors.BadRequest("Extending an attached volume is not supported by "
                                        "the NBD backend; detach it first.")
            copying = session.scalar(select(models.Snapshot.id).where(
                models.Snapshot.volume_id == volume_id,
                models.Snapshot.status == "creating").limit(1))
            if copying:
                raise errors.BadRequest(f"Snapshot {copying} of the volume is being taken; "
                                        f"try again when it is available.")
            self._check_quota(session, volume.project_id, gigabytes=new_size - volume.size,
                              volume_size=new_size)
            records.change_volume_status(session, volume_id, "extend")
        try:
            self.files.extend(volume_id, new_size)
        except (backend_files.BackendError, OSError) as exc:
            with self.db.session() as session:
                records.change_volume_status(session, volume_id, "fail_extend",
                                             status_reason=f"Extending failed: {exc}")
            raise errors.ApiError(f"Extending volume {volume_id} failed: {exc}")
        with self.db.session() as session:
            records.change_volume_status(session, volume_id, "finish_extend", size=new_size)

    def reset_volume_status(self, auth, volume_id, status):
        with self.db.session() as session:
            volume = records.get_volume(session, auth, volume_id,
                                        "volume_extension:volume_admin_actions:reset_status")
            volume.status = self._valid_reset(states.VOLUME, status)
            volume.status_reason = None

    # --- snapshots -----------------------------------------------------------------

    def create_snapshot(self, auth, volume_id, name=None, description=None, metadata=None,
                        force=False):
        policy.authorize(auth, "volume:create_snapshot")
        with self.db.session() as session:
            volume = records.get_volume(session, auth, volume_id)
            service_state.refuse_if_frozen(session, volume.host)
            event = "force_snapshot" if force else "snapshot"
            in_use = volume.status == "in-use"
            records.change_volume_status(session, volume_id, event)
            self._check_quota(session, auth.project_id, snapshots=1, gigabytes=volume.size)
            snapshot = models.Snapshot(
                project_id=auth.project_id, user_id=auth.user_id, volume_id=volume_id,
                name=name, description=description, size=volume.size, status="creating",
                metadata_=metadata or {})
            session.add(snapshot)
        self.submit(self._build_snapshot, snapshot.id, volume_id, in_use)
        return snapshot

    def _build_snapshot(self, snapshot_id, volume_id, in_use):
        try:
            self.files.snapshot(volume_id, snapshot_id, in_use=in_use)
        except Exception as exc:
            if not isinstance(exc, (backend_files.BackendError, OSError)):
                LOG.exception("snapshot %s failed", snapshot_id)
            with self.db.session() as session:
                records.change_snapshot_status(session, snapshot_id, "fail_create",
                                               status_reason=f"Copying failed: {exc}")
            return
        with self.db.session() as session:
            records.change_snapshot_status(session, snapshot_id, "finish_create")
        LOG.info("snapshot %s of volume %s created", snapshot_id, volume_id)

    def update_snapshot(self, auth, snapshot_id, **changes):
        with self.db.session() as session:
            snapshot = records.get_snapshot(session, auth, snapshot_id,
                                            "volume:update_snapshot")
            for key, value in changes.items():
                setattr(snapshot, key, value)
            return snapshot

    def delete_snapshot(self, auth, snapshot_id, force=False):
        """Delete the snapshot; ``force``: an admin's os-force_delete, from any status."""
        rule = ("volume_extension:snapshot_admin_actions:force_delete" if force
                else "volume:delete_snapshot")
        with self.db.session() as session:
            records.get_snapshot(session, auth, snapshot_id, rule)
            self._refuse_if_being_copied(session, models.Volume.snapshot_id, snapshot_id,
                                         "Snapshot")
            records.change_snapshot_status(session, snapshot_id,
                                           "force_delete" if force else "delete")
        self._remove_snapshot(snapshot_id)

    def _remove_snapshot(self, snapshot_id):
        try:
            self.files.delete_snapshot(snapshot_id)
        except OSError as exc:
            with self.db.session() as session:
                records.change_snapshot_status(session, snapshot_id, "fail_delete",
                                               status_reason=f"Deleting failed: {exc}")
            raise errors.ApiError(f"Deleting snapshot {snapshot_id} failed: {exc}")
        with self.db.session() as session:
            session.delete(session.get(models.Snapshot, snapshot_id))

    def reset_snapshot_status(self, auth, snapshot_id, status):
        with self.db.session() as session:
            snapshot = records.get_snapshot(
                session, auth, snapshot_id,
                "volume_extension:volume_admin_actions:reset_status")
            snapshot.status = self._valid_reset(states.SNAPSHOT, status)
            snapshot.status_reason = None

    @staticmethod
    def _valid_reset(machine, status):
        try:
            return machine.check_reset(status)
        except states.InvalidStatus as exc:
            raise errors.BadRequest(str(exc))

    # --- restart -----------------------------------------------------------------

    def recover(self):
        """After a restart: work that was running is gone; say so on its rows."""
        reason = "Interrupted by a restart of the volume service."
        with self.db.session() as session:
            for volume in session.scalars(select(models.Volume).where(
                    models.Volume.host == self.conf.host,
                    models.Volume.status.in_(states.VOLUME_INTERRUPTED))):
                LOG.warning("volume %s was %s when the service stopped", volume.id,
                            volume.status)
                volume.status = states.VOLUME_INTERRUPTED[volume.status]
                volume.status_reason = reason
            for snapshot in session.scalars(
                    select(models.Snapshot)
                    .join(models.Volume, models.Volume.id == models.Snapshot.volume_id)
                    .where(models.Volume.host == self.conf.host,
                           models.Snapshot.status.in_(states.SNAPSHOT_INTERRUPTED))):
                snapshot.status = states.SNAPSHOT_INTERRUPTED[snapshot.status]
                snapshot.status_reason = reason
        for leftover in glob.glob(os.path.join(self.files.root, ".*.part")) + glob.glob(
                os.path.join(self.files.root, "*.part")):
            os.unlink(leftover)


def _image_metadata(image):
    """Cinder's volume_image_metadata: the image's main properties, as strings."""
    if not image:
        return {}
    return {f"image_{key}" if key in ("id", "name") else key: str(image[key])
            for key in IMAGE_METADATA_KEYS if image.get(key) is not None}
