"""Options of the block storage service ([volume])."""
from oslo_config import cfg

GROUP = "volume"

volume_opts = [
    cfg.StrOpt("volumes_path",
               help="Directory holding volume and snapshot files on the storage host. "
                    "Default: <state_path>/volumes."),
    cfg.StrOpt("export_host", default="127.0.0.1",
               help="Address the NBD exports of attached volumes listen on and that "
                    "compute hosts connect to. 127.0.0.1 suits the all-in-one; give the "
                    "storage network address when compute runs on other hosts."),
    cfg.PortOpt("export_port_min", default=10810,
                help="Lowest TCP port of an NBD export (one port per attached volume)."),
    cfg.PortOpt("export_port_max", default=10999,
                help="Highest TCP port of an NBD export."),
    cfg.StrOpt("storage_daemon", default="qemu-storage-daemon",
               help="The qemu-storage-daemon executable that serves NBD exports."),
    cfg.StrOpt("qemu_img", default="qemu-img",
               help="The qemu-img executable used to convert, copy and resize files."),
    cfg.StrOpt("image_url",
               help="Base URL of the image API that volumes are created from. Default: "
                    "this controller's own /image endpoint."),
    cfg.IntOpt("image_download_timeout", default=600, min=1,
               help="Seconds to wait for the image API to send the next chunk."),
    cfg.IntOpt("workers", default=2, min=1,
               help="Threads that run long volume operations (copying images and "
                    "snapshots) in the background."),
    cfg.StrOpt("availability_zone", default="nova",
               help="Availability zone every volume is placed in."),
    cfg.IntOpt("quota_volumes", default=10, min=-1,
               help="Default number of volumes per project (-1: unlimited)."),
    cfg.IntOpt("quota_snapshots", default=10, min=-1,
               help="Default number of snapshots per project (-1: unlimited)."),
    cfg.IntOpt("quota_gigabytes", default=1000, min=-1,
               help="Default GiB of volumes and snapshots per project (-1: unlimited)."),
    cfg.IntOpt("quota_per_volume_gigabytes", default=-1, min=-1,
               help="Default largest volume size in GiB (-1: unlimited)."),
    # Cinder's quotas on backups and groups: this cloud makes neither yet, so their usage
    # is always 0, but the limits are kept and shown as Cinder's.
    cfg.IntOpt("quota_backups", default=10, min=-1,
               help="Default number of volume backups per project (-1: unlimited)."),
    cfg.IntOpt("quota_backup_gigabytes", default=1000, min=-1,
               help="Default GiB of volume backups per project (-1: unlimited)."),
    cfg.IntOpt("quota_groups", default=10, min=-1,
               help="Default number of volume groups per project (-1: unlimited)."),
]


def register_opts(conf):
    conf.register_opts(volume_opts, group="volume")


def list_opts():
    return [(GROUP, volume_opts)]
