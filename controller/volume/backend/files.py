"""The storage host's volume and snapshot files: sparse raw files under one directory.

Raw because that is what the guest sees byte for byte: growing a volume is a truncate,
the NBD export needs no format layer, and any tool can read a volume when the service
is down. Sparse, so an empty 100 GiB volume costs nothing until written. Every new file
is written under a temporary name and renamed into place, so a crash never leaves a
half-copied file where a volume or snapshot should be.
"""
import contextlib
import os

from oslo_concurrency import processutils

from controller.volume.backend import formats

GiB = 1024 ** 3


class BackendError(Exception):
    """A storage operation failed; the message says why and the data is untouched."""


class VolumeFiles:
    def __init__(self, root, qemu_img="qemu-img"):
        self.root = root
        self.qemu_img = qemu_img
        os.makedirs(root, mode=0o700, exist_ok=True)

    def volume_path(self, volume_id):
        return os.path.join(self.root, f"volume-{volume_id}")

    def snapshot_path(self, snapshot_id):
        return os.path.join(self.root, f"snapshot-{snapshot_id}")

    def scratch_path(self, name):
        """A temporary file in the same file system, for downloads."""
        return os.path.join(self.root, f".{name}.part")

    def create(self, volume_id, size_gb):
        with self._new_file(self.volume_path(volume_id)) as part:
            with open(part, "xb"):
                pass
            os.truncate(part, size_gb * GiB)

    def create_from_snapshot(self, snapshot_id, volume_id, size_gb):
        with self._new_file(self.volume_path(volume_id)) as part:
            self._convert(self.snapshot_path(snapshot_id), "raw", part)
            self._grow(part, size_gb)

    def create_from_volume(self, source_id, volume_id, size_gb):
        with self._new_file(self.volume_path(volume_id)) as part:
            self._convert(self.volume_path(source_id), "raw", part)
            self._grow(part, size_gb)

    def create_from_image(self, image_file, disk_format, volume_id, size_gb):
        """Write a downloaded image into a new volume, after checking it is what it
        claims to be (see ``formats``) and fits."""
        try:
            image = formats.check_image(image_file, disk_format)
        except formats.UnsafeImage as exc:
            raise BackendError(str(exc))
        if image.virtual_size > size_gb * GiB:
            needed = -(-image.virtual_size // GiB)
            raise BackendError(f"Image is {needed} GiB when written to a disk, larger than "
                               f"the volume's {size_gb} GiB.")
        with self._new_file(self.volume_path(volume_id)) as part:
            self._convert(image_file, image.qemu_format, part)
            self._grow(part, size_gb)

    def snapshot(self, volume_id, snapshot_id, in_use=False):
        """Copy a volume into a snapshot; ``in_use`` reads past the export's lock (the copy
        is then crash-consistent)."""
        with self._new_file(self.snapshot_path(snapshot_id)) as part:
            self._convert(self.volume_path(volume_id), "raw", part, share=in_use)

    def write_image(self, volume_id, qemu_format, dest):
        """Copy a volume into an image file of ``qemu_format``, for the image service."""
        self._convert(self.volume_path(volume_id), "raw", dest, out_format=qemu_format)

    def extend(self, volume_id, size_gb):
        path = self.volume_path(volume_id)
        if os.path.getsize(path) > size_gb * GiB:
            raise BackendError(f"Volume file {path} is already larger than {size_gb} GiB.")
        os.truncate(path, size_gb * GiB)

    def delete_volume(self, volume_id):
        _remove(self.volume_path(volume_id))

    def delete_snapshot(self, snapshot_id):
        _remove(self.snapshot_path(snapshot_id))

    @contextlib.contextmanager
    def _new_file(self, final):
        if os.path.exists(final):
            raise BackendError(f"{final} already exists.")
        part = final + ".part"
        _remove(part)
        try:
            yield part
            os.replace(part, final)
            _fsync_dir(self.root)  # the rename outlives a crash, as the row saying so does
        finally:
            _remove(part)

    def _convert(self, source, source_format, dest, share=False, out_format="raw"):
        args = [self.qemu_img, "convert", "-q", "-f", source_format, "-O", out_format]
        if share:
            args.append("-U")
        try:
            processutils.execute(*args, source, dest)
        except processutils.ProcessExecutionError as exc:
            raise BackendError(f"qemu-img convert failed: {exc.stderr.strip() or exc}")

    @staticmethod
    def _grow(path, size_gb):
        if os.path.getsize(path) < size_gb * GiB:
            os.truncate(path, size_gb * GiB)


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
