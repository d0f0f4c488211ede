from controller.scheduler.filters.base import BaseHostFilter


class ForceHostFilter(BaseHostFilter):
    """Only the host an administrator forced (``force_host``). Unlike Nova, the other
    filters still apply: a forced host must be up and have room."""

    def filter_mask(self, hosts, spec):
        if not spec.force_host:
            return hosts.all()
        return hosts.host == spec.force_host
