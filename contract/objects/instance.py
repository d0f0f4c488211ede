"""The instance as the conductor hands it to agents (``instance_get``,
``instance_update``, ``instances_on_host``)."""
from oslo_versionedobjects import fields

from contract.objects import base
from contract.objects.block_device import BlockDeviceMapping
from contract.objects.network import VirtualInterface


@base.register
class Instance(base.PocketstackObject):
    """A server, for the agent of its host.

    ``flavor``: ``{"name", "vcpus", "memory_mb", "root_gb", "ephemeral_gb", "swap",
    "extra_specs"}``; ``image_meta``: the image as the image service described it;
    ``user_data``: base64; ``requested_networks``: ``[{"network_id", "port_id",
    "fixed_ip", "security_groups"}]`` as the create request asked (the group IDs for
    the ports the agent creates); ``launched_at``: ISO 8601.

    Versions: 1.0 — the fields below.
    """

    VERSION = "1.0"

    fields = {
        "uuid": fields.UUIDField(),
        "name": fields.StringField(nullable=True),
        "hostname": fields.StringField(nullable=True),
        "project_id": fields.StringField(nullable=True),
        "user_id": fields.StringField(nullable=True),
        "image_ref": fields.StringField(nullable=True),
        "image_meta": base.JsonField(nullable=True),
        "flavor": base.JsonField(nullable=True),
        "vm_state": fields.StringField(nullable=True),
        "task_state": fields.StringField(nullable=True),
        "power_state": fields.IntegerField(nullable=True),
        "host": fields.StringField(nullable=True),
        "node": fields.StringField(nullable=True),
        "availability_zone": fields.StringField(nullable=True),
        "key_name": fields.StringField(nullable=True),
        "key_data": fields.StringField(nullable=True),
        "user_data": fields.StringField(nullable=True),
        "config_drive": fields.BooleanField(nullable=True),
        "metadata": fields.DictOfNullableStringsField(default={}),
        "requested_networks": base.JsonField(default=[]),
        "network_info": fields.ListOfObjectsField("VirtualInterface", default=[]),
        "launch_index": fields.IntegerField(nullable=True),
        "launched_at": fields.StringField(nullable=True),
        "block_device_mappings": fields.ListOfObjectsField("BlockDeviceMapping",
                                                           default=[]),
    }

    # The versions of the objects inside, per version of this one.
    obj_relationships = {
        "network_info": [("1.0", "1.0")],
        "block_device_mappings": [("1.0", "1.0")],
    }

    @classmethod
    def from_dict(cls, values):
        values = dict(values)
        values["network_info"] = [VirtualInterface.from_dict(vif)
                                  for vif in values.get("network_info") or []]
        values["block_device_mappings"] = [
            BlockDeviceMapping.from_dict(bdm)
            for bdm in values.get("block_device_mappings") or []]
        return super().from_dict(values)
