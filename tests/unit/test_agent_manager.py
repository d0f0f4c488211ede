"""The agent's manager: each request's steps, as reported to the conductor, and the
ports it creates, wires and deletes."""
import base64
import copy
import itertools

import oslo_messaging as messaging
import pytest

from agent import build, reconcile
from agent.manager import AgentManager
from agent.network.fake import FakeHostNetwork
from agent.virt import fake, power_state
from contract import exception
from contract.clients.network import NetworkApiError
from contract.rpc import RequestContext
from controller.compute import states
from tests.unit.test_agent_fake_driver import instance_dict, make_conf

HOST = "host-a"
USER_TOKEN = "user-token"
SERVICE_TOKEN = "service-token"
NETWORK = "11111111-aaaa-4aaa-8aaa-111111111111"
SUBNET = "22222222-bbbb-4bbb-8bbb-222222222222"


def user_context():
    return RequestContext(auth_token=USER_TOKEN, request_id="req-1", overwrite=False)


class FakeNetworkService:
    """The networking API in memory: one network with one subnet; ``client(token)``
    gives a NetworkClient look-alike that records which token made each change."""

    def __init__(self):
        self.ports = {}
        self.changes = []          # (token, verb, port id)
        self.refuse_next = None    # a NetworkApiError the next create_port raises
        self._ids = itertools.count(1)
        self.on_create = None      # hook(port) after a port is created

    def client(self, token):
        return FakeNetworkClient(self, token)


class FakeNetworkClient:
    def __init__(self, service, token):
        self.service = service
        self.token = token

    def _port(self, port_id):
        if port_id not in self.service.ports:
            raise NetworkApiError(404, "PortNotFound", f"Port {port_id} could not be found.")
        return self.service.ports[port_id]

    def create_port(self, network_id, device_id, device_owner, host=None, **fields):
        if self.service.refuse_next is not None:
            error, self.service.refuse_next = self.service.refuse_next, None
            raise error
        number = next(self.service._ids)
        port = {"id": f"port-{number:04d}-0000-0000", "network_id": network_id,
                "mac_address": f"fa:16:3e:00:00:{number:02x}", "device_id": device_id,
                "device_owner": device_owner, "binding:host_id": host or "",
                "binding:vif_details": {"mtu": 1450},
                "fixed_ips": fields.get("fixed_ips") and [
                    {"subnet_id": SUBNET, **fields["fixed_ips"][0]}]
                or [{"subnet_id": SUBNET, "ip_address": f"10.0.0.{number + 10}"}]}
        self.service.ports[port["id"]] = port
        self.service.changes.append((self.token, "create", port["id"]))
        if self.service.on_create:
            self.service.on_create(port)
        return copy.deepcopy(port)

    def update_port(self, port_id, **fields):
        self._port(port_id).update(fields)
        self.service.changes.append((self.token, "update", port_id))
        return copy.deepcopy(self._port(port_id))

    def show_port(self, port_id):
        return copy.deepcopy(self._port(port_id))

    def list_ports(self, **filters):
        return [copy.deepcopy(port) for port in self.service.ports.values()
                if all(port.get(key) == value for key, value in filters.items())]

    def delete_port(self, port_id):
        self._port(port_id)
        del self.service.ports[port_id]
        self.service.changes.append((self.token, "delete", port_id))

    def show_network(self, network_id):
        return {"id": network_id, "name": "lan"}

    def show_subnet(self, subnet_id):
        return {"id": subnet_id, "cidr": "10.0.0.0/24", "gateway_ip": "10.0.0.1",
                "dns_nameservers": [], "ip_version": 4}


class ServiceCredentials:
    def token(self):
        return SERVICE_TOKEN


class FakeConductor:
    """Records every call; instances live in ``self.instances``."""

    def __init__(self, *instances):
        self.instances = {i["uuid"]: copy.deepcopy(i) for i in instances}
        self.calls = []
        self.events = []
        self.deleted = []
        self.retries = []

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

    def instance_fault_create(self, ctxt, instance_uuid, host, fault):
        self._get(instance_uuid)
        self.calls.append(("fault", instance_uuid, host, fault["message"]))

    def claim_release(self, ctxt, instance_uuid):
        self.calls.append(("claim_release", instance_uuid))

    def build_failed(self, ctxt, instance_uuid, host, fault, retry=True):
        self.calls.append(("build_failed", instance_uuid, host, fault["message"]))
        self.retries.append(retry)

    def instance_destroyed(self, ctxt, instance_uuid, host):
        self.deleted.append(instance_uuid)
        del self.instances[instance_uuid]

    def service_heartbeat(self, ctxt, host, availability_zone=None):
        self.calls.append(("heartbeat", host))

    def report_inventory(self, ctxt, host, resources, availability_zone=None):
        self.calls.append(("inventory", host, resources))


