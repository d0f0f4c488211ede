"""Server actions beyond stop/start/reboot: the states they move through and refuse,
the lock rule, libvirt's view of paused and suspended guests, and the agent's steps."""
import libvirt
import pytest

from agent.virt import fake, power_state
from agent.virt.driver import LifecycleEvent
from agent.virt.libvirt import power
from controller.compute import snapshots, states
from controller.compute.exception import InstanceInvalidState
from tests.unit import test_agent_manager
from tests.unit.test_agent_fake_driver import instance_dict
from tests.unit.test_agent_manager import (HOST, make_manager, on_lan, task_states,
                                           user_context)


def setup_function():
    test_agent_manager.setup_function()    # a fresh network service for make_manager


@pytest.mark.parametrize("vm_state, task_state, status", [
    (states.PAUSED, None, "PAUSED"),
    (states.PAUSED, states.UNPAUSING, "PAUSED"),
    (states.ACTIVE, states.PAUSING, "ACTIVE"),
    (states.SUSPENDED, None, "SUSPENDED"),
    (states.SUSPENDED, states.RESUMING, "SUSPENDED"),
    (states.ACTIVE, states.IMAGE_SNAPSHOT, "ACTIVE"),
    (states.ACTIVE, states.REBUILDING, "REBUILD"),
    (states.STOPPED, states.REBUILD_SPAWNING, "REBUILD"),
    (states.ERROR, states.REBUILDING, "REBUILD"),
])
def test_status(vm_state, task_state, status):
    assert states.status(vm_state, task_state) == status


def test_status_filter_finds_paused_and_suspended():
    assert states.VM_STATES_BY_STATUS["PAUSED"] == states.PAUSED
    assert states.VM_STATES_BY_STATUS["SUSPENDED"] == states.SUSPENDED


@pytest.mark.parametrize("action, vm_state, new_task_state", [
    ("pause", states.ACTIVE, states.PAUSING),
    ("unpause", states.PAUSED, states.UNPAUSING),
    ("suspend", states.ACTIVE, states.SUSPENDING),
    ("resume", states.SUSPENDED, states.RESUMING),
    ("createImage", states.PAUSED, states.IMAGE_SNAPSHOT),
    ("createImage", states.SUSPENDED, states.IMAGE_SNAPSHOT),
    ("rebuild", states.STOPPED, states.REBUILDING),
    ("rebuild", states.ERROR, states.REBUILDING),
])
def test_allowed(action, vm_state, new_task_state):
    assert states.begin_action(action, vm_state, None) == new_task_state


@pytest.mark.parametrize("action, vm_state, task_state", [
    ("pause", states.PAUSED, None),
    ("pause", states.STOPPED, None),
    ("pause", states.ACTIVE, states.REBOOTING),
    ("unpause", states.ACTIVE, None),
    ("suspend", states.PAUSED, None),
    ("resume", states.PAUSED, None),
    ("resume", states.SUSPENDED, states.DELETING),
    ("createImage", states.ERROR, None),
    ("createImage", states.ACTIVE, states.IMAGE_SNAPSHOT),
    ("rebuild", states.PAUSED, None),
    ("stop", states.PAUSED, None),
])
def test_refused(action, vm_state, task_state):
    with pytest.raises(InstanceInvalidState,
                       match=f"Cannot '{action}' instance u1 while it is in vm_state "
                             f"{vm_state}"):
        states.begin_action(action, vm_state, task_state, "u1")


def test_a_locked_server_refuses_all_but_admins():
    states.check_unlocked("u1", False, False)
    states.check_unlocked("u1", True, True)
    with pytest.raises(InstanceInvalidState, match="Instance u1 is locked"):
        states.check_unlocked("u1", True, False)


