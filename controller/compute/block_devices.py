"""A server's disks as block device mappings (BDMs): what a create request's
``block_device_mapping_v2`` may ask for, the device names volumes get, and the changes
agents report through the conductor.

Supported, as Nova's API takes them: a root disk from the image (local, the default), a
root volume made from the image (``source_type=image, destination_type=volume``, the
CLI's ``--boot-from-volume``) or an existing volume (``source_type=volume``, the CLI's
``--volume``), and blank local disks. More volumes are attached to a running server
(``os-volume_attachments``). The rules are pure; only ``update`` and ``destroy`` touch
the database.
"""
import dataclasses
import re
import string

from sqlalchemy import select

from contract import exception
from controller.compute import models
from controller.compute.exception import RequestConflict

LOCAL = "local"
VOLUME = "volume"
ROOT_DEVICE = "/dev/vda"
# Guests see volumes on the virtio bus (agent.volume.nbd.disk_xml), so as /dev/vdX.
VOLUME_PREFIX = "vd"
_DEVICE_RE = re.compile(r"^/dev/[a-z]+$")

# What an agent may record on a BDM: the volume it made, the attachment it reserved and
# the device the guest really got.
AGENT_UPDATABLE = frozenset({"volume_id", "attachment_id", "device_name"})


@dataclasses.dataclass(frozen=True)
class BootDisks:
    """What a create request boots from and the BDM rows each of its servers gets."""

    image_id: str | None        # the image booted, or the one the root volume is made from
    root_volume_id: str | None  # an existing volume to boot from
    volume_size: int | None     # GiB of the root volume made from the image
    specs: tuple                # keyword arguments of models.BlockDeviceMapping, root first

    @property
    def volume_backed(self):
        """The root disk is a volume: the host needs no local root disk."""
        return self.specs[0]["destination_type"] == VOLUME

    def rows(self):
        """Fresh BDM rows for one server."""
        return [models.BlockDeviceMapping(**spec) for spec in self.specs]


def _boot_index(value):
    """0 for the boot disk, a positive order, or None (not bootable; also negatives)."""
    if value in (None, ""):
        return None
    try:
        index = int(value)
    except (TypeError, ValueError):
        raise exception.InvalidRequest(f"Invalid boot_index {value!r}: it must be an "
                                       f"integer.") from None
    return index if index >= 0 else None


def _last_path_part(ref):
    return str(ref or "").rstrip("/").rsplit("/", 1)[-1]


def _positive(value, what):
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise exception.InvalidRequest(f"{what} needs a volume_size of at least 1 GiB.")
    return number


def _root_spec(bdm, image_ref):
    """The root BDM spec and (image id, existing volume id, volume size)."""
    source = bdm.get("source_type")
    destination = bdm.get("destination_type") or (VOLUME if source == "volume" else LOCAL)
    delete = bdm.get("delete_on_termination")
    if source == "image" and destination == LOCAL:
        image_id = _last_path_part(bdm.get("uuid")) or image_ref
        return (dict(source_type="image", destination_type=LOCAL, boot_index=0,
                     image_id=image_id, delete_on_termination=True), image_id, None, None)
    if source == "image":
        image_id = _last_path_part(bdm.get("uuid")) or image_ref
        if not image_id:
            raise exception.InvalidRequest("A root volume made from an image needs the "
                                           "image's id as the mapping's uuid.")
        size = _positive(bdm.get("volume_size"), "A root volume made from an image")
        return (dict(source_type="image", destination_type=VOLUME, boot_index=0,
                     image_id=image_id, volume_size=size, device_name=ROOT_DEVICE,
                     delete_on_termination=_to_bool(delete)), image_id, None, size)
    if source == "volume":
        if destination != VOLUME:
            raise exception.InvalidRequest("A volume can only be mapped with "
                                           "destination_type 'volume'.")
        volume_id = _last_path_part(bdm.get("uuid"))
        if not volume_id:
            raise exception.InvalidRequest("Booting from a volume needs the volume's id "
                                           "as the mapping's uuid.")
        return (dict(source_type="volume", destination_type=VOLUME, boot_index=0,
                     volume_id=volume_id, device_name=ROOT_DEVICE,
                     delete_on_termination=_to_bool(delete)), None, volume_id, None)
    if source == "snapshot":
        raise exception.InvalidRequest("Booting from a volume snapshot is not supported; "
                                       "make a volume of it and boot from that.")
    raise exception.InvalidRequest("The boot disk (boot_index 0) cannot be blank.")


def _to_bool(value):
    return str(value).lower() in ("true", "1", "yes", "on")


