"""What every host weigher is."""


class BaseWeigher:
    """Ranks hosts by one raw value per host; the pipeline normalises the values of the
    hosts being weighed to 0..1 and multiplies them by ``multiplier`` (positive: more is
    better, negative: less is better)."""

    def __init__(self, conf):
        self.multiplier = self.multiplier_from(conf)

    @property
    def name(self):
        return type(self).__name__

    def multiplier_from(self, conf):
        return 1.0

    def raw_values(self, hosts, rows, spec):
        """One number per host in ``rows`` (indexes into the HostTable ``hosts``)."""
        raise NotImplementedError
