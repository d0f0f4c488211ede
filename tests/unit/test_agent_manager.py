"""The agent's manager: each request's steps, as reported to the conductor."""
import base64
import copy

from agent.manager import AgentManager
from agent.virt import fake, power_state
from controller.compute import exception, states
from tests.unit.test_agent_fake_driver import instance_dict, make_conf

HOST = "host-a"


class FakeConductor:
    """Records every call; instances live in ``self.instances``."""

    def __init__(self, *instances):
        self.instances = {i["uuid"]: copy.deepcopy(i) for i in instances}
        self.calls = []
        self.events = []
        self.deleted = []

    def _get(self, uuid):
        if uuid not in self.instances:
            raise exception.InstanceNotFound(uuid)
        return self.instances[uuid]

    def instance_get(self, ctxt, instance_uuid):
        return copy.deepcopy(self._get(instance_uuid))

    def instance_update(self, ctxt, instance_uuid, updates, expected_task_state=None,
                        expected_host=None):
        instance = self._get(instance_uuid)
        states.check_expected_task_state(instance["task_state"], expected_task_state)
        if expected_host is not None and instance["host"] != expected_host:
            raise exception.UnexpectedTaskState(f"on {instance['host']}")
        instance.update(updates)
        self.calls.append(("update", instance_uuid, dict(updates)))
        return copy.deepcopy(instance)

    def instances_on_host(self, ctxt, host):
        return [copy.deepcopy(i) for i in self.instances.values() if i["host"] == host]

    def action_event_start(self, ctxt, instance_uuid, event, host):
        self.events.append((instance_uuid, event, "start", host))

    def action_event_finish(self, ctxt, instance_uuid, event, host, result, details=None):
        self.events.append((instance_uuid, event, result, host))

    def allocate_networks(self, ctxt, instance_uuid, host):
        self.calls.append(("allocate_networks", instance_uuid, host))
        return []

    def claim_release(self, ctxt, instance_uuid):
        self.calls.append(("claim_release", instance_uuid))

    def build_failed(self, ctxt, instance_uuid, host, fault, retry=True):
        self.calls.append(("build_failed", instance_uuid, host, fault["message"]))

    def instance_destroyed(self, ctxt, instance_uuid, host):
        self.deleted.append(instance_uuid)
        del self.instances[instance_uuid]

    def service_heartbeat(self, ctxt, host, availability_zone=None):
        self.calls.append(("heartbeat", host))

    def report_inventory(self, ctxt, host, resources, availability_zone=None):
        self.calls.append(("inventory", host, resources))


def make_manager(*instances, **conf):
    config = make_conf()
    for key, value in conf.items():
        config.set_override(key, value, group="agent")
    conductor = FakeConductor(*instances)
    hypervisor = fake.FakeDriver(config)
    manager = AgentManager(config, HOST, hypervisor, conductor)
    hypervisor.init_host(HOST)
    hypervisor.register_event_listener(manager.handle_lifecycle_event)
    return manager, conductor, hypervisor


def task_states(conductor, uuid):
    return [updates.get("task_state", "-") for call, u, *rest in conductor.calls
            if call == "update" and u == uuid for updates in rest]


def test_build_reports_each_step_and_ends_active():
    manager, conductor, hypervisor = make_manager(instance_dict("u1", HOST))
    manager.build_and_run_instance(None, "u1")
    instance = conductor.instances["u1"]
    assert instance["vm_state"] == states.ACTIVE and instance["task_state"] is None
    assert instance["power_state"] == power_state.RUNNING and instance["launched_at"]
    assert task_states(conductor, "u1") == [states.NETWORKING, states.BLOCK_DEVICE_MAPPING,
                                            states.SPAWNING, None]
    # The conductor recorded the start when it sent the build here.
    assert conductor.events == [("u1", "compute_build_and_run_instance", "Success", HOST)]
    assert not [c for c in conductor.calls if c[0] == "allocate_networks"]
    assert hypervisor.list_instance_uuids() == ["u1"]


def test_failed_build_cleans_up_releases_the_claim_and_asks_for_a_retry():
    instance = instance_dict("u2", HOST)
    instance["flavor"]["extra_specs"][fake.FAIL_ON_HOST] = HOST
    manager, conductor, hypervisor = make_manager(instance)
    manager.build_and_run_instance(None, "u2")
    assert hypervisor.list_instance_uuids() == []
    assert ("claim_release", "u2") in conductor.calls
    assert conductor.calls[-1][:3] == ("build_failed", "u2", HOST)
    assert "Injected failure" in conductor.calls[-1][3]
    assert conductor.events[-1] == ("u2", "compute_build_and_run_instance", "Error", HOST)


