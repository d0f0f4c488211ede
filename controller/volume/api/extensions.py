"""``/extensions`` (the Cinder API extensions this service implements, which clients
probe before using them) and ``/os-availability-zone``."""
from controller import policy

UPDATED = "2026-12-04T00:00:00+00:00"

# (alias, name, description) of each extension of Cinder's that is built here.
EXTENSIONS = (
    ("os-admin-actions", "AdminActions", "Enable admin actions."),
    ("os-availability-zone", "AvailabilityZones", "Describe Availability Zones."),
    ("capabilities", "Capabilities", "Capabilities support."),
    ("os-extended-snapshot-attributes", "ExtendedSnapshotAttributes",
     "Extended SnapshotAttributes support."),
    ("qos-specs", "Qos_specs_manage", "QoS specs support."),
    ("os-quota-sets", "Quotas", "Quota management support."),
    ("scheduler-stats", "Scheduler_stats", "Scheduler stats support."),
    ("os-services", "Services", "Services support."),
    ("os-snapshot-actions", "SnapshotActions", "Enable snapshot manager actions."),
    ("os-types-extra-specs", "TypesExtraSpecs", "Type extra specs support."),
    ("os-types-manage", "TypesManage", "Types manage support."),
    ("os-vol-host-attr", "VolumeHostAttribute", "Expose host as an attribute of a volume."),
    ("os-vol-image-meta", "VolumeImageMetadata",
     "Show image metadata associated with the volume."),
    ("os-vol-mig-status-attr", "VolumeMigStatusAttribute",
     "Expose migration_status as an attribute of a volume."),
    ("os-vol-tenant-attr", "VolumeTenantAttribute",
     "Expose the internal project_id as an attribute of a volume."),
    ("os-volume-actions", "VolumeActions", "Enable volume actions."),
    ("os-volume-transfer", "VolumeTransfer", "Volume transfer management support."),
    ("os-volume-type-access", "VolumeTypeAccess", "Volume type access support."),
)


class Extensions:
    def on_get(self, req, resp):
        resp.media = {"extensions": [
            {"alias": alias, "name": name, "description": description, "links": [],
             "namespace": f"https://docs.openstack.org/volume/ext/{alias}/api/v1",
             "updated": UPDATED}
            for alias, name, description in EXTENSIONS]}


class AvailabilityZones:
    def __init__(self, conf):
        self.conf = conf

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "volume_extension:availability_zone_list")
        resp.media = {"availabilityZoneInfo": [
            {"zoneName": self.conf.volume.availability_zone,
             "zoneState": {"available": True}}]}