def make_manager(*instances, credentials=True, **conf):
    config = make_conf()
    for key, value in conf.items():
        config.set_override(key, value, group="agent")
    conductor = FakeConductor(*instances)
    hypervisor = fake.FakeDriver(config)
    manager = AgentManager(config, HOST, hypervisor, FakeHostNetwork(), conductor,
                           NETWORKS.client, ServiceCredentials() if credentials else None)
    hypervisor.init_host(HOST)
    hypervisor.register_event_listener(manager.handle_lifecycle_event)
    return manager, conductor, hypervisor


NETWORKS = None


def setup_function():
    global NETWORKS
    NETWORKS = FakeNetworkService()


def on_lan(uuid, **overrides):
    return instance_dict(uuid, HOST, requested_networks=[{"network_id": NETWORK}],
                         **overrides)


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
    assert NETWORKS.changes == [] and instance["network_info"] == []
    assert hypervisor.list_instance_uuids() == ["u1"]


def test_failed_build_cleans_up_and_asks_for_a_retry():
    """The conductor releases the claim with the retry, if the build is still this
    host's: the agent does not (a late failure would free another host's claim)."""
    instance = instance_dict("u2", HOST)
    instance["flavor"]["extra_specs"][fake.FAIL_ON_HOST] = HOST
    manager, conductor, hypervisor = make_manager(instance)
    manager.build_and_run_instance(None, "u2")
    assert hypervisor.list_instance_uuids() == []
    assert ("claim_release", "u2") not in conductor.calls
    assert conductor.calls[-1][:3] == ("build_failed", "u2", HOST)
    assert "Injected failure" in conductor.calls[-1][3]
    assert conductor.events[-1] == ("u2", "compute_build_and_run_instance", "Error", HOST)


@pytest.mark.parametrize("recorded", [True, False])
def test_a_build_whose_last_answer_was_lost_is_kept_if_it_was_recorded(recorded):
    """The broker restarted while the agent reported the build done: the report was
    recorded (or not) and its answer lost. A recorded build keeps its guest and asks
    for nothing; one not recorded is undone and retried as any failure."""
    manager, conductor, hypervisor = make_manager(instance_dict("u7", HOST))
    update = conductor.instance_update

    def answer_lost(ctxt, instance_uuid, updates, **kwargs):
        if updates.get("vm_state") == states.ACTIVE:
            if recorded:
                update(ctxt, instance_uuid, updates, **kwargs)
            raise messaging.MessagingTimeout("Timed out waiting for a reply")
        return update(ctxt, instance_uuid, updates, **kwargs)

    conductor.instance_update = answer_lost
    manager.build_and_run_instance(None, "u7")
    failed = [call for call in conductor.calls if call[0] == "build_failed"]
    if recorded:
        assert conductor.instances["u7"]["vm_state"] == states.ACTIVE
        assert hypervisor.list_instance_uuids() == ["u7"] and failed == []
    else:
        assert conductor.instances["u7"]["vm_state"] == states.BUILDING
        assert hypervisor.list_instance_uuids() == [] and len(failed) == 1


@pytest.mark.parametrize("vm_state, task_state, host, built", [
    (states.ACTIVE, None, HOST, True),
    (states.STOPPED, None, HOST, True),
    (states.BUILDING, states.SPAWNING, HOST, False),
    (states.ERROR, None, HOST, False),
    (states.ACTIVE, states.DELETING, HOST, False),
    (states.ACTIVE, None, "host-b", False),
])
def test_recorded_as_built(vm_state, task_state, host, built):
    instance = {"vm_state": vm_state, "task_state": task_state, "host": host}
    assert build.recorded_as_built(instance, HOST) == built


def test_build_stops_when_the_server_is_deleted_meanwhile():
    manager, conductor, hypervisor = make_manager(on_lan("u3"))

    def delete_during_networking(port):
        conductor.instances["u3"]["task_state"] = states.DELETING

    NETWORKS.on_create = delete_during_networking
    manager.build_and_run_instance(user_context(), "u3")
    assert conductor.instances["u3"]["task_state"] == states.DELETING
    assert not [c for c in conductor.calls if c[0] in ("build_failed", "claim_release")]
    # The build took back the port it had made; the delete finds nothing left.
    assert NETWORKS.ports == {} and manager.host_network.plugged_port_ids() == set()
    manager.terminate_instance(user_context(), "u3")
    assert conductor.deleted == ["u3"] and hypervisor.list_instance_uuids() == []


