"""Host filters, one small class per module, and the pipeline that runs them in order
and can tell which filter eliminated which hosts."""
import dataclasses
import importlib
import logging

from controller.scheduler.filters.affinity import ServerGroupAffinityFilter
from controller.scheduler.filters.anti_affinity import ServerGroupAntiAffinityFilter
from controller.scheduler.filters.availability_zone import AvailabilityZoneFilter
from controller.scheduler.filters.compute import ComputeFilter
from controller.scheduler.filters.core import CoreFilter
from controller.scheduler.filters.disk import DiskFilter
from controller.scheduler.filters.force_host import ForceHostFilter
from controller.scheduler.filters.ignore_hosts import IgnoreHostsFilter
from controller.scheduler.filters.image_properties import ImagePropertiesFilter
from controller.scheduler.filters.ram import RamFilter

LOG = logging.getLogger(__name__)

BUILTIN = {cls.__name__: cls for cls in (
    ComputeFilter, RamFilter, DiskFilter, CoreFilter, AvailabilityZoneFilter,
    ImagePropertiesFilter, ServerGroupAffinityFilter, ServerGroupAntiAffinityFilter,
    IgnoreHostsFilter, ForceHostFilter)}

# Hosts named per filter in the log when no host is left.
LOGGED_HOSTS = 10


def load_class(name, builtin):
    """A built-in class by name, or any class by ``module:Class``."""
    if name in builtin:
        return builtin[name]
    if ":" not in name:
        raise ValueError(f"Unknown scheduler plugin {name!r}; known: {', '.join(builtin)}")
    module, attribute = name.split(":", 1)
    return getattr(importlib.import_module(module), attribute)


@dataclasses.dataclass
class Elimination:
    filter_name: str
    hosts: list


class FilterPipeline:
    """Filters applied in order; a host must pass them all."""

    def __init__(self, names):
        self.filters = [load_class(name, BUILTIN)() for name in names]

    def passing(self, hosts, spec, report=None):
        """Mask of the hosts that pass every filter. With a ``report`` list, appends
        (filter name, hosts still left after it) for the build's trace."""
        mask = hosts.all()
        for host_filter in self.filters:
            mask &= host_filter.filter_mask(hosts, spec)
            if report is not None:
                report.append((host_filter.name, int(mask.sum())))
        return mask

    def eliminations(self, hosts, spec):
        """Per filter, in order, the hosts it removed from those still left."""
        left = hosts.all()
        found = []
        for host_filter in self.filters:
            removed = left & ~host_filter.filter_mask(hosts, spec)
            if removed.any():
                found.append(Elimination(host_filter.name, hosts.host[removed].tolist()))
            left &= ~removed
        return found


def explain(hosts, eliminations):
    """Log which filter removed which hosts and return the one-line summary for the
    NoValidHost message."""
    if not len(hosts):
        return "There are no compute hosts."
    for step in eliminations:
        shown = ", ".join(step.hosts[:LOGGED_HOSTS])
        more = len(step.hosts) - LOGGED_HOSTS
        LOG.info("%s eliminated %d host(s): %s%s", step.filter_name, len(step.hosts),
                 shown, f" and {more} more" if more > 0 else "")
    counts = ", ".join(f"{step.filter_name} eliminated {len(step.hosts)}"
                       for step in eliminations)
    return (f"There are not enough hosts available. {len(hosts)} "
            f"host{'s' if len(hosts) != 1 else ''}: {counts}")