def test_libvirt_managed_save_is_suspended_not_shut_down():
    assert power.from_domain_state(libvirt.VIR_DOMAIN_SHUTOFF,
                                   libvirt.VIR_DOMAIN_SHUTOFF_SAVED) == power_state.SUSPENDED
    assert power.from_domain_state(libvirt.VIR_DOMAIN_SHUTOFF,
                                   libvirt.VIR_DOMAIN_SHUTOFF_SHUTDOWN) == power_state.SHUTDOWN
    assert power.from_domain_state(libvirt.VIR_DOMAIN_PAUSED,
                                   libvirt.VIR_DOMAIN_PAUSED_USER) == power_state.PAUSED
    assert power.from_lifecycle_event(libvirt.VIR_DOMAIN_EVENT_STOPPED,
                                      libvirt.VIR_DOMAIN_EVENT_STOPPED_SAVED
                                      ) == power_state.SUSPENDED
    assert power.from_lifecycle_event(libvirt.VIR_DOMAIN_EVENT_STOPPED,
                                      libvirt.VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN
                                      ) == power_state.SHUTDOWN
    assert power.from_lifecycle_event(libvirt.VIR_DOMAIN_EVENT_SUSPENDED,
                                      libvirt.VIR_DOMAIN_EVENT_SUSPENDED_PAUSED
                                      ) == power_state.PAUSED


def built(uuid="a1"):
    manager, conductor, hypervisor = make_manager(instance_dict(uuid, HOST))
    manager.build_and_run_instance(user_context(), uuid)
    conductor.events.clear()
    return manager, conductor, hypervisor


def act(manager, conductor, uuid, task_state, method):
    conductor.instances[uuid]["task_state"] = task_state
    getattr(manager, method)(user_context(), uuid)
    instance = conductor.instances[uuid]
    return instance["vm_state"], instance["task_state"], instance["power_state"]


def test_pause_unpause_suspend_resume():
    manager, conductor, _ = built()
    assert act(manager, conductor, "a1", states.PAUSING, "pause_instance") == (
        states.PAUSED, None, power_state.PAUSED)
    assert act(manager, conductor, "a1", states.UNPAUSING, "unpause_instance") == (
        states.ACTIVE, None, power_state.RUNNING)
    assert act(manager, conductor, "a1", states.SUSPENDING, "suspend_instance") == (
        states.SUSPENDED, None, power_state.SUSPENDED)
    assert act(manager, conductor, "a1", states.RESUMING, "resume_instance") == (
        states.ACTIVE, None, power_state.RUNNING)
    assert [(event, result) for _, event, result, _ in conductor.events] == [
        (f"compute_{name}_instance", result)
        for name in ("pause", "unpause", "suspend", "resume")
        for result in ("start", "Success")]


def test_a_failed_pause_puts_the_task_state_back():
    manager, conductor, hypervisor = built()
    hypervisor.pause(conductor.instances["a1"])     # already paused behind our back
    assert act(manager, conductor, "a1", states.PAUSING, "pause_instance") == (
        states.ACTIVE, None, power_state.RUNNING)
    assert conductor.events[-1][1:3] == ("compute_pause_instance", "Error")


def test_power_sync_and_events_keep_paused_and_suspended_servers():
    manager, conductor, hypervisor = built()
    act(manager, conductor, "a1", states.PAUSING, "pause_instance")
    manager.sync_power_states()
    manager.handle_lifecycle_event(LifecycleEvent("a1", power_state.RUNNING))
    assert conductor.instances["a1"]["vm_state"] == states.PAUSED
    act(manager, conductor, "a1", states.UNPAUSING, "unpause_instance")
    act(manager, conductor, "a1", states.SUSPENDING, "suspend_instance")
    # A late "stopped" event of the save: the guest is suspended, not shut off.
    manager.handle_lifecycle_event(LifecycleEvent("a1", power_state.SHUTDOWN))
    manager.sync_power_states()
    instance = conductor.instances["a1"]
    assert (instance["vm_state"], instance["power_state"]) == (states.SUSPENDED,
                                                               power_state.SUSPENDED)


def test_a_paused_guest_that_vanished_is_shut_off():
    manager, conductor, hypervisor = built()
    act(manager, conductor, "a1", states.PAUSING, "pause_instance")
    hypervisor.destroy(None, conductor.instances["a1"], [])
    manager.sync_power_states()
    assert conductor.instances["a1"]["vm_state"] == states.STOPPED


class FakeImages:
    """The image service as the agent's snapshot uses it."""

    def __init__(self):
        self.uploaded = {}      # image id → (disk format, bytes)
        self.deleted = []

    def upload(self, token, image_id, path, disk_format):
        with open(path, "rb") as data:
            self.uploaded[image_id] = (disk_format, data.read())

    def delete(self, token, image_id):
        self.deleted.append(image_id)