def test_build_for_another_host_is_ignored():
    manager, conductor, hypervisor = make_manager(instance_dict("u4", "host-b"))
    manager.build_and_run_instance(None, "u4")
    assert conductor.calls == [] and hypervisor.list_instance_uuids() == []
    assert conductor.instances["u4"]["task_state"] == states.SCHEDULING


def test_build_creates_wires_and_records_ports_and_delete_removes_them():
    manager, conductor, hypervisor = make_manager(on_lan("u9"))
    manager.build_and_run_instance(user_context(), "u9")
    instance = conductor.instances["u9"]
    assert instance["vm_state"] == states.ACTIVE
    (port,) = NETWORKS.ports.values()
    assert (port["device_id"], port["device_owner"], port["binding:host_id"]) == (
        "u9", "compute:nova", HOST)
    # The user makes the port; the agent's service user binds it (an admin's act).
    assert NETWORKS.changes == [(USER_TOKEN, "create", port["id"]),
                                (SERVICE_TOKEN, "update", port["id"])]
    assert manager.host_network.plugged_port_ids() == {port["id"]}
    (vif,) = instance["network_info"]
    assert vif["id"] == port["id"] and vif["address"] == port["mac_address"]
    assert vif["devname"] == "tap" + port["id"][:11] and not vif["preserve_on_delete"]
    assert vif["network"]["bridge"] == "brq" + NETWORK[:11]
    assert vif["network"]["mtu"] == 1450 and vif["network"]["label"] == "lan"
    assert vif["network"]["subnets"] == [{
        "id": SUBNET, "cidr": "10.0.0.0/24", "gateway": "10.0.0.1", "dns": [],
        "ips": [{"address": port["fixed_ips"][0]["ip_address"], "version": 4}]}]
    assert ("u9", "compute_networking", "Success", HOST) in conductor.events
    assert "addresses: 10.0.0.11" in manager.get_console_output(None, "u9")

    manager.terminate_instance(user_context(), "u9")
    assert conductor.deleted == ["u9"]
    assert NETWORKS.ports == {} and manager.host_network.plugged_port_ids() == set()
    assert NETWORKS.changes[-1] == (USER_TOKEN, "delete", port["id"])


def test_a_port_the_user_brought_is_bound_then_given_back():
    manager, conductor, hypervisor = make_manager()
    brought = NETWORKS.client(USER_TOKEN).create_port(NETWORK, "", "")
    conductor.instances["u10"] = instance_dict("u10", HOST, requested_networks=[
        {"port_id": brought["id"], "network_id": NETWORK}])
    manager.build_and_run_instance(user_context(), "u10")
    assert conductor.instances["u10"]["network_info"][0]["preserve_on_delete"]
    assert NETWORKS.ports[brought["id"]]["binding:host_id"] == HOST
    manager.terminate_instance(user_context(), "u10")
    port = NETWORKS.ports[brought["id"]]
    assert (port["device_id"], port["device_owner"], port["binding:host_id"]) == ("", "", "")
    assert manager.host_network.plugged_port_ids() == set()


def test_failed_spawn_removes_the_ports_before_the_retry():
    instance = on_lan("u11")
    instance["flavor"]["extra_specs"][fake.FAIL_ON_HOST] = HOST
    manager, conductor, hypervisor = make_manager(instance)
    manager.build_and_run_instance(user_context(), "u11")
    assert NETWORKS.ports == {} and manager.host_network.plugged_port_ids() == set()
    assert conductor.calls[-1][:3] == ("build_failed", "u11", HOST)
    assert conductor.retries == [True]


def test_network_refusal_fails_the_build_without_a_retry():
    manager, conductor, hypervisor = make_manager(instance_dict(
        "u12", HOST, requested_networks=[{"network_id": NETWORK}, {"network_id": NETWORK}]))
    # The first port is made, the second refused: the first must not be left behind.

    def refuse_after_first(port):
        NETWORKS.refuse_next = NetworkApiError(
            409, "IpAddressGenerationFailure", "No more IP addresses available.")

    NETWORKS.on_create = refuse_after_first
    manager.build_and_run_instance(user_context(), "u12")
    assert NETWORKS.ports == {} and manager.host_network.plugged_port_ids() == set()
    assert "No more IP addresses available" in conductor.calls[-1][3]
    assert conductor.retries == [False]
    assert ("u12", "compute_networking", "Error", HOST) in conductor.events


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
    assert ("claim_release", "b1") not in conductor.calls   # the conductor's to release
    assert conductor.retries == [True]   # another host, with the conductor's context
    assert not [c for c in conductor.calls if c[0] == "build_failed" and c[1] == "q1"]
    assert hypervisor.list_instance_uuids() == []
    assert ("heartbeat", HOST) in conductor.calls


