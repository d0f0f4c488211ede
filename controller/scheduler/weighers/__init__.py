"""Host weighers, one class per module, and their combination as Nova does it: each
weigher's values are normalised over the hosts that passed the filters, then multiplied
and summed."""
import numpy

from controller.scheduler.filters import load_class
from controller.scheduler.weighers.cpu import CPUWeigher
from controller.scheduler.weighers.ram import RAMWeigher

BUILTIN = {cls.__name__: cls for cls in (RAMWeigher, CPUWeigher)}


def normalize(values):
    """Scale to 0..1 between the smallest and the largest value; all equal → all 0."""
    values = numpy.asarray(values, dtype=float)
    if not len(values):
        return values
    low, high = values.min(), values.max()
    if high == low:
        return numpy.zeros_like(values)
    return (values - low) / (high - low)


class WeighPipeline:
    def __init__(self, names, conf):
        self.weighers = [load_class(name, BUILTIN)(conf) for name in names]

    def weigh(self, hosts, rows, spec):
        """The total weight of each host in ``rows``: higher is better."""
        total = numpy.zeros(len(rows))
        for weigher in self.weighers:
            if weigher.multiplier:
                total += weigher.multiplier * normalize(weigher.raw_values(hosts, rows, spec))
        return total
