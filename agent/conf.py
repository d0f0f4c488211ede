"""Options of the compute agent ([agent]) and of the fake virt driver ([fake_driver]).

Nothing here names a database: the agent reaches it only through the conductor.
"""
from oslo_config import cfg

from controller.conf import CONF

agent_opts = [
    cfg.StrOpt("virt_driver", default="fake", choices=["fake", "libvirt"],
               help="Hypervisor driver: 'fake' simulates guests in memory (tests, "
                    "benchmarks, simulations of many hosts)."),
    cfg.IntOpt("report_interval", default=10, min=1,
               help="Seconds between the agent's heartbeats and capacity reports."),
    cfg.StrOpt("availability_zone",
               help="Availability zone of this host. Default: [compute] "
                    "default_availability_zone."),
    cfg.IntOpt("fake_hosts", default=0, min=0,
               help="With the fake driver: run this many simulated hosts in this process, "
                    "named <host>-0 ... <host>-(N-1). 0 runs one host named <host>."),
    cfg.IntOpt("shutdown_timeout", default=60, min=0,
               help="Seconds a guest gets to shut down cleanly on stop before it is "
                    "powered off."),
    cfg.BoolOpt("force_config_drive", default=True,
                help="Give every guest a config drive with its metadata, keys and user "
                     "data, even if the request did not ask for one."),
]

fake_driver_opts = [
    cfg.IntOpt("vcpus", default=16, min=1, help="vCPUs of each simulated host."),
    cfg.IntOpt("memory_mb", default=32768, min=1, help="MiB of RAM of each simulated host."),
    cfg.IntOpt("local_gb", default=1000, min=1, help="GiB of disk of each simulated host."),
    cfg.StrOpt("cpu_arch", default="x86_64", help="CPU architecture the hosts report."),
    cfg.FloatOpt("spawn_seconds", default=0.0, min=0.0,
                 help="How long a simulated spawn takes."),
]

CONF.register_opts(agent_opts, group="agent")
CONF.register_opts(fake_driver_opts, group="fake_driver")


def list_opts():
    return [("agent", agent_opts), ("fake_driver", fake_driver_opts)]
