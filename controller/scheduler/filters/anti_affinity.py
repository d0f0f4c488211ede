import numpy

from controller.scheduler.filters.base import BaseHostFilter


class ServerGroupAntiAffinityFilter(BaseHostFilter):
    """A member of an ``anti-affinity`` server group goes to a host none of its group's
    members is on."""

    def filter_mask(self, hosts, spec):
        if spec.group_policy != "anti-affinity" or not spec.group_hosts:
            return hosts.all()
        return ~numpy.isin(hosts.host, list(spec.group_hosts))
