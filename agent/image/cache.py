"""The base-image cache: each image's data once per host, as ``<cache dir>/<image id>``.

Instance root disks are qcow2 overlays on these files, so a base must never change or
vanish while an instance uses it, and a file under its final name must be exactly the
image the image service vouched for. Hence:

- a download streams into a hidden temporary file, checked against the image service's
  hash (``os_hash_value``, or the md5 ``checksum``) and inspected as it arrives by the
  image service's own ``contract.image_format`` (pure: content must be the declared
  format, no backing or data file), fsynced, and only then renamed into place;
- one lock per image, for the threads of this agent and (an ``fcntl`` lock file) for
  other agents sharing the directory, so concurrent builds download an image once;
- a base's mtime is its last use: fetching touches it, ``remove_unused`` touches the
  bases in use and deletes those unused for longer than the maximum age.
"""
import dataclasses
import hashlib
import logging
import os
import re
import tempfile
import time

from oslo_concurrency import lockutils
from oslo_utils.imageutils import format_inspector

from contract import image_format
from contract.clients.image import ImageError

LOG = logging.getLogger(__name__)

SUPPORTED_FORMATS = ("qcow2", "raw")
LOCK_DIR = ".locks"
PARTIAL_SUFFIX = ".part"
IMAGE_ID = re.compile(r"^[0-9a-fA-F-]{1,64}$")
HEADER_BYTES = 64 * 1024


class ImageCorrupt(ImageError):
    """The downloaded data is not what the image service vouched for."""


class UnsafeImage(ImageError):
    """The image's content is refused: wrong format, or it refers to other files."""


@dataclasses.dataclass(frozen=True)
class BaseImage:
    path: str
    disk_format: str
    virtual_size: int  # bytes the guest sees


def _expected_hash(image_meta):
    """(hash object, expected hex digest) from the image service's description."""
    algo = image_meta.get("os_hash_algo")
    value = image_meta.get("os_hash_value")
    if algo and value:
        if algo not in hashlib.algorithms_guaranteed:
            raise ImageError(f"Image {image_meta['id']} is hashed with {algo!r}, which "
                             f"this host cannot verify.")
        return hashlib.new(algo), value.lower()
    if image_meta.get("checksum"):
        return hashlib.md5(usedforsecurity=False), image_meta["checksum"].lower()
    raise ImageError(f"Image {image_meta['id']} has no checksum to verify it by.")


def virtual_size(path, disk_format):
    """Bytes the guest sees of a cached (already inspected) base image."""
    if disk_format == "raw":
        return os.path.getsize(path)
    inspector = format_inspector.get_inspector(disk_format)()
    with open(path, "rb") as f:
        inspector.eat_chunk(f.read(HEADER_BYTES))
    return inspector.virtual_size


class ImageCache:
    def __init__(self, cache_dir, client):
        self.cache_dir = cache_dir
        self.client = client
        self.lock_path = os.path.join(cache_dir, LOCK_DIR)
        os.makedirs(self.lock_path, exist_ok=True)
        os.chmod(cache_dir, 0o755)  # qemu, running as its own user, reads the bases

    def path_of(self, image_id):
        if not IMAGE_ID.match(image_id):
            raise ImageError(f"Invalid image ID {image_id!r}.")
        return os.path.join(self.cache_dir, image_id)

    def _lock(self, image_id):
        return lockutils.lock(f"image-cache-{image_id}", external=True,
                              lock_path=self.lock_path)

    def fetch(self, token, image_meta):
        """The image as a verified base file, downloaded unless cached.

        Returns ``(BaseImage, cache_hit)``. ``image_meta`` is the image service's
        description of the image (id, disk_format, size, hashes).
        """
        image_id = image_meta["id"]
        disk_format = image_meta.get("disk_format")
        if disk_format not in SUPPORTED_FORMATS:
            raise ImageError(f"Image {image_id} has disk_format {disk_format!r}; this "
                             f"host boots {' and '.join(SUPPORTED_FORMATS)} images.")
        path = self.path_of(image_id)
        with self._lock(image_id):
            hit = os.path.exists(path)
            if hit:
                os.utime(path)
            else:
                self._download(token, image_meta, path)
        return BaseImage(path, disk_format, virtual_size(path, disk_format)), hit

    def _download(self, token, image_meta, path):
        image_id = image_meta["id"]
        hasher, expected = _expected_hash(image_meta)
        started = time.monotonic()
        fd, partial = tempfile.mkstemp(prefix=f".{image_id}.", suffix=PARTIAL_SUFFIX,
                                       dir=self.cache_dir)
        try:
            inspector = image_format.ContentInspector(image_meta["disk_format"])
            with os.fdopen(fd, "wb") as out:
                for chunk in self.client.iter_data(token, image_id):
                    inspector.feed(chunk)  # before the bytes are even written
                    hasher.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            size = inspector.size
            if image_meta.get("size") is not None and size != image_meta["size"]:
                raise ImageCorrupt(f"Image {image_id} download is {size} bytes; the "
                                   f"image service said {image_meta['size']}.")
            if hasher.hexdigest() != expected:
                raise ImageCorrupt(f"Image {image_id} download does not match its "
                                   f"{hasher.name} checksum.")
            inspector.finish()
            os.chmod(partial, 0o644)
            os.rename(partial, path)
        except image_format.ImageRejected as exc:
            os.unlink(partial)
            raise UnsafeImage(f"Image {image_id} is refused: {exc}") from exc
        except BaseException:
            os.unlink(partial)
            raise
        dir_fd = os.open(self.cache_dir, os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        LOG.info("Downloaded image %s (%d bytes) in %.1fs", image_id, size,
                 time.monotonic() - started)

    def cached_image_ids(self):
        return sorted(name for name in os.listdir(self.cache_dir)
                      if not name.startswith(".") and IMAGE_ID.match(name))

    def remove_unused(self, in_use, max_age, now=None):
        """Touch the bases in ``in_use`` (image IDs); delete the others not used for
        ``max_age`` seconds, and partial downloads nobody is writing. Returns the IDs of
        the bases deleted."""
        now = time.time() if now is None else now
        removed = []
        for image_id in self.cached_image_ids():
            path = self.path_of(image_id)
            with self._lock(image_id):
                if not os.path.exists(path):  # removed by an agent sharing the cache
                    continue
                if image_id in in_use:
                    os.utime(path)
                    continue
                unused_for = now - os.path.getmtime(path)
                if unused_for >= max_age:
                    os.unlink(path)
                    removed.append(image_id)
                    LOG.info("Removed base image %s, unused for %ds", image_id,
                             unused_for)
        for name in os.listdir(self.cache_dir):
            if name.startswith(".") and name.endswith(PARTIAL_SUFFIX):
                image_id = name[1:].split(".", 1)[0]
                with self._lock(image_id):
                    # Downloads hold the lock, so a partial file seen under it is stale.
                    if os.path.exists(os.path.join(self.cache_dir, name)):
                        os.unlink(os.path.join(self.cache_dir, name))
        return removed
