"""The chance scheduler: any live host with room, at random, no weighing."""
import numpy

from controller.scheduler import driver, filters

# Liveness, room and the request's own constraints still apply: chance must not
# overcommit, retry on a host that failed, or leave the zone asked for.
CHANCE_FILTERS = ("ForceHostFilter", "IgnoreHostsFilter", "ComputeFilter",
                  "AvailabilityZoneFilter", "RamFilter", "DiskFilter", "CoreFilter")


class ChanceScheduler(driver.Scheduler):
    def __init__(self, conf, db, host_manager, seed=None):
        super().__init__(conf, db, host_manager)
        self.filters = filters.FilterPipeline(CHANCE_FILTERS)
        self.random = numpy.random.default_rng(seed)

    def rank(self, hosts, spec, report=None):
        passing = self.filters.passing(
            hosts, spec, None if report is None else report.setdefault("filters", []))
        return self.random.permutation(numpy.flatnonzero(passing))

    def why_none(self, hosts, spec):
        return filters.explain(hosts, self.filters.eliminations(hosts, spec))
