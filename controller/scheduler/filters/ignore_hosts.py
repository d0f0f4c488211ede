import numpy

from controller.scheduler.filters.base import BaseHostFilter


class IgnoreHostsFilter(BaseHostFilter):
    """Not the hosts a rescheduled build already failed on (``ignore_hosts``)."""

    def filter_mask(self, hosts, spec):
        if not spec.ignore_hosts:
            return hosts.all()
        return ~numpy.isin(hosts.host, list(spec.ignore_hosts))
