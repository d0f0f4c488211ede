"""The filter scheduler: hosts that pass every enabled filter, weighed, best first, with
a random pick among the best ``host_subset_size``."""
import random

import numpy

from controller.scheduler import driver, filters
from controller.scheduler.weighers import WeighPipeline

# Best-weighed hosts named in a decision's report.
REPORTED_HOSTS = 3


class FilterScheduler(driver.Scheduler):
    def __init__(self, conf, db, host_manager):
        super().__init__(conf, db, host_manager)
        self.filters = filters.FilterPipeline(conf.scheduler.enabled_filters)
        self.weighers = WeighPipeline(conf.scheduler.weighers, conf)
        self.host_subset_size = conf.scheduler.host_subset_size

    def rank(self, hosts, spec, report=None):
        rows = numpy.flatnonzero(self.filters.passing(
            hosts, spec, None if report is None else report.setdefault("filters", [])))
        if not len(rows):
            return rows
        weights = self.weighers.weigh(hosts, rows, spec)
        ranking = numpy.argsort(-weights, kind="stable")
        order = rows[ranking]
        if report is not None:
            report["weighed"] = [(str(hosts.host[rows[i]]), round(float(weights[i]), 3))
                                 for i in ranking[:REPORTED_HOSTS]]
        if self.host_subset_size > 1:
            pick = random.randrange(min(self.host_subset_size, len(order)))
            order = numpy.concatenate((order[pick:pick + 1], numpy.delete(order, pick)))
        return order

    def why_none(self, hosts, spec):
        return filters.explain(hosts, self.filters.eliminations(hosts, spec))
