"""A move of a server between hosts (resize, cold migration), as the conductor hands it
to the agents of both hosts (``migration_get``)."""
from oslo_versionedobjects import fields

from contract.objects import base


@base.register
class Migration(base.PocketstackObject):
    """Where the server goes (``dest_compute``) from where (``source_compute``), with
    which flavor (``new_flavor``; ``old_flavor`` what a revert restores) and the
    vm_state it left (``old_vm_state``: active or stopped, what it ends in).
    ``migration_type``: "resize" or "migration"; ``status``: Nova's (pre-migrating,
    migrating, post-migrating, finished, confirming, confirmed, reverting, reverted,
    error).

    Versions: 1.0 — the fields below.
    """

    VERSION = "1.0"

    fields = {
        "uuid": fields.UUIDField(),
        "instance_uuid": fields.UUIDField(),
        "migration_type": fields.StringField(),
        "status": fields.StringField(),
        "source_compute": fields.StringField(nullable=True),
        "source_node": fields.StringField(nullable=True),
        "dest_compute": fields.StringField(nullable=True),
        "dest_node": fields.StringField(nullable=True),
        "dest_host": fields.StringField(nullable=True),
        "old_flavor": base.JsonField(nullable=True),
        "new_flavor": base.JsonField(nullable=True),
        "old_vm_state": fields.StringField(nullable=True),
        "created_at": fields.StringField(nullable=True),
    }
