"""Options of the libvirt driver, its image cache and instance storage ([libvirt])."""
import os

from oslo_config import cfg

GROUP = "libvirt"

libvirt_opts = [
    cfg.StrOpt("virt_type", default="kvm", choices=("kvm", "qemu"),
               help="Domain type. 'kvm' needs a usable /dev/kvm (the driver falls back "
                    "to 'qemu' with a warning when libvirt reports no KVM); 'qemu' is "
                    "pure emulation (TCG): slow but works everywhere."),
    cfg.StrOpt("connection_uri", default="qemu:///system",
               help="libvirt connection URI."),
    cfg.StrOpt("instances_path", sample_default="$state_path/instances",
               help="Directory of the instances' disks, config drives and console logs, "
                    "one subdirectory per instance UUID. Default: <state_path>/instances."),
    cfg.StrOpt("image_cache_path", sample_default="$state_path/_base",
               help="Directory of the base-image cache (one file per image ID) that root "
                    "disks are overlays on. May be shared by agents on one host. "
                    "Default: <state_path>/_base."),
    cfg.BoolOpt("remove_unused_base_images", default=True,
                help="Remove cached base images that no instance on this host has used "
                     "for image_cache_max_age seconds."),
    cfg.IntOpt("image_cache_max_age", default=86400, min=0,
               help="Seconds an unused base image stays cached."),
    cfg.IntOpt("volume_detach_timeout", default=60, min=1,
               help="Seconds a running guest gets to let go of a volume being detached; "
                    "the detach fails (the volume stays attached) if it does not."),
    # Live migration: libvirt's peer-to-peer migration, the source's libvirtd
    # connecting to the destination's.
    cfg.StrOpt("live_migration_uri", default="qemu+ssh://%s/system",
               help="URI of the destination's libvirtd that the source's libvirtd "
                    "connects to; %s is the destination host's name. Over SSH, root of "
                    "each compute host must be able to log in to the others, e.g. "
                    "qemu+libssh://root@%s/system?keyfile=/etc/pocketstack/migration_key"
                    "&known_hosts_verify=ignore&sshauth=privkey (libvirt's libssh "
                    "transport); qemu+tls://%s/system with libvirt's TLS certificates."),
    cfg.StrOpt("migration_ssh_key",
               help="Private key root of this host logs in to another compute host's "
                    "root with over SSH to copy a stopped guest's disks there (a cold "
                    "migration or a resize to another host). Unset: such moves are "
                    "refused and the guest stays."),
    cfg.StrOpt("migration_ssh_known_hosts",
               sample_default="$state_path/migration_known_hosts",
               help="Known hosts file of those SSH logins; a host's key is pinned on "
                    "first use. Default: <state_path>/migration_known_hosts."),
    cfg.StrOpt("live_migration_inbound_addr",
               help="Address the other hosts' QEMU sends a guest's memory and disks to "
                    "when it comes to this host (the management network). Default: the "
                    "address libvirt resolves this host's name to."),
    cfg.IntOpt("live_migration_bandwidth", default=0, min=0,
               help="Highest bandwidth of a live migration in MiB/s; 0: no limit."),
    cfg.IntOpt("live_migration_downtime", default=500, min=100,
               help="Longest pause of the guest, in milliseconds, for the last copy of "
                    "its memory (libvirt's maximum downtime)."),
    cfg.IntOpt("live_migration_completion_timeout", default=800, min=0,
               help="Seconds a live migration may take per GiB of data to copy (the "
                    "guest's RAM, and its disks in a block migration) before the "
                    "timeout action is taken; 0: no timeout."),
    cfg.StrOpt("live_migration_timeout_action", default="abort",
               choices=("abort", "force_complete"),
               help="What the completion timeout does: abort the migration (the guest "
                    "stays at the source) or force it to complete (pause the guest for "
                    "the last copy)."),
]


def register_opts(conf):
    conf.register_opts(libvirt_opts, group="libvirt")


def list_opts():
    return [(GROUP, libvirt_opts)]


def instances_path(conf):
    return conf.libvirt.instances_path or os.path.join(conf.state_path, "instances")


def image_cache_path(conf):
    return conf.libvirt.image_cache_path or os.path.join(conf.state_path, "_base")
