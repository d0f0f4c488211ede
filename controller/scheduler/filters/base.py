"""What every host filter is."""
from controller.scheduler.host_state import HostTable


class BaseHostFilter:
    """A rule a host must pass to be chosen.

    A filter judges all hosts at once in ``filter_mask`` (numpy columns of a HostTable,
    returning one bool per host) so a decision stays cheap on a thousand hosts;
    ``host_passes`` applies the same rule to one HostState.
    """

    @property
    def name(self):
        return type(self).__name__

    def filter_mask(self, hosts, spec):
        """For each row of ``hosts`` (a HostTable), whether it passes for ``spec``
        (a RequestSpec)."""
        raise NotImplementedError

    def host_passes(self, host_state, spec):
        return bool(self.filter_mask(HostTable.from_states([host_state]), spec)[0])
