from controller.scheduler.filters.base import BaseHostFilter


class AvailabilityZoneFilter(BaseHostFilter):
    """Only hosts in the availability zone the server asked for, if it asked."""

    def filter_mask(self, hosts, spec):
        if not spec.availability_zone:
            return hosts.all()
        return hosts.availability_zone == spec.availability_zone
