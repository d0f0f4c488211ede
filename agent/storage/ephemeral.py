"""The instance's own disks: a qcow2 root overlay on the cached base image, and the
flavor's ephemeral and swap disks, all files in the instance's directory.

Layout of ``<instances_path>/<uuid>/``: ``disk`` (root), ``disk.eph0``, ``disk.swap``,
``disk.config`` (config drive, written by the driver) and ``console.log``.
"""
import os
import struct

from oslo_concurrency import processutils

from agent.storage import EPHEMERAL, ROOT, SWAP, Disk

GiB = 1024 ** 3
MiB = 1024 ** 2

ROOT_DISK = "disk"
EPHEMERAL_DISK = "disk.eph0"
SWAP_DISK = "disk.swap"


class StorageError(Exception):
    """An instance disk could not be created; the message says which and why."""


class FlavorDiskTooSmall(StorageError):
    def __init__(self, root_gb, virtual_size):
        super().__init__(
            f"Flavor's disk is too small for requested image. Flavor disk is "
            f"{root_gb * GiB} bytes, image is {virtual_size} bytes.")


def root_disk_size(root_gb, image_virtual_size):
    """Bytes of the root disk: the flavor's size, or the image's when the flavor says 0.

    A root disk is never smaller than the image it holds (that would cut the guest's
    file system), so a flavor too small for the image is an error, as in Nova.
    """
    if not root_gb:
        return image_virtual_size
    size = root_gb * GiB
    if size < image_virtual_size:
        raise FlavorDiskTooSmall(root_gb, image_virtual_size)
    return size


QCOW2_MAGIC = b"QFI\xfb"


def backing_file(path):
    """The backing file named in a qcow2 disk's header, or None (no such file, not
    qcow2, no backing file). Read in Python: cheap enough for every periodic run."""
    try:
        with open(path, "rb") as f:
            magic, _version, offset, size = struct.unpack(">4sIQI", f.read(20))
            if magic != QCOW2_MAGIC or not offset or size > 1023:
                return None
            f.seek(offset)
            return f.read(size).decode("utf-8", errors="replace")
    except (FileNotFoundError, struct.error):
        return None


def _qemu_img(*args):
    try:
        processutils.execute("qemu-img", *args)
    except processutils.ProcessExecutionError as exc:
        raise StorageError(f"qemu-img {args[0]} failed: {exc.stderr.strip()}") from exc


def create_root_disk(path, base_path, base_format, size):
    """A qcow2 overlay on ``base_path`` (qcow2 or raw), ``size`` bytes big."""
    _qemu_img("create", "-q", "-f", "qcow2", "-F", base_format, "-b", base_path,
              path, str(size))


def resize_disk(path, size):
    """Grow a disk to ``size`` bytes (a resize to a bigger flavor)."""
    _qemu_img("resize", "-q", path, str(size))


def create_ephemeral_disk(path, size_gb):
    """A blank qcow2 disk the guest formats as it likes (Nova's default is unformatted
    for cloud-init to set up)."""
    _qemu_img("create", "-q", "-f", "qcow2", path, f"{size_gb}G")


def create_swap_disk(path, size_mb):
    """A raw disk holding a swap signature, ready for ``swapon``."""
    _qemu_img("create", "-q", "-f", "raw", path, f"{size_mb}M")
    try:
        processutils.execute("mkswap", "-q", path)
    except processutils.ProcessExecutionError as exc:
        raise StorageError(f"mkswap failed: {exc.stderr.strip()}") from exc


def create_instance_disks(instance_dir, base_path, base_format, image_virtual_size,
                          flavor):
    """Create the flavor's disks in ``instance_dir``; returns them as ``Disk`` records.

    ``flavor`` is the instance's flavor dict (``root_gb``, ``ephemeral_gb``, ``swap`` in
    MiB).
    """
    root = os.path.join(instance_dir, ROOT_DISK)
    size = root_disk_size(flavor.get("root_gb") or 0, image_virtual_size)
    create_root_disk(root, base_path, base_format, size)
    return [Disk(role=ROOT, path=root, format="qcow2")] + create_extra_disks(instance_dir,
                                                                            flavor)


def create_extra_disks(instance_dir, flavor):
    """The flavor's ephemeral and swap disks alone (a volume is the root disk)."""
    disks = []
    if flavor.get("ephemeral_gb"):
        path = os.path.join(instance_dir, EPHEMERAL_DISK)
        create_ephemeral_disk(path, flavor["ephemeral_gb"])
        disks.append(Disk(role=EPHEMERAL, path=path, format="qcow2"))
    if flavor.get("swap"):
        path = os.path.join(instance_dir, SWAP_DISK)
        create_swap_disk(path, flavor["swap"])
        disks.append(Disk(role=SWAP, path=path, format="raw"))
    return disks
