"""The drivers' ranking and NoValidHost explanations, and the request_spec contract,
without a database (select_destinations itself is covered by the functional tests)."""
import collections
import datetime
import logging

import numpy
import pytest
from oslo_config import cfg

from conf import compute as compute_conf, scheduler as scheduler_conf
from controller.scheduler import (InvalidRequestSpec, NoValidHost, capacity,
                                  placement)
from controller.scheduler.chance import ChanceScheduler
from controller.scheduler.filter_scheduler import FilterScheduler
from controller.scheduler.host_state import HostState, HostTable
from controller.scheduler.request_spec import RequestSpec


def make_conf(**overrides):
    conf = cfg.ConfigOpts()
    conf.register_opts(scheduler_conf.scheduler_opts, group="scheduler")
    conf.register_opts(compute_conf.compute_opts, group="compute")
    conf([], default_config_files=[])
    for name, value in overrides.items():
        conf.set_override(name, value, group="scheduler")
    return conf


def host(name, memory_mb=8192, vcpus=8, **fields):
    return HostState(host=name, memory_mb=memory_mb, vcpus=vcpus, local_gb=100,
                     reserved_host_memory_mb=0, ram_allocation_ratio=1.0,
                     cpu_allocation_ratio=1.0, **fields)


def spec(memory_mb=1024, vcpus=1, **fields):
    return RequestSpec.from_dict(
        {"flavor": {"vcpus": vcpus, "memory_mb": memory_mb, "root_gb": 10}, **fields})


def names(hosts, rows):
    return [str(hosts.host[r]) for r in rows]


def filter_scheduler(**overrides):
    return FilterScheduler(make_conf(**overrides), db=None, host_manager=None)


def test_filter_scheduler_spreads_by_default():
    hosts = HostTable.from_states([host("a", 2048), host("b", 8192), host("c", 4096)])
    assert names(hosts, filter_scheduler().rank(hosts, spec())) == ["b", "c", "a"]


def test_filter_scheduler_stacks_with_negative_multipliers():
    hosts = HostTable.from_states([host("a", 2048), host("b", 8192), host("c", 4096)])
    stacker = filter_scheduler(ram_weight_multiplier=-1.0, cpu_weight_multiplier=-1.0)
    assert names(hosts, stacker.rank(hosts, spec())) == ["a", "c", "b"]


def test_filter_scheduler_ranks_only_hosts_that_pass():
    hosts = HostTable.from_states([host("a", 512), host("b", service_up=False),
                                   host("c")])
    assert names(hosts, filter_scheduler().rank(hosts, spec())) == ["c"]


def test_consuming_a_host_moves_the_next_decision():
    hosts = HostTable.from_states([host("a", 8192), host("b", 7168)])
    scheduler = filter_scheduler(cpu_weight_multiplier=0.0)
    request = spec(memory_mb=2048)
    first = scheduler.rank(hosts, request)[0]
    hosts.consume(first, request.resources)
    assert names(hosts, [first, scheduler.rank(hosts, request)[0]]) == ["a", "b"]
    assert hosts.free_ram_mb.tolist() == [6144, 7168]


def test_host_subset_size_picks_at_random_among_the_best():
    hosts = HostTable.from_states([host(f"h{i}", 1024 * (i + 1)) for i in range(6)])
    scheduler = filter_scheduler(host_subset_size=3)
    picks = collections.Counter(names(hosts, [scheduler.rank(hosts, spec())[0]])[0]
                                for _ in range(200))
    assert set(picks) == {"h5", "h4", "h3"}
    order = names(hosts, scheduler.rank(hosts, spec()))
    assert sorted(order) == sorted(f"h{i}" for i in range(6))


def test_no_valid_host_message_counts_eliminations_per_filter(caplog):
    hosts = HostTable.from_states([host("down", service_up=False), host("full", 512),
                                   host("tiny", 256)])
    caplog.set_level(logging.INFO, logger="controller.scheduler.filters")
    error = NoValidHost(filter_scheduler().why_none(hosts, spec()))
    assert str(error) == ("No valid host was found. There are not enough hosts "
                          "available. 3 hosts: ComputeFilter eliminated 1, "
                          "RamFilter eliminated 2")
    assert "RamFilter eliminated 2 host(s): full, tiny" in caplog.text


def test_no_valid_host_log_truncates_long_host_lists(caplog):
    hosts = HostTable.from_states([host(f"h{i:02d}", 256) for i in range(15)])
    caplog.set_level(logging.INFO, logger="controller.scheduler.filters")
    assert filter_scheduler().why_none(hosts, spec()).endswith(
        "15 hosts: RamFilter eliminated 15")
    assert "h09 and 5 more" in caplog.text
    assert "h10" not in caplog.text


