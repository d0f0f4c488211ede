"""Image data in and out of the store, with each image's status kept true to it.

An upload or import takes the image from ``queued`` to ``saving``/``importing`` in one
short transaction, streams without holding the database, and settles the outcome in
another: ``active`` with its size and hashes once the file is committed, back to
``queued`` if the content was refused, ``killed`` if the data broke off. An image deleted
meanwhile keeps nothing. At start, ``recover`` settles what a crash interrupted.
"""
import errno
import logging
import threading

from sqlalchemy import select

from contract import image_format
from controller import policy
from controller.api import errors
from controller.image import quota, status, transfer, web_download
from controller.image.models import Image, ImageProperty
from controller.image.repository import get_image, project_usage

LOG = logging.getLogger(__name__)

IMPORT_ERROR_PROPERTY = "os_glance_import_error"

# Import failures the owner can act on; their message is stored on the image.
_IMPORT_FAILURES = (quota.LimitExceeded, image_format.ImageRejected, web_download.ImportFailed,
                    OSError)


def image_target(image):
    return {"project_id": image.owner, "visibility": image.visibility}


def set_property(image, name, value):
    """Set (or with ``None`` remove) a custom property on a loaded image."""
    for prop in list(image.properties):
        if prop.name == name:
            if value is None:
                image.properties.remove(prop)
            else:
                prop.value = value
            return
    if value is not None:
        image.properties.append(ImageProperty(name=name, value=value))