def test_build_stops_when_the_server_is_deleted_meanwhile():
    manager, conductor, hypervisor = make_manager(instance_dict(
        "u3", HOST, requested_networks=[{"network_id": "n1"}]))
    original = conductor.allocate_networks

    def delete_during_networking(ctxt, uuid, host):
        conductor.instances[uuid]["task_state"] = states.DELETING
        return original(ctxt, uuid, host)

    conductor.allocate_networks = delete_during_networking
    manager.build_and_run_instance(None, "u3")
    assert conductor.instances["u3"]["task_state"] == states.DELETING
    assert not [c for c in conductor.calls if c[0] in ("build_failed", "claim_release")]
    manager.terminate_instance(None, "u3")
    assert conductor.deleted == ["u3"] and hypervisor.list_instance_uuids() == []


def test_build_for_another_host_is_ignored():
    manager, conductor, hypervisor = make_manager(instance_dict("u4", "host-b"))
    manager.build_and_run_instance(None, "u4")
    assert conductor.calls == [] and hypervisor.list_instance_uuids() == []
    assert conductor.instances["u4"]["task_state"] == states.SCHEDULING


def test_build_with_networks_asks_for_ports():
    manager, conductor, hypervisor = make_manager(instance_dict(
        "u9", HOST, requested_networks=[{"network_id": "n1"}]))
    manager.build_and_run_instance(None, "u9")
    assert ("allocate_networks", "u9", HOST) in conductor.calls
    assert conductor.instances["u9"]["vm_state"] == states.ACTIVE


def test_stop_start_and_reboot():
    manager, conductor, hypervisor = make_manager(instance_dict("u5", HOST))
    manager.build_and_run_instance(None, "u5")
    instance = conductor.instances["u5"]
    instance["task_state"] = states.POWERING_OFF
    manager.stop_instance(None, "u5")
    assert (instance["vm_state"], instance["task_state"], instance["power_state"]) == (
        states.STOPPED, None, power_state.SHUTDOWN)
    instance["task_state"] = states.POWERING_ON
    manager.start_instance(None, "u5")
    assert (instance["vm_state"], instance["power_state"]) == (states.ACTIVE,
                                                               power_state.RUNNING)
    instance["task_state"] = states.REBOOTING_HARD
    manager.reboot_instance(None, "u5", hard=True)
    assert instance["task_state"] is None
    assert "hard reset" in manager.get_console_output(None, "u5")
    assert [e[1:3] for e in conductor.events[-2:]] == [
        ("compute_reboot_instance", "start"), ("compute_reboot_instance", "Success")]


def test_failed_power_action_puts_the_task_state_back():
    manager, conductor, hypervisor = make_manager(instance_dict(
        "u6", HOST, vm_state=states.ACTIVE, task_state=states.POWERING_OFF))
    manager.stop_instance(None, "u6")   # the guest is not on this hypervisor
    instance = conductor.instances["u6"]
    assert (instance["vm_state"], instance["task_state"]) == (states.ACTIVE, None)
    assert conductor.events[-1][2] == "Error"


def test_init_host_reconciles_with_the_database():
    deleting = instance_dict("d1", HOST, vm_state=states.ACTIVE, task_state=states.DELETING)
    interrupted = instance_dict("b1", HOST, task_state=states.SPAWNING)
    queued = instance_dict("q1", HOST, task_state=states.SCHEDULING)
    manager, conductor, hypervisor = make_manager(deleting, interrupted, queued)
    hypervisor.spawn(None, instance_dict("orphan", HOST), {}, [], [], None, None)
    manager.init_host()
    assert conductor.deleted == ["d1"]
    assert ("build_failed", "b1", HOST,
            "The agent restarted during the build.") in conductor.calls
    assert not [c for c in conductor.calls if c[0] == "build_failed" and c[1] == "q1"]
    assert hypervisor.list_instance_uuids() == []
    assert ("heartbeat", HOST) in conductor.calls


def test_guest_shutting_itself_down_makes_the_server_shutoff():
    manager, conductor, hypervisor = make_manager(instance_dict("u7", HOST))
    manager.build_and_run_instance(None, "u7")
    hypervisor.simulate_shutdown("u7")
    instance = conductor.instances["u7"]
    assert (instance["vm_state"], instance["power_state"]) == (states.STOPPED,
                                                               power_state.SHUTDOWN)


def test_config_drive_carries_keys_and_user_data():
    manager, _, _ = make_manager(force_config_drive=False)
    instance = instance_dict("u8", HOST, key_name="k", key_data="ssh-ed25519 AAAA x",
                             user_data=base64.b64encode(b"#!/bin/sh\necho hi").decode())
    assert manager._config_drive_meta(instance, []) is None
    instance["config_drive"] = True
    meta = manager._config_drive_meta(instance, [])
    assert meta["meta_data"]["public_keys"] == {"k": "ssh-ed25519 AAAA x"}
    assert meta["user_data"] == b"#!/bin/sh\necho hi"
    assert meta["meta_data"]["uuid"] == "u8"