def test_snapshot_uploads_and_keeps_the_state():
    manager, conductor, _ = built()
    manager.image_client = images = FakeImages()
    assert act(manager, conductor, "a1", states.PAUSING, "pause_instance")[0] == states.PAUSED
    conductor.instances["a1"]["task_state"] = states.IMAGE_SNAPSHOT
    manager.snapshot_instance(user_context(), "a1", "img-1")
    instance = conductor.instances["a1"]
    assert (instance["vm_state"], instance["task_state"]) == (states.PAUSED, None)
    disk_format, data = images.uploaded["img-1"]
    assert disk_format == "raw" and data.startswith(b"pocketstack fake snapshot of a1")
    assert task_states(conductor, "a1")[-2:] == [states.IMAGE_UPLOADING, None]
    assert conductor.events[-1][1:3] == ("compute_snapshot_instance", "Success")


def test_a_failed_snapshot_deletes_the_image():
    instance = instance_dict("a2", HOST)
    instance["flavor"]["extra_specs"][fake.FAIL_SNAPSHOT] = "true"
    manager, conductor, _ = make_manager(instance)
    manager.build_and_run_instance(user_context(), "a2")
    manager.image_client = images = FakeImages()
    conductor.instances["a2"]["task_state"] = states.IMAGE_SNAPSHOT
    manager.snapshot_instance(user_context(), "a2", "img-2")
    assert images.deleted == ["img-2"] and images.uploaded == {}
    after = conductor.instances["a2"]
    assert (after["vm_state"], after["task_state"]) == (states.ACTIVE, None)
    assert conductor.events[-1][1:3] == ("compute_snapshot_instance", "Error")
    (fault,) = [call for call in conductor.calls if call[0] == "fault"]
    assert fault[1:3] == ("a2", HOST) and fault[3]


def test_rebuild_keeps_the_ports_and_a_stopped_server_stopped():
    manager, conductor, hypervisor = make_manager(on_lan("a3"))
    manager.build_and_run_instance(user_context(), "a3")
    network_info = conductor.instances["a3"]["network_info"]
    act(manager, conductor, "a3", states.POWERING_OFF, "stop_instance")
    conductor.instances["a3"]["image_meta"] = {"id": "img-new", "properties": {}}
    assert act(manager, conductor, "a3", states.REBUILDING, "rebuild_instance") == (
        states.STOPPED, None, power_state.SHUTDOWN)
    assert task_states(conductor, "a3")[-2:] == [states.REBUILD_SPAWNING, None]
    assert conductor.instances["a3"]["network_info"] == network_info
    assert manager.host_network.plugged_port_ids() == {vif["id"] for vif in network_info}
    assert "addresses: 10.0.0.11" in hypervisor.get_console_output(
        conductor.instances["a3"])


def test_a_failed_rebuild_is_an_error():
    manager, conductor, _ = built()
    conductor.instances["a1"]["image_meta"] = {
        "id": "img-bad", "properties": {fake.FAIL_ON_HOST: "*"}}
    assert act(manager, conductor, "a1", states.REBUILDING, "rebuild_instance")[:2] == (
        states.ERROR, None)
    assert conductor.events[-1][1:3] == ("compute_rebuild_instance", "Error")
    (fault,) = [call for call in conductor.calls if call[0] == "fault"]
    assert fault[1:3] == ("a1", HOST) and fault[3]


class Server:
    """What ``snapshots.image_document`` reads of a server."""

    uuid = "s1"
    project_id = "p1"
    image_ref = "base-img"
    root_gb = 5
    image_meta = {"min_disk": 2, "min_ram": 128, "properties": {
        "hw_disk_bus": "scsi", "img_signature": "sig", "os_glance_importing_to_stores": "",
        "image_type": "image"}}


def test_snapshot_image_document():
    document = snapshots.image_document(Server(), "snap", {"role": "db"}, "u1", "p1")
    assert document == {
        "name": "snap", "hw_disk_bus": "scsi", "role": "db", "image_type": "snapshot",
        "instance_uuid": "s1", "base_image_ref": "base-img", "user_id": "u1",
        "min_disk": 5, "min_ram": 128, "owner": "p1"}
    by_admin = snapshots.image_document(Server(), "snap", None, "admin", "admin-project")
    assert by_admin["owner"] == "p1" and by_admin["visibility"] == "private"
