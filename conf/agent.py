"""Options of the compute agent ([agent]).

Nothing here names a database: the agent reaches it only through the conductor.
"""
from oslo_config import cfg
from oslo_utils import netutils

GROUP = "agent"

agent_opts = [
    cfg.HostAddressOpt("my_ip", default=netutils.get_my_ipv4(), sample_default="<host_ipv4>",
                       help="This host's address, as the hypervisors API shows it "
                            "(host_ip; Nova's [DEFAULT] my_ip). Default: the address of "
                            "the interface of the default route (found without sending "
                            "anything)."),
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
    cfg.IntOpt("block_device_allocate_timeout", default=180, min=1,
               help="Seconds a build waits for a volume it needs (e.g. the root volume "
                    "being made from the image) to become available."),
    cfg.IntOpt("sync_power_state_interval", default=60, min=1,
               help="Seconds between checks that each server's recorded power state is "
                    "its guest's (a backstop for missed hypervisor events)."),
    cfg.IntOpt("network_refresh_interval", default=60, min=1,
               help="Seconds between catching the networks wired on this host up with "
                    "the network service (VXLAN peers on other hosts, DHCP options). "
                    "Needs [service_credentials]."),
    cfg.FloatOpt("security_group_refresh_interval", default=1.0, min=0.2,
                 help="Seconds between reconciling the security group rules of the "
                      "ports wired here with the network service (a change reaches "
                      "guests within about this, plus the time to read it). Needs "
                      "[service_credentials]."),
    cfg.IntOpt("image_cache_manager_interval", default=2400, min=1,
               help="Seconds between removals of cached images that no guest here uses."),
    cfg.IntOpt("live_migration_prepare_timeout", default=300, min=1,
               help="Seconds the source of a live migration waits for the destination "
                    "to get ready (its ports wired, the base image fetched, the disks "
                    "made) and to take the guest over afterwards."),
]


def register_opts(conf):
    conf.register_opts(agent_opts, group="agent")


def list_opts():
    return [(GROUP, agent_opts)]