class ImageData:
    def __init__(self, conf, db, store):
        self.conf = conf
        self.db = db
        self.store = store
        self._import_slots = threading.BoundedSemaphore(conf.image.import_workers)

    def recover(self):
        """Settle transfers a previous process left running, and drop orphaned files."""
        with self.db.session() as session:
            for image in session.scalars(select(Image).where(
                    Image.status.in_(tuple(status.RECOVERY)))):
                LOG.warning("Image %s was %s when the service stopped: now %s",
                            image.id, image.status, status.RECOVERY[image.status])
                if image.status == status.IMPORTING:
                    set_property(image, IMPORT_ERROR_PROPERTY,
                                 "The import was interrupted by a restart of the service.")
                image.status = status.advance(image.status, status.RECOVERY[image.status])
            active = set(session.scalars(select(Image.id).where(
                Image.status == status.ACTIVE)))
        for name in self.store.sweep(active):
            LOG.info("Removed %s from the image store: no active image owns it", name)

    def _limits(self, session, image):
        return quota.UploadLimits(self.conf.image.max_image_size,
                                  self.conf.image.project_quota_bytes,
                                  project_usage(session, image.owner, exclude=image.id))

    def _begin(self, auth, image_id, action, new_status, announced_size=None):
        """Move the image into ``new_status``; return (disk_format, limits)."""
        with self.db.session() as session:
            image = get_image(session, auth, image_id, for_update=True)
            policy.authorize(auth, f"image:{action}", image_target(image))
            if not image.disk_format or not image.container_format:
                raise errors.BadRequest("Properties disk_format and container_format must "
                                        "be set before the image gets data.")
            try:
                image.status = status.advance(image.status, new_status)
            except status.InvalidTransition as exc:
                raise errors.Conflict(str(exc))
            limits = self._limits(session, image)
            if announced_size is not None:
                try:
                    limits.check(announced_size)
                except quota.LimitExceeded as exc:
                    raise errors.RequestEntityTooLarge(str(exc))
            set_property(image, IMPORT_ERROR_PROPERTY, None)
            return image.disk_format, limits

    def upload(self, auth, image_id, body, announced_size=None):
        """Store the data of a queued image from ``body`` (a request body: a reader with
        ``readinto``, or chunks)."""
        disk_format, limits = self._begin(auth, image_id, "upload_image", status.SAVING,
                                          announced_size)
        try:
            received = transfer.receive(self.store, image_id, body, disk_format, limits)
            self._finish(image_id, received, status.SAVING)
        except quota.LimitExceeded as exc:
            self._settle(image_id, status.SAVING, status.QUEUED)
            raise errors.RequestEntityTooLarge(str(exc), headers={"Connection": "close"})
        except image_format.ImageRejected as exc:
            self._settle(image_id, status.SAVING, status.QUEUED)
            raise errors.BadRequest(str(exc), headers={"Connection": "close"})
        except transfer.TransferInterrupted as exc:
            self._settle(image_id, status.SAVING, status.KILLED)
            raise errors.BadRequest(str(exc), headers={"Connection": "close"})
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                self._settle(image_id, status.SAVING, status.KILLED)
                raise
            self._settle(image_id, status.SAVING, status.QUEUED)
            raise errors.RequestEntityTooLarge("The image store is full.",
                                               headers={"Connection": "close"})
        except BaseException:
            self._settle(image_id, status.SAVING, status.KILLED)
            raise

    def start_import(self, auth, image_id, uri):
        """Begin a web-download import in the background (202 Accepted)."""
        disk_format, limits = self._begin_import(auth, image_id, uri)
        threading.Thread(target=self._run_import, name=f"import-{image_id}", daemon=True,
                         args=(image_id, uri, disk_format, limits)).start()

    def import_now(self, auth, image_id, uri):
        """A web-download import run to its end in this thread (an import task's); the
        image then is active, or queued with the reason in its import error property."""
        self._run_import(image_id, uri, *self._begin_import(auth, image_id, uri))

    def _begin_import(self, auth, image_id, uri):
        try:
            web_download.check_uri(uri, self.conf)
        except web_download.ImportFailed as exc:
            raise errors.BadRequest(str(exc))
        return self._begin(auth, image_id, "import_image", status.IMPORTING)

    def _run_import(self, image_id, uri, disk_format, limits):
        with self._import_slots:
            try:
                chunks = web_download.fetch(uri, self.conf)
                received = transfer.receive(self.store, image_id, chunks, disk_format,
                                            limits)
                self._finish(image_id, received, status.IMPORTING)
                LOG.info("Imported image %s from %s", image_id, uri)
            except errors.Gone:
                LOG.info("Image %s was deleted while it was being imported", image_id)
            except _IMPORT_FAILURES as exc:
                LOG.warning("Import of image %s from %s failed: %s", image_id, uri, exc)
                self._settle(image_id, status.IMPORTING, status.QUEUED, str(exc))
            except Exception:
                LOG.exception("Import of image %s from %s failed", image_id, uri)
                self._settle(image_id, status.IMPORTING, status.QUEUED,
                             "The import failed unexpectedly; see the image service's log.")

    def _finish(self, image_id, received, from_status):
        """Commit the staged data and make the image active, or leave nothing behind."""
        try:
            with self.db.session() as session:
                image = session.get(Image, image_id)
                if image is None or image.status != from_status:
                    raise errors.Gone(f"Image {image_id} was deleted during the upload.")
                # Other uploads of the project may have finished meanwhile.
                self._limits(session, image).check(received.size)
                received.staged.commit()
                image.status = status.advance(image.status, status.ACTIVE)
                image.size = received.size
                image.virtual_size = received.virtual_size
                image.checksum = received.checksum
                image.os_hash_algo = transfer.HASH_ALGORITHM
                image.os_hash_value = received.os_hash_value
        except BaseException:
            if received.staged.committed:
                self.store.delete(image_id)
            received.staged.discard()
            raise

    def _settle(self, image_id, from_status, to_status, error=None):
        """Record a failed transfer, unless the image has gone or moved on."""
        with self.db.session() as session:
            image = session.get(Image, image_id)
            if image is None or image.status != from_status:
                return
            image.status = status.advance(from_status, to_status)
            if error is not None:
                set_property(image, IMPORT_ERROR_PROPERTY, error)

    def open_data(self, auth, image_id):
        """(image, open file) of an active image; (image, None) if it has no data.

        A deactivated image's data stays readable to admins only, as in Glance."""
        with self.db.session() as session:
            image = get_image(session, auth, image_id)
            policy.authorize(auth, "image:download_image", image_target(image))
            if image.status == status.DEACTIVATED and not auth.is_admin:
                raise errors.Forbidden("The requested image has been deactivated. Image "
                                       "data download is forbidden.")
            if image.status not in (status.ACTIVE, status.DEACTIVATED):
                return image, None
        try:
            return image, self.store.open(image_id)
        except FileNotFoundError:
            LOG.error("Active image %s has no data in the store", image_id)
            raise errors.ServiceUnavailable(f"The data of image {image_id} is missing "
                                            f"from the image store.")