def plan(server):
    """The disks of a validated create request's ``server``; InvalidRequest says what is
    not supported or missing."""
    image_ref = _last_path_part(server.get("imageRef"))
    root = None
    extras = []
    for bdm in server.get("block_device_mapping_v2") or []:
        if _boot_index(bdm.get("boot_index")) == 0:
            if root is not None:
                raise exception.InvalidRequest("Only one block device may have "
                                               "boot_index 0.")
            root = bdm
        else:
            extras.append(bdm)
    if root is None:
        if not image_ref:
            raise exception.InvalidRequest(
                "An image (imageRef) is required to boot a server.")
        root_spec, image_id, volume_id, size = (
            dict(source_type="image", destination_type=LOCAL, boot_index=0,
                 image_id=image_ref, delete_on_termination=True), image_ref, None, None)
    else:
        root_spec, image_id, volume_id, size = _root_spec(root, image_ref)
    specs = [root_spec]
    for bdm in extras:
        if bdm.get("destination_type") == VOLUME:
            raise exception.InvalidRequest(
                "Only the boot disk can be a volume when a server is created; attach "
                "more volumes to the running server (os-volume_attachments).")
        if bdm.get("source_type") != "blank" or bdm.get("destination_type") != LOCAL:
            raise exception.InvalidRequest(
                "Only the boot disk and blank local disks are supported as block devices.")
        specs.append(dict(source_type="blank", destination_type=LOCAL, boot_index=None,
                          volume_size=bdm.get("volume_size"),
                          device_name=bdm.get("device_name"), delete_on_termination=True,
                          tag=bdm.get("tag")))
    return BootDisks(image_id=image_id, root_volume_id=volume_id, volume_size=size,
                     specs=tuple(specs))


def check_image_fits(flavor, image_meta, disks):
    """The image (or the volume's image) must fit the memory and the root disk: the
    flavor's local disk, or the volume made from the image."""
    if flavor.memory_mb < (image_meta.get("min_ram") or 0):
        raise exception.InvalidRequest("Flavor's memory is too small for requested image.")
    if disks.root_volume_id:
        return  # an existing volume already holds its image
    size_gb = (image_meta.get("size") or 0) / 1024 ** 3
    if disks.volume_backed:
        too_small = disks.volume_size < (image_meta.get("min_disk") or 0)
        if too_small or size_gb > disks.volume_size:
            raise exception.InvalidRequest(
                f"Volume of {disks.volume_size} GiB is smaller than the image needs.")
        return
    if flavor.root_gb and flavor.root_gb < (image_meta.get("min_disk") or 0):
        raise exception.InvalidRequest("Flavor's disk is too small for requested image.")
    if flavor.root_gb and size_gb > flavor.root_gb:
        raise exception.InvalidRequest("Flavor's disk is too small for requested image.")


def volume_image_meta(volume):
    """The image_meta (see ``controller.compute.image.image_meta``) of a bootable volume,
    from the image it was made from (Cinder's ``volume_image_metadata``, all strings)."""
    found = volume.get("volume_image_metadata") or {}

    def number(key):
        try:
            return int(found.get(key) or 0)
        except ValueError:
            return 0

    return {"id": found.get("image_id"), "name": found.get("image_name"),
            "status": "active", "disk_format": found.get("disk_format"),
            "container_format": found.get("container_format"), "size": number("size"),
            "checksum": found.get("checksum"), "min_ram": number("min_ram"),
            "min_disk": number("min_disk"), "properties": {}}


# --- device names --------------------------------------------------------------------------


def boot_device_names(flavor, config_drive):
    """The devices a guest gets at boot, in the order the libvirt driver adds them: the
    root disk, the flavor's ephemeral and swap disks, the config drive."""
    count = (1 + bool(flavor.get("ephemeral_gb")) + bool(flavor.get("swap"))
             + bool(config_drive))
    return [f"/dev/{VOLUME_PREFIX}{letter}" for letter in string.ascii_lowercase[:count]]


def device_for_attach(requested, used):
    """The device a newly attached volume gets: ``requested`` if valid and free, else the
    first free ``/dev/vdX`` after ``used``."""
    used = {name for name in used if name}
    if requested:
        if not _DEVICE_RE.match(requested):
            raise exception.InvalidRequest(f"The supplied device path ({requested}) is "
                                           f"invalid.")
        if requested in used:
            raise exception.InvalidRequest(f"The supplied device path ({requested}) is in "
                                           f"use.")
        return requested
    for letter in string.ascii_lowercase:
        name = f"/dev/{VOLUME_PREFIX}{letter}"
        if name not in used:
            return name
    raise RequestConflict("The server has no free device name left for a volume.")


# --- what agents report, through the conductor ---------------------------------------------


def update(session, bdm_id, updates):
    """Record on BDM ``bdm_id`` what an agent did (AGENT_UPDATABLE fields only)."""
    unknown = set(updates) - AGENT_UPDATABLE
    if unknown:
        raise ValueError(f"agents may not update {', '.join(sorted(unknown))} of a BDM")
    bdm = session.get(models.BlockDeviceMapping, bdm_id)
    if bdm is None:
        raise exception.InvalidRequest(f"Block device mapping {bdm_id} does not exist.")
    for key, value in updates.items():
        setattr(bdm, key, value)


def destroy(session, bdm_id):
    """The volume left the server (detached, or its attach failed). Idempotent."""
    bdm = session.get(models.BlockDeviceMapping, bdm_id)
    if bdm is not None:
        session.delete(bdm)


def volumes_of(session, instance_uuid):
    """The server's volume BDMs, root first."""
    return list(session.scalars(
        select(models.BlockDeviceMapping)
        .where(models.BlockDeviceMapping.instance_uuid == instance_uuid,
               models.BlockDeviceMapping.destination_type == VOLUME)
        .order_by(models.BlockDeviceMapping.id)))
