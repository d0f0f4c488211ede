"""Options of the scheduler (``[scheduler]``)."""
from oslo_config import cfg

GROUP = "scheduler"

scheduler_opts = [
    cfg.StrOpt("driver", default="filter_scheduler", choices=["filter_scheduler", "chance"],
               help="How a host is chosen: 'filter_scheduler' filters hosts, weighs the "
                    "ones left and picks among the best; 'chance' picks at random among "
                    "live hosts with room for the server."),
    cfg.ListOpt("enabled_filters",
                default=["ForceHostFilter", "IgnoreHostsFilter", "ComputeFilter",
                         "AvailabilityZoneFilter", "RamFilter", "DiskFilter", "CoreFilter",
                         "ImagePropertiesFilter", "ServerGroupAffinityFilter",
                         "ServerGroupAntiAffinityFilter"],
                help="Filters a host must pass, in this order, by class name, or "
                     "'module:Class' for a filter of your own (a subclass of "
                     "controller.scheduler.filters.base.BaseHostFilter)."),
    cfg.ListOpt("weighers", default=["RAMWeigher", "CPUWeigher"],
                help="Weighers that rank the hosts left after filtering, by class name "
                     "or 'module:Class'."),
    cfg.FloatOpt("ram_weight_multiplier", default=1.0,
                 help="Weight of free RAM: positive spreads servers over hosts, "
                      "negative stacks them on the fullest host, 0 ignores RAM."),
    cfg.FloatOpt("cpu_weight_multiplier", default=1.0,
                 help="Weight of free vCPUs: positive spreads, negative stacks."),
    cfg.IntOpt("host_subset_size", default=1, min=1,
               help="Pick at random among this many best-weighed hosts, so that "
                    "concurrent schedulers seldom race for the same host."),
    cfg.IntOpt("max_attempts", default=3, min=1,
               help="Hosts a build may be tried on: the chosen one plus this many minus "
                    "one alternates returned with it."),
    cfg.IntOpt("service_down_time", default=60, min=1,
               help="Seconds after its last heartbeat that a service counts as down; "
                    "a compute host whose agent is down gets no new servers."),
    cfg.FloatOpt("host_state_cache_seconds", default=1.0, min=0.0,
                 help="How long the scheduler may reuse the hosts it loaded from the "
                      "database (0: load them for every decision). Claims are always "
                      "checked against the database, and a decision that finds no host "
                      "or loses a claim on cached data reloads first."),
    cfg.FloatOpt("cpu_allocation_ratio", default=16.0, min=0.0,
                 help="Virtual CPUs per physical CPU a host may hand out."),
    cfg.FloatOpt("ram_allocation_ratio", default=1.5, min=0.0,
                 help="Virtual RAM per physical RAM a host may hand out."),
    cfg.FloatOpt("disk_allocation_ratio", default=1.0, min=0.0,
                 help="Virtual disk per physical disk a host may hand out."),
    cfg.IntOpt("reserved_host_memory_mb", default=512, min=0,
               help="MiB of each host's RAM kept for the host itself."),
]


def register_opts(conf):
    conf.register_opts(scheduler_opts, group="scheduler")


def list_opts():
    return [(GROUP, scheduler_opts)]
