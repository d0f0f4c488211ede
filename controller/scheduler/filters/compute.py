from controller.scheduler.filters.base import BaseHostFilter


class ComputeFilter(BaseHostFilter):
    """Only hosts whose agent is alive (recent heartbeat, not forced down) and whose
    compute service is enabled."""

    def filter_mask(self, hosts, spec):
        return hosts.service_up & ~hosts.service_disabled
