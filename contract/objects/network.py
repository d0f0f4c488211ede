"""A server's virtual NIC as the agent wired it: one entry of its ``network_info``."""
from oslo_versionedobjects import fields

from contract.objects import base


@base.register
class VirtualInterface(base.PocketstackObject):
    """One port of the server, wired on its host.

    ``network`` is ``{"id", "label", "bridge", "mtu", "subnets": [{"id", "cidr",
    "gateway", "ips": [{"address", "version"}], "dns"}]}``: ``bridge`` (and ``devname``,
    the tap) are where the host network (``agent.network.host``) put the port, so the
    virt driver knows where the guest's NIC goes.

    Versions: 1.0 — id, address, devname, preserve_on_delete, network.
    """

    VERSION = "1.0"

    fields = {
        "id": fields.UUIDField(),
        "address": fields.StringField(nullable=True),
        "devname": fields.StringField(nullable=True),
        "preserve_on_delete": fields.BooleanField(default=False),
        "network": base.JsonField(nullable=True),
    }
