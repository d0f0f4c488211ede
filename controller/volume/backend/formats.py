"""Checking an untrusted image file before qemu-img reads it.

An image claims a disk format, but its bytes decide what qemu-img would do: a "raw"
image holding a qcow2 header with a backing file (or a qcow2 with an external data file)
would make the storage host copy one of its own files into the user's volume. So the
format is detected from the content with oslo.utils' format inspector (the check Glance,
Nova and Cinder use), must match the declared one, must pass the inspector's safety
checks, and qemu-img is then told the format instead of guessing it.
"""
import dataclasses
import os

from oslo_utils.imageutils import format_inspector

# Glance disk_format → qemu-img's name for it.
QEMU_FORMATS = {"raw": "raw", "qcow2": "qcow2", "vmdk": "vmdk", "vdi": "vdi",
                "vhd": "vpc", "vhdx": "vhdx"}

# A raw disk image with a partition table or an ISO 9660 file system on it is detected
# as "gpt" or "iso": both are still raw to qemu-img.
RAW_LOOKALIKES = ("gpt", "iso")


class UnsafeImage(Exception):
    """The file is not what it claims to be, or is unsafe to convert."""


@dataclasses.dataclass(frozen=True)
class CheckedImage:
    qemu_format: str
    virtual_size: int


def check_image(path, disk_format):
    """Verify the file at ``path`` is a safe ``disk_format`` image; return how to read it."""
    if disk_format not in QEMU_FORMATS:
        raise UnsafeImage(f"Image disk format {disk_format!r} cannot be written to a volume; "
                          f"supported: {', '.join(sorted(QEMU_FORMATS))}.")
    try:
        inspector = format_inspector.detect_file_format(path)
        if inspector is None:
            raise UnsafeImage("The image's format could not be recognised.")
        detected = inspector.NAME
        if detected != disk_format and not (disk_format == "raw"
                                            and detected in RAW_LOOKALIKES):
            raise UnsafeImage(f"Image claims disk format {disk_format!r} but its content "
                              f"is {detected!r}.")
        inspector.safety_check()
    except format_inspector.SafetyCheckFailed as exc:
        raise UnsafeImage(f"Image failed safety checks: {', '.join(sorted(exc.failures))}.")
    except format_inspector.ImageFormatError as exc:
        raise UnsafeImage(f"Image format could not be verified: {exc}")
    # The inspector stops reading once it knows the format, so for raw only the file's
    # own size is the disk's size.
    size = os.path.getsize(path) if disk_format == "raw" else inspector.virtual_size
    return CheckedImage(QEMU_FORMATS[disk_format], size)
