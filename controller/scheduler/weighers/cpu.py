from controller.scheduler.weighers.base import BaseWeigher


class CPUWeigher(BaseWeigher):
    """Prefers hosts with more free vCPUs (spread), or fewer with a negative
    ``cpu_weight_multiplier`` (stack)."""

    def multiplier_from(self, conf):
        return conf.scheduler.cpu_weight_multiplier

    def raw_values(self, hosts, rows, spec):
        return hosts.free_vcpus[rows]
