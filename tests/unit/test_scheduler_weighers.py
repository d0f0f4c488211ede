"""Weighers and their normalisation, on HostStates built in memory."""
import numpy
import pytest
from oslo_config import cfg

from conf import scheduler as scheduler_conf
from controller.scheduler.host_state import HostState, HostTable
from controller.scheduler.request_spec import RequestSpec
from controller.scheduler.weighers import WeighPipeline, normalize

SPEC = RequestSpec.from_dict({"flavor": {"vcpus": 1, "memory_mb": 512, "root_gb": 1}})


def make_conf(**overrides):
    conf = cfg.ConfigOpts()
    conf.register_opts(scheduler_conf.scheduler_opts, group="scheduler")
    conf([], default_config_files=[])
    for name, value in overrides.items():
        conf.set_override(name, value, group="scheduler")
    return conf


def table(*hosts):
    """Hosts as (name, free RAM MiB, free vCPUs) with ratio 1 and nothing reserved."""
    return HostTable.from_states([
        HostState(host=name, memory_mb=ram, vcpus=cpus, local_gb=10,
                  cpu_allocation_ratio=1.0, ram_allocation_ratio=1.0)
        for name, ram, cpus in hosts])


def ranked(pipeline, hosts):
    rows = numpy.arange(len(hosts))
    weights = pipeline.weigh(hosts, rows, SPEC)
    return [str(hosts.host[r]) for r in rows[numpy.argsort(-weights, kind="stable")]]


def test_normalize_scales_between_min_and_max():
    assert normalize([10, 20, 15]).tolist() == [0.0, 1.0, 0.5]
    assert normalize([7, 7]).tolist() == [0.0, 0.0]
    assert normalize([]).tolist() == []


@pytest.mark.parametrize("weigher, option", [("RAMWeigher", "ram_weight_multiplier"),
                                             ("CPUWeigher", "cpu_weight_multiplier")])
def test_positive_multiplier_spreads_negative_stacks(weigher, option):
    hosts = table(("small", 1024, 2), ("big", 4096, 8), ("mid", 2048, 4))
    spread = WeighPipeline([weigher], make_conf(**{option: 1.0}))
    stack = WeighPipeline([weigher], make_conf(**{option: -1.0}))
    assert ranked(spread, hosts) == ["big", "mid", "small"]
    assert ranked(stack, hosts) == ["small", "mid", "big"]


def test_weighers_count_allocation_ratios_and_usage():
    hosts = HostTable.from_states([
        HostState(host="a", memory_mb=4096, vcpus=4, local_gb=1, ram_allocation_ratio=1.0,
                  memory_mb_used=0),
        HostState(host="b", memory_mb=4096, vcpus=4, local_gb=1, ram_allocation_ratio=2.0,
                  memory_mb_used=2048)])
    # a: 4096 free; b: 8192 − 2048 = 6144 free
    assert ranked(WeighPipeline(["RAMWeigher"], make_conf()), hosts) == ["b", "a"]


def test_weights_are_normalised_before_multipliers_combine_them():
    # RAM spans 1000 MiB, vCPUs span 2: raw sums would let RAM decide alone.
    hosts = table(("ram-rich", 3000, 2), ("cpu-rich", 2500, 4), ("poor", 2000, 2))
    pipeline = WeighPipeline(["RAMWeigher", "CPUWeigher"], make_conf())
    weights = pipeline.weigh(hosts, numpy.arange(3), SPEC)
    assert weights.tolist() == [1.0, 1.5, 0.0]
    doubled = WeighPipeline(["RAMWeigher", "CPUWeigher"],
                            make_conf(ram_weight_multiplier=2.0))
    assert doubled.weigh(hosts, numpy.arange(3), SPEC).tolist() == [2.0, 2.0, 0.0]


def test_zero_multiplier_ignores_the_weigher():
    hosts = table(("a", 1000, 8), ("b", 4000, 1))
    pipeline = WeighPipeline(["RAMWeigher", "CPUWeigher"],
                             make_conf(ram_weight_multiplier=0.0))
    assert ranked(pipeline, hosts) == ["a", "b"]


def test_weighing_only_the_rows_given():
    hosts = table(("a", 1000, 1), ("b", 4000, 1), ("c", 2000, 1))
    pipeline = WeighPipeline(["RAMWeigher"], make_conf())
    # Normalised over a and c only: b (filtered out) does not stretch the scale.
    assert pipeline.weigh(hosts, numpy.array([0, 2]), SPEC).tolist() == [0.0, 1.0]