def test_no_valid_host_without_any_host():
    assert str(NoValidHost(filter_scheduler().why_none(HostTable.from_states([]), spec()))
               ) == "No valid host was found. There are no compute hosts."


def test_no_valid_host_is_rebuilt_from_its_message_without_a_second_prefix():
    error = NoValidHost("There are no compute hosts.")
    assert str(NoValidHost(*error.args)) == str(error)


def test_chance_picks_any_live_host_with_room_and_never_an_unfit_one():
    states = [host("down", service_up=False), host("full", 512), host("disabled",
              service_disabled=True), host("a", 2048), host("b", 8192)]
    hosts = HostTable.from_states(states)
    scheduler = ChanceScheduler(make_conf(driver="chance"), db=None, host_manager=None,
                                seed=7)
    firsts = collections.Counter(names(hosts, scheduler.rank(hosts, spec()))[0]
                                 for _ in range(200))
    # Random, not weighed: the small host is picked about as often as the big one.
    assert set(firsts) == {"a", "b"}
    assert min(firsts.values()) > 60
    assert scheduler.why_none(hosts, spec(memory_mb=16384)).endswith(
        "5 hosts: ComputeFilter eliminated 2, RamFilter eliminated 3")


def test_chance_keeps_the_requested_zone_and_skips_tried_hosts():
    hosts = HostTable.from_states([host("a", availability_zone="az1"),
                                   host("b", availability_zone="az2"),
                                   host("c", availability_zone="az1")])
    scheduler = ChanceScheduler(make_conf(driver="chance"), db=None, host_manager=None)
    request = spec(availability_zone="az1", ignore_hosts=["c"])
    assert names(hosts, scheduler.rank(hosts, request)) == ["a"]


def test_request_spec_resources_round_swap_up_to_whole_gib():
    request = RequestSpec.from_dict({"flavor": {"vcpus": 2, "memory_mb": 2048, "root_gb": 20,
                                                "ephemeral_gb": 5, "swap": 512}})
    assert request.resources == {"vcpus": 2, "memory_mb": 2048, "disk_gb": 26}


@pytest.mark.parametrize("request_spec, where", [
    ({}, "request_spec"),
    ({"flavor": {"vcpus": 0, "memory_mb": 1, "root_gb": 1}}, "flavor/vcpus"),
    ({"flavor": {"vcpus": 1, "memory_mb": "big", "root_gb": 1}}, "flavor/memory_mb"),
    ({"flavor": {"vcpus": 1, "memory_mb": 1, "root_gb": 1},
      "instance_group": {"policy": "soft-affinity"}}, "instance_group/policy"),
])
def test_request_spec_rejects_what_breaks_the_contract(request_spec, where):
    with pytest.raises(InvalidRequestSpec, match=f"Invalid request_spec at {where}:"):
        RequestSpec.from_dict(request_spec)


def test_group_hosts_grow_with_each_member_placed():
    request = spec(instance_group={"uuid": "g", "policy": "anti-affinity", "hosts": ["a"]})
    assert request.with_group_member_on("b").group_hosts == {"a", "b"}
    assert spec().with_group_member_on("b").group_hosts == frozenset()


def test_capacity_works_on_numbers_and_arrays_alike():
    node = HostState(host="n", vcpus=2, memory_mb=2048, local_gb=10, vcpus_used=31,
                     cpu_allocation_ratio=16.0, ram_allocation_ratio=1.0,
                     reserved_host_memory_mb=0)
    assert capacity.fits(node, {"vcpus": 1, "memory_mb": 2048, "disk_gb": 10})
    assert not capacity.fits(node, {"vcpus": 2, "memory_mb": 1, "disk_gb": 0})
    assert capacity.enough(numpy.array([1, 5]), numpy.array([9, 9]), 3).tolist() == [
        False, True]


def test_is_up_needs_a_recent_heartbeat_and_no_forced_down():
    Service = collections.namedtuple("Service", "forced_down last_seen_at")
    now = datetime.datetime(2026, 1, 1, 12, 0, 0)
    assert placement.is_up(Service(False, now - datetime.timedelta(seconds=60)), now, 60)
    assert not placement.is_up(Service(False, now - datetime.timedelta(seconds=61)), now, 60)
    assert not placement.is_up(Service(True, now), now, 60)
    assert not placement.is_up(Service(False, None), now, 60)
