"""Each host filter on HostStates built in memory."""
import numpy
import pytest

from controller.scheduler import filters
from controller.scheduler.host_state import HostState, HostTable
from controller.scheduler.request_spec import RequestSpec


def host(name="h1", **fields):
    values = {"vcpus": 8, "memory_mb": 8192, "local_gb": 100,
              "reserved_host_memory_mb": 0, "cpu_allocation_ratio": 1.0,
              "ram_allocation_ratio": 1.0, "disk_allocation_ratio": 1.0}
    values.update(fields)
    return HostState(host=name, **values)


def spec(vcpus=1, memory_mb=512, root_gb=1, **fields):
    flavor = {"vcpus": vcpus, "memory_mb": memory_mb, "root_gb": root_gb}
    flavor.update(fields.pop("flavor", {}))
    return RequestSpec.from_dict({"flavor": flavor, **fields})


def passes(name, host_state, request):
    return filters.BUILTIN[name]().host_passes(host_state, request)


def test_compute_filter_wants_live_enabled_hosts():
    assert passes("ComputeFilter", host(), spec())
    assert not passes("ComputeFilter", host(service_up=False), spec())
    assert not passes("ComputeFilter", host(service_disabled=True), spec())


def test_ram_filter_counts_ratio_reserved_and_usage():
    # 8192 × 1.5 − 512 reserved − 8000 used = 3776 MiB free
    state = host(memory_mb=8192, ram_allocation_ratio=1.5, reserved_host_memory_mb=512,
                 memory_mb_used=8000)
    assert passes("RamFilter", state, spec(memory_mb=3776))
    assert not passes("RamFilter", state, spec(memory_mb=3777))


def test_ram_filter_never_exceeds_physical_memory_for_one_guest():
    state = host(memory_mb=4096, ram_allocation_ratio=10.0)
    assert passes("RamFilter", state, spec(memory_mb=4096))
    assert not passes("RamFilter", state, spec(memory_mb=4097))


def test_core_filter_counts_ratio_and_physical_cpus():
    state = host(vcpus=4, cpu_allocation_ratio=16.0, vcpus_used=60)
    assert passes("CoreFilter", state, spec(vcpus=4))
    assert not passes("CoreFilter", state, spec(vcpus=5))
    assert not passes("CoreFilter", host(vcpus=4, cpu_allocation_ratio=16.0,
                                         vcpus_used=61), spec(vcpus=4))


def test_disk_filter_counts_root_ephemeral_and_swap():
    state = host(local_gb=100, local_gb_used=80)
    assert passes("DiskFilter", state, spec(root_gb=10, flavor={"ephemeral_gb": 9,
                                                                "swap": 1024}))
    # 10 + 9 + ceil(1025 MiB) = 21 GiB > 20 free
    assert not passes("DiskFilter", state, spec(root_gb=10, flavor={"ephemeral_gb": 9,
                                                                    "swap": 1025}))


def test_disk_filter_passes_a_diskless_flavor_on_an_overcommitted_host():
    assert passes("DiskFilter", host(local_gb=10, local_gb_used=20), spec(root_gb=0))


def test_availability_zone_filter():
    state = host(availability_zone="az1")
    assert passes("AvailabilityZoneFilter", state, spec())
    assert passes("AvailabilityZoneFilter", state, spec(availability_zone="az1"))
    assert not passes("AvailabilityZoneFilter", state, spec(availability_zone="az2"))


@pytest.mark.parametrize("properties, ok", [
    ({}, True),
    ({"hw_architecture": "x86_64"}, True),
    ({"hw_architecture": "amd64"}, True),
    ({"architecture": "X86_64"}, True),
    ({"hw_architecture": "aarch64"}, False),
    ({"img_hv_type": "qemu"}, True),
    ({"hypervisor_type": "QEMU"}, True),
    ({"img_hv_type": "xen"}, False),
    ({"hw_architecture": "x86_64", "img_hv_type": "xen"}, False),
])
def test_image_properties_filter(properties, ok):
    state = host(cpu_arch="x86_64", hypervisor_type="QEMU")
    request = spec(image={"id": "i", "properties": properties})
    assert passes("ImagePropertiesFilter", state, request) is ok


