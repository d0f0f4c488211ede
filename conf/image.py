"""Options of the image service (``[image]``)."""
import os

from oslo_config import cfg

GiB = 1024 ** 3

GROUP = "image"

image_opts = [
    cfg.StrOpt("store_dir",
               help="Directory holding image data, one file per image. Default: "
                    "<state_path>/images. Only one API process may use a directory: "
                    "at start it removes what interrupted uploads left behind."),
    cfg.IntOpt("max_image_size", default=100 * GiB, min=1,
               help="Largest image, in bytes, that may be uploaded or imported."),
    cfg.IntOpt("project_quota_bytes", default=50 * GiB, min=0,
               help="Bytes of image data a project may store (0: unlimited)."),
    cfg.ListOpt("disk_formats",
                default=["raw", "qcow2", "iso", "vmdk", "vhd", "vhdx", "vdi"],
                help="Disk formats images may have. Each one's content is inspected on "
                     "upload, so only formats the inspector knows are accepted."),
    cfg.ListOpt("container_formats", default=["bare", "ovf"],
                help="Container formats images may have."),
    cfg.IntOpt("image_property_quota", default=128, min=0,
               help="Most custom properties one image may have."),
    cfg.IntOpt("image_tag_quota", default=128, min=0,
               help="Most tags one image may have."),
    cfg.IntOpt("image_member_quota", default=128, min=0,
               help="Most projects one image may be shared with."),
    cfg.IntOpt("limit_param_default", default=25, min=1,
               help="Images a list request returns when it names no limit."),
    cfg.IntOpt("api_limit_max", default=1000, min=1,
               help="Most images one list request returns, whatever limit it asks."),
    cfg.ListOpt("import_allowed_schemes", default=["http", "https"],
                help="URI schemes web-download imports may fetch from."),
    cfg.ListOpt("import_allowed_hosts", default=[],
                help="Hosts web-download imports may fetch from (empty: any host)."),
    cfg.ListOpt("import_allowed_ports", default=["80", "443"],
                help="Ports web-download imports may fetch from (empty: any port)."),
    cfg.IntOpt("import_workers", default=2, min=1,
               help="Web-download imports that may run at the same time; more wait."),
    cfg.FloatOpt("import_timeout", default=60.0, min=1.0,
                 help="Seconds a web-download may wait for the remote server to connect "
                      "or send the next bytes."),
]


def register_opts(conf):
    conf.register_opts(image_opts, group="image")


def list_opts():
    return [(GROUP, image_opts)]


def store_dir(conf):
    return conf.image.store_dir or os.path.join(conf.state_path, "images")