def test_restart_removes_ports_nobody_recorded_or_kept():
    """What a killed agent leaves: a build's port it had not recorded yet, a port of a
    server deleted meanwhile, a wire without a server; a running server's port stays."""
    user = NETWORKS.client(USER_TOKEN)
    manager, conductor, hypervisor = make_manager()
    running = on_lan("r1")
    conductor.instances["r1"] = running
    manager.build_and_run_instance(user_context(), "r1")
    running_port = conductor.instances["r1"]["network_info"][0]["id"]
    interrupted = on_lan("b2", task_state=states.NETWORKING)
    conductor.instances["b2"] = interrupted
    unrecorded = user.create_port(NETWORK, "b2", "compute:nova", host=HOST)
    manager.host_network.plug(unrecorded, user)
    of_deleted = user.create_port(NETWORK, "gone", "compute:nova", host=HOST)
    manager.host_network.plug(of_deleted, user)
    elsewhere = user.create_port(NETWORK, "gone-too", "compute:nova", host="host-b")

    manager.init_host()
    assert set(NETWORKS.ports) == {running_port, elsewhere["id"]}
    assert manager.host_network.plugged_port_ids() == {running_port}
    assert {(token, verb) for token, verb, port in NETWORKS.changes
            if port in (unrecorded["id"], of_deleted["id"])} == {(SERVICE_TOKEN, "delete"),
                                                                 (USER_TOKEN, "create")}
    assert conductor.instances["r1"]["vm_state"] == states.ACTIVE
    assert hypervisor.list_instance_uuids() == ["r1"]


def test_restart_finishes_a_build_whose_guest_started():
    """Killed between the guest's start and its report: the build is finished, its
    ports stay wired, nothing is rescheduled."""
    manager, conductor, hypervisor = make_manager()
    conductor.instances["s1"] = on_lan("s1")
    manager.build_and_run_instance(user_context(), "s1")
    instance = conductor.instances["s1"]
    port = instance["network_info"][0]["id"]
    config_drive = instance["config_drive"]
    instance.update(vm_state=states.BUILDING, task_state=states.SPAWNING,
                    launched_at=None, config_drive=False)   # as the database has it: ACTIVE never recorded
    manager.host_network.unplug(port)   # the host rebooted: the wires are gone too
    manager.init_host()
    assert (instance["vm_state"], instance["task_state"], instance["power_state"]) == (
        states.ACTIVE, None, power_state.RUNNING)
    assert instance["launched_at"] and instance["config_drive"] == config_drive
    assert hypervisor.list_instance_uuids() == ["s1"]
    assert manager.host_network.plugged_port_ids() == {port} and port in NETWORKS.ports
    assert not [call for call in conductor.calls if call[0] == "build_failed"]


def test_restart_reschedules_a_build_without_its_guest():
    """Killed while wiring the ports (or with a guest that never started): what the
    build made goes, with the service user's token, and the conductor reschedules."""
    user = NETWORKS.client(USER_TOKEN)
    spawning = on_lan("s2", task_state=states.SPAWNING)
    networking = on_lan("n2", task_state=states.NETWORKING)
    manager, conductor, hypervisor = make_manager(spawning, networking)
    for uuid in ("s2", "n2"):
        port = user.create_port(NETWORK, uuid, "compute:nova", host=HOST)
        manager.host_network.plug(port, user)
    conductor.instances["s2"]["network_info"] = [{"id": port["id"]}]
    hypervisor.spawn(None, spawning, {}, [], [], None, None)
    hypervisor.power_off(spawning)               # defined, but not running
    manager.init_host()
    assert NETWORKS.ports == {} and manager.host_network.plugged_port_ids() == set()
    assert hypervisor.list_instance_uuids() == []
    assert sorted(call[1] for call in conductor.calls if call[0] == "build_failed") == [
        "n2", "s2"]
    assert conductor.retries == [True, True]
    assert not [call for call in conductor.calls if call[0] == "claim_release"]


