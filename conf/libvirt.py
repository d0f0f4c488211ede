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
]


def register_opts(conf):
    conf.register_opts(libvirt_opts, group="libvirt")


def list_opts():
    return [(GROUP, libvirt_opts)]


def instances_path(conf):
    return conf.libvirt.instances_path or os.path.join(conf.state_path, "instances")


def image_cache_path(conf):
    return conf.libvirt.image_cache_path or os.path.join(conf.state_path, "_base")
