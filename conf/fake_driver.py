"""Options of the fake virt driver's simulated hosts ([fake_driver])."""
from oslo_config import cfg

GROUP = "fake_driver"

fake_driver_opts = [
    cfg.IntOpt("vcpus", default=16, min=1, help="vCPUs of each simulated host."),
    cfg.IntOpt("memory_mb", default=32768, min=1, help="MiB of RAM of each simulated host."),
    cfg.IntOpt("local_gb", default=1000, min=1, help="GiB of disk of each simulated host."),
    cfg.StrOpt("cpu_arch", default="x86_64", help="CPU architecture the hosts report."),
    cfg.FloatOpt("spawn_seconds", default=0.0, min=0.0,
                 help="How long a simulated spawn takes."),
]


def register_opts(conf):
    conf.register_opts(fake_driver_opts, group="fake_driver")


def list_opts():
    return [(GROUP, fake_driver_opts)]
