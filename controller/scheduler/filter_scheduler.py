"""The filter scheduler: hosts that pass every enabled filter, weighed, best first, with
a random pick among the best ``host_subset_size``."""
import random

import numpy

from controller.scheduler import driver, filters
from controller.scheduler.weighers import WeighPipeline


class FilterScheduler(driver.Scheduler):
    def __init__(self, conf, db, host_manager):
        super().__init__(conf, db, host_manager)
        self.filters = filters.FilterPipeline(conf.scheduler.enabled_filters)
        self.weighers = WeighPipeline(conf.scheduler.weighers, conf)
        self.host_subset_size = conf.scheduler.host_subset_size

    def rank(self, hosts, spec):
        rows = numpy.flatnonzero(self.filters.passing(hosts, spec))
        if not len(rows):
            return rows
        weights = self.weighers.weigh(hosts, rows, spec)
        order = rows[numpy.argsort(-weights, kind="stable")]
        if self.host_subset_size > 1:
            pick = random.randrange(min(self.host_subset_size, len(order)))
            order = numpy.concatenate((order[pick:pick + 1], numpy.delete(order, pick)))
        return order

    def why_none(self, hosts, spec):
        return filters.explain(hosts, self.filters.eliminations(hosts, spec))