def test_restart_releases_the_ports_of_a_build_rescheduled_meanwhile():
    """The agent was down long enough for the conductor to send its build elsewhere:
    the port it had made here goes; the one the user brought is only unbound."""
    user = NETWORKS.client(USER_TOKEN)
    brought = user.create_port(NETWORK, "m1", "compute:nova", host=HOST)
    moved = instance_dict("m1", "host-b", task_state=states.NETWORKING,
                          requested_networks=[{"network_id": NETWORK},
                                              {"port_id": brought["id"]}])
    manager, conductor, hypervisor = make_manager(moved)
    made = user.create_port(NETWORK, "m1", "compute:nova", host=HOST)
    for port in (brought, made):
        manager.host_network.plug(port, user)
    manager.init_host()
    assert set(NETWORKS.ports) == {brought["id"]}
    assert NETWORKS.ports[brought["id"]]["binding:host_id"] == ""
    assert manager.host_network.plugged_port_ids() == set()
    assert not [call for call in conductor.calls if call[0] == "build_failed"]


def test_without_service_credentials_a_restart_leaves_the_ports_to_the_api():
    deleting = on_lan("d2", vm_state=states.ACTIVE, task_state=states.DELETING)
    manager, conductor, hypervisor = make_manager(deleting, credentials=False)
    port = NETWORKS.client(USER_TOKEN).create_port(NETWORK, "d2", "compute:nova", host=HOST)
    conductor.instances["d2"]["network_info"] = [{"id": port["id"]}]
    manager.host_network.plug(port, None)
    manager.init_host()
    assert conductor.deleted == ["d2"]
    assert manager.host_network.plugged_port_ids() == set()   # the host side goes all the same
    assert port["id"] in NETWORKS.ports


def test_power_state_sync_catches_a_missed_event():
    manager, conductor, hypervisor = make_manager(instance_dict("p1", HOST))
    manager.build_and_run_instance(None, "p1")
    hypervisor.destroy(None, conductor.instances["p1"], [])   # no event: vanished
    manager.sync_power_states()
    instance = conductor.instances["p1"]
    assert (instance["vm_state"], instance["power_state"]) == (states.STOPPED,
                                                               power_state.NOSTATE)
    calls = len(conductor.calls)
    manager.sync_power_states()       # nothing changed since: nothing reported
    assert len(conductor.calls) == calls


def test_periodic_network_refresh_acts_as_the_service_user():
    manager, _, hypervisor = make_manager()
    seen = []
    manager.host_network.refresh = lambda client: seen.append(client.token)
    manager.refresh_networks()
    assert seen == [SERVICE_TOKEN]
    manager_without, _, _ = make_manager(credentials=False)
    manager_without.host_network.refresh = lambda client: seen.append(client.token)
    manager_without.refresh_networks()
    assert seen == [SERVICE_TOKEN]


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
    assert build.config_drive_meta(manager.conf, instance, []) is None
    instance["config_drive"] = True
    meta = build.config_drive_meta(manager.conf, instance, [])
    assert meta["meta_data"]["public_keys"] == {"k": "ssh-ed25519 AAAA x"}
    assert meta["user_data"] == b"#!/bin/sh\necho hi"
    assert meta["meta_data"]["uuid"] == "u8"


def test_an_unchanged_capacity_is_reported_once_a_minute_the_heartbeat_every_time(
        monkeypatch):
    manager, conductor, hypervisor = make_manager()
    clock = [1000.0]
    monkeypatch.setattr(reconcile.time, "monotonic", lambda: clock[0])

    def reported():
        kinds = [call[0] for call in conductor.calls if call[0] in ("heartbeat",
                                                                    "inventory")]
        conductor.calls.clear()
        return kinds

    manager.report()
    assert reported() == ["heartbeat", "inventory"]
    clock[0] += reconcile.INVENTORY_REFRESH_SECONDS - 1
    manager.report()
    assert reported() == ["heartbeat"]
    clock[0] += 2                                  # a minute since the last one
    manager.report()
    assert reported() == ["heartbeat", "inventory"]
    resources = hypervisor.get_available_resource()
    monkeypatch.setattr(hypervisor, "get_available_resource",
                        lambda: dict(resources, vcpus=resources["vcpus"] + 1))
    clock[0] += 1                                  # changed: reported at once
    manager.report()
    assert [c[0] for c in conductor.calls] == ["heartbeat", "inventory"]
    assert conductor.calls[1][2]["vcpus"] == resources["vcpus"] + 1
