from controller.scheduler.weighers.base import BaseWeigher


class RAMWeigher(BaseWeigher):
    """Prefers hosts with more free RAM (spread), or less with a negative
    ``ram_weight_multiplier`` (stack)."""

    def multiplier_from(self, conf):
        return conf.scheduler.ram_weight_multiplier

    def raw_values(self, hosts, rows, spec):
        return hosts.free_ram_mb[rows]
