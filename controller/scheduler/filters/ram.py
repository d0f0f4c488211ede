from controller.scheduler import capacity
from controller.scheduler.filters.base import BaseHostFilter


class RamFilter(BaseHostFilter):
    """Only hosts with the flavor's RAM free, counting ram_allocation_ratio and the
    memory reserved for the host."""

    def filter_mask(self, hosts, spec):
        return capacity.enough(hosts.free_ram_mb, hosts.memory_mb,
                               spec.resources["memory_mb"])
