from controller.scheduler import capacity
from controller.scheduler.filters.base import BaseHostFilter


class CoreFilter(BaseHostFilter):
    """Only hosts with the flavor's vCPUs free, counting cpu_allocation_ratio, and with
    at least that many physical CPUs."""

    def filter_mask(self, hosts, spec):
        return capacity.enough(hosts.free_vcpus, hosts.vcpus, spec.resources["vcpus"])
