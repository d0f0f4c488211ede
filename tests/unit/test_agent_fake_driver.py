"""The fake hypervisor: capacity from configuration, guests in memory, injected failures."""
import contextlib

import pytest
from oslo_config import cfg

from agent.virt import driver, fake, power_state
from conf import agent as agent_conf, fake_driver as fake_driver_conf
from controller.compute import states


def make_conf(**fake_driver):
    """The agent's options in a private ConfigOpts (tests stay independent)."""
    conf = cfg.ConfigOpts()
    conf.register_opts(agent_conf.agent_opts, group="agent")
    conf.register_opts(fake_driver_conf.fake_driver_opts, group="fake_driver")
    conf([], default_config_files=[])
    for key, value in fake_driver.items():
        conf.set_override(key, value, group="fake_driver")
    conf.set_override("shutdown_timeout", 0, group="agent")
    return conf


def instance_dict(uuid, host, **overrides):
    instance = {
        "uuid": uuid, "name": "vm", "hostname": "vm", "project_id": "p", "user_id": "u",
        "image_ref": "img", "image_meta": {"id": "img", "properties": {}},
        "flavor": {"name": "small", "vcpus": 1, "memory_mb": 64, "root_gb": 1,
                   "ephemeral_gb": 0, "swap": 0, "extra_specs": {}},
        "vm_state": states.BUILDING, "task_state": states.SCHEDULING, "power_state": 0,
        "host": host, "node": host, "availability_zone": "nova", "key_name": None,
        "key_data": None, "user_data": None, "config_drive": False, "metadata": {},
        "requested_networks": [], "network_info": [], "launch_index": 0, "launched_at": None,
        "block_device_mappings": []}
    instance.update(overrides)
    return instance


def no_step(name):
    return contextlib.nullcontext()


@pytest.fixture
def hypervisor():
    fake_driver = fake.FakeDriver(make_conf(vcpus=4, memory_mb=2048, local_gb=50))
    fake_driver.init_host("host-a")
    return fake_driver


def spawn(hypervisor, instance, image_meta=None):
    hypervisor.spawn(None, instance, image_meta or instance["image_meta"], [], [], None,
                     no_step)


def test_reports_configured_capacity(hypervisor):
    assert hypervisor.get_available_resource() == {
        "hypervisor_type": "fake", "hypervisor_hostname": "host-a", "cpu_arch": "x86_64",
        "vcpus": 4, "memory_mb": 2048, "local_gb": 50}


def test_guest_lifecycle(hypervisor):
    instance = instance_dict("u1", "host-a")
    spawn(hypervisor, instance)
    assert hypervisor.list_instance_uuids() == ["u1"]
    assert hypervisor.get_power_state(instance) == power_state.RUNNING
    hypervisor.power_off(instance)
    assert hypervisor.get_power_state(instance) == power_state.SHUTDOWN
    hypervisor.power_on(None, instance, [])
    hypervisor.reboot(None, instance, [], hard=True)
    assert hypervisor.get_power_state(instance) == power_state.RUNNING
    assert "booted on host-a" in hypervisor.get_console_output(instance)
    hypervisor.destroy(None, instance, [])
    hypervisor.destroy(None, instance, [])   # idempotent
    assert hypervisor.list_instance_uuids() == []
    with pytest.raises(driver.InstanceNotOnHost):
        hypervisor.get_power_state(instance)


@pytest.mark.parametrize("where", ["flavor", "image"])
def test_injected_failure_only_on_listed_hosts(hypervisor, where):
    instance = instance_dict("u2", "host-a")
    image_meta = dict(instance["image_meta"], properties={})
    hosts = "host-b, host-a"
    if where == "flavor":
        instance["flavor"]["extra_specs"][fake.FAIL_ON_HOST] = hosts
    else:
        image_meta["properties"][fake.FAIL_ON_HOST] = hosts
    with pytest.raises(driver.VirtError, match="Injected failure"):
        spawn(hypervisor, instance, image_meta)
    assert hypervisor.list_instance_uuids() == []
    other = fake.FakeDriver(make_conf())
    other.init_host("host-c")
    other.spawn(None, instance, image_meta, [], [], None, no_step)
    assert other.list_instance_uuids() == ["u2"]


def test_shutdown_from_inside_is_announced(hypervisor):
    events = []
    hypervisor.register_event_listener(events.append)
    instance = instance_dict("u3", "host-a")
    spawn(hypervisor, instance)
    hypervisor.simulate_shutdown("u3")
    assert events == [driver.LifecycleEvent("u3", power_state.SHUTDOWN)]
    assert hypervisor.get_power_state(instance) == power_state.SHUTDOWN
