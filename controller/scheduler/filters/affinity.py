import numpy

from controller.scheduler.filters.base import BaseHostFilter


class ServerGroupAffinityFilter(BaseHostFilter):
    """A member of an ``affinity`` server group goes where its group's members are (any
    host while the group has none)."""

    def filter_mask(self, hosts, spec):
        if spec.group_policy != "affinity" or not spec.group_hosts:
            return hosts.all()
        return numpy.isin(hosts.host, list(spec.group_hosts))
