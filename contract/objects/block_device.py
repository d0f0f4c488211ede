"""A server's block device mapping: a disk of the guest and where it comes from."""
from oslo_versionedobjects import fields

from contract.objects import base


@base.register
class BlockDeviceMapping(base.PocketstackObject):
    """One of the server's disks (Nova's block device mapping v2).

    ``connection_info`` is the volume connection: how this host reaches a volume's export
    (``{"driver_volume_type", "data": {...}}``, see ``agent.volume.nbd``), as the volume
    service gave it to the agent; unset until the agent connected the volume here.

    Versions: 1.0 — id, source_type, destination_type, boot_index, image_id, volume_id,
    attachment_id, volume_size, delete_on_termination, device_name, tag,
    connection_info.
    """

    VERSION = "1.0"

    fields = {
        "id": fields.IntegerField(),
        "source_type": fields.StringField(),
        "destination_type": fields.StringField(nullable=True),
        "boot_index": fields.IntegerField(nullable=True),
        "image_id": fields.StringField(nullable=True),
        "volume_id": fields.StringField(nullable=True),
        "attachment_id": fields.StringField(nullable=True),
        "volume_size": fields.IntegerField(nullable=True),
        "delete_on_termination": fields.BooleanField(default=False),
        "device_name": fields.StringField(nullable=True),
        "tag": fields.StringField(nullable=True),
        "connection_info": base.JsonField(nullable=True),
    }
