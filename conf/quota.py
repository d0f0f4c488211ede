"""Default compute quotas of a project ([quota])."""
from oslo_config import cfg

GROUP = "quota"

quota_opts = [
    cfg.IntOpt("instances", default=10, min=-1,
               help="Default servers per project (-1: unlimited)."),
    cfg.IntOpt("cores", default=20, min=-1, help="Default vCPUs per project."),
    cfg.IntOpt("ram", default=51200, min=-1, help="Default MiB of RAM per project."),
    cfg.IntOpt("metadata_items", default=128, min=-1,
               help="Default metadata items per server."),
    cfg.IntOpt("key_pairs", default=100, min=-1, help="Default key pairs per user."),
    cfg.IntOpt("server_groups", default=10, min=-1,
               help="Default server groups per project."),
    cfg.IntOpt("server_group_members", default=10, min=-1,
               help="Default servers per server group."),
]


def register_opts(conf):
    conf.register_opts(quota_opts, group="quota")


def list_opts():
    return [(GROUP, quota_opts)]
