from controller.scheduler import capacity
from controller.scheduler.filters.base import BaseHostFilter


class DiskFilter(BaseHostFilter):
    """Only hosts with the flavor's root, ephemeral and swap disk free, counting
    disk_allocation_ratio."""

    def filter_mask(self, hosts, spec):
        return capacity.enough(hosts.free_disk_gb, hosts.local_gb,
                               spec.resources["disk_gb"])