def test_affinity_filter_keeps_members_together():
    group = {"uuid": "g", "policy": "affinity", "hosts": ["h2"]}
    assert passes("ServerGroupAffinityFilter", host("h2"), spec(instance_group=group))
    assert not passes("ServerGroupAffinityFilter", host("h1"), spec(instance_group=group))
    empty = {"uuid": "g", "policy": "affinity", "hosts": []}
    assert passes("ServerGroupAffinityFilter", host("h1"), spec(instance_group=empty))
    other = {"uuid": "g", "policy": "anti-affinity", "hosts": ["h2"]}
    assert passes("ServerGroupAffinityFilter", host("h1"), spec(instance_group=other))


def test_anti_affinity_filter_keeps_members_apart():
    group = {"uuid": "g", "policy": "anti-affinity", "hosts": ["h2"]}
    assert not passes("ServerGroupAntiAffinityFilter", host("h2"),
                      spec(instance_group=group))
    assert passes("ServerGroupAntiAffinityFilter", host("h1"), spec(instance_group=group))
    assert passes("ServerGroupAntiAffinityFilter", host("h2"), spec())


def test_ignore_hosts_filter():
    assert not passes("IgnoreHostsFilter", host("h1"), spec(ignore_hosts=["h1"]))
    assert passes("IgnoreHostsFilter", host("h2"), spec(ignore_hosts=["h1"]))
    assert passes("IgnoreHostsFilter", host("h1"), spec())


def test_force_host_filter():
    assert passes("ForceHostFilter", host("h1"), spec(force_host="h1"))
    assert not passes("ForceHostFilter", host("h2"), spec(force_host="h1"))
    assert passes("ForceHostFilter", host("h2"), spec())


def test_masks_over_a_table_agree_with_host_passes():
    states = [host(f"h{i}", memory_mb=1024 * (i + 1), vcpus=i + 1, local_gb=10 * i,
                   service_up=i % 3 != 0, availability_zone="az1" if i % 2 else "az2")
              for i in range(12)]
    request = spec(vcpus=3, memory_mb=4096, root_gb=30, availability_zone="az1",
                   ignore_hosts=["h9"])
    table = HostTable.from_states(states)
    for name, host_filter in ((n, cls()) for n, cls in filters.BUILTIN.items()):
        expected = [host_filter.host_passes(s, request) for s in states]
        assert host_filter.filter_mask(table, request).tolist() == expected, name


def test_pipeline_reports_what_each_filter_removed_in_order():
    states = [host("down", service_up=False, memory_mb=512),
              host("small", memory_mb=512), host("ok")]
    table = HostTable.from_states(states)
    pipeline = filters.FilterPipeline(["ComputeFilter", "RamFilter"])
    request = spec(memory_mb=1024)
    assert numpy.flatnonzero(pipeline.passing(table, request)).tolist() == [2]
    steps = pipeline.eliminations(table, request)
    # "down" is counted once, by the first filter that removed it.
    assert [(s.filter_name, s.hosts) for s in steps] == [
        ("ComputeFilter", ["down"]), ("RamFilter", ["small"])]


def test_filters_load_by_name_or_module_path():
    assert filters.load_class("RamFilter", filters.BUILTIN) is filters.BUILTIN["RamFilter"]
    loaded = filters.load_class("controller.scheduler.filters.ram:RamFilter",
                                filters.BUILTIN)
    assert loaded is filters.BUILTIN["RamFilter"]
    with pytest.raises(ValueError, match="Unknown scheduler plugin 'NoSuchFilter'"):
        filters.FilterPipeline(["NoSuchFilter"])
