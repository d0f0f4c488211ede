"""The RPC contract's versions: each client is capped by ``[upgrade_levels]``, sends the
version a method came in (or the older form the cap allows), refuses what the cap cannot
carry, and each manager serves the newest version its client knows."""
import threading

import oslo_messaging as messaging
import pytest

from agent import rpcapi as agent_rpcapi
from agent.manager import AgentManager
import conf
from contract import exception, objects
from contract import rpc
from controller.conductor import rpcapi as conductor_rpcapi
from controller.conductor.manager import ConductorManager
from controller.scheduler import rpcapi as scheduler_rpcapi
from controller.scheduler.manager import SchedulerManager
from tests.unit.test_contract_objects import INSTANCE, UUID


@pytest.fixture(autouse=True)
def upgrade_levels():
    """The clients read their caps from the global configuration, as the services do."""
    conf.register(rpc.CONF, ["DEFAULT", "upgrade_levels"])


@pytest.fixture
def bus(monkeypatch):
    """A private in-memory bus: ``serve(topic, server, endpoint)`` starts a server."""
    # oslo.messaging's own fake driver: its exchanges belong to this transport alone.
    transport = messaging.get_rpc_transport(rpc.CONF, url="fake://")
    monkeypatch.setattr(rpc, "get_transport", lambda url=None: transport)
    servers = []

    def serve(topic, server, endpoint):
        rpc_server = rpc.get_server(topic, server, [endpoint], transport=transport)
        rpc_server.start()
        servers.append(rpc_server)

    yield serve
    for rpc_server in servers:
        rpc_server.stop()
        rpc_server.wait()
    transport.cleanup()


class Conductor12:
    """A conductor of the release before objects: instances as dicts."""
    target = messaging.Target(version="1.2")

    def __init__(self):
        self.faults = []

    def instance_get(self, ctxt, instance_uuid):
        return dict(INSTANCE)

    def instance_fault_create(self, ctxt, instance_uuid, host, fault):
        self.faults.append(fault)


class Conductor13(Conductor12):
    target = messaging.Target(version="1.3")

    def __init__(self):
        super().__init__()
        self.asked = []

    def instance_get(self, ctxt, instance_uuid, object_versions=None):
        self.asked.append(object_versions)
        return objects.backport(objects.Instance.from_dict(INSTANCE), object_versions)


class Agent12:
    target = messaging.Target(version="1.2")

    def __init__(self):
        self.received = []
        self.arrived = threading.Event()

    def _record(self, name, **kwargs):
        self.received.append((name, kwargs))
        self.arrived.set()

    def attach_volume(self, ctxt, instance_uuid, volume_id):
        self._record("attach_volume", instance_uuid=instance_uuid, volume_id=volume_id)

    def pause_instance(self, ctxt, instance_uuid):
        self._record("pause_instance", instance_uuid=instance_uuid)


def ctxt():
    return rpc.RequestContext(overwrite=False)


def test_managers_serve_the_newest_version_their_clients_send():
    assert AgentManager.target.version == agent_rpcapi.LATEST_VERSION
    assert ConductorManager.target.version == conductor_rpcapi.LATEST_VERSION
    assert SchedulerManager.target.version == scheduler_rpcapi.LATEST_VERSION


def test_the_conductor_answers_objects_in_the_callers_versions(bus):
    conductor = Conductor13()
    bus(rpc.CONDUCTOR_TOPIC, "c1", conductor)
    instance = conductor_rpcapi.ConductorAPI(timeout=10).instance_get(ctxt(), UUID)
    assert isinstance(instance, objects.Instance) and instance["uuid"] == UUID
    assert conductor.asked == [objects.versions()]


def test_capped_below_objects_the_agent_reads_an_older_conductors_dicts(bus):
    bus(rpc.CONDUCTOR_TOPIC, "c1", Conductor12())
    capped = conductor_rpcapi.ConductorAPI(timeout=10, version_cap="1.2")
    instance = capped.instance_get(ctxt(), UUID)
    assert not isinstance(instance, objects.Instance) and instance["uuid"] == UUID


def test_uncapped_the_newer_call_is_refused_by_an_older_conductor(bus):
    bus(rpc.CONDUCTOR_TOPIC, "c1", Conductor12())
    with pytest.raises(Exception, match="does not support RPC version 1.3"):
        conductor_rpcapi.ConductorAPI(timeout=10).instance_get(ctxt(), UUID)


def test_a_conductor_capped_below_faults_gets_none(bus):
    conductor = Conductor12()
    bus(rpc.CONDUCTOR_TOPIC, "c1", conductor)
    fault = {"code": 500, "message": "boom"}
    conductor_rpcapi.ConductorAPI(timeout=10, version_cap="1.1").instance_fault_create(
        ctxt(), UUID, "host-a", fault)
    assert conductor.faults == []
    conductor_rpcapi.ConductorAPI(timeout=10, version_cap="1.2").instance_fault_create(
        ctxt(), UUID, "host-a", fault)
    assert conductor.faults == [fault]


def test_a_capped_agent_client_refuses_the_methods_the_cap_cannot_carry(bus):
    agent = Agent12()
    bus(rpc.AGENT_TOPIC, "host-a", agent)
    capped = agent_rpcapi.AgentAPI(version_cap="1.1")
    with pytest.raises(messaging.RPCVersionCapError):
        capped.pause_instance(ctxt(), "host-a", UUID)
    capped.attach_volume(ctxt(), "host-a", UUID, "vol-1")
    assert agent.arrived.wait(10)
    assert agent.received == [("attach_volume", {"instance_uuid": UUID,
                                                 "volume_id": "vol-1"})]


def test_servers_move_only_with_agents_and_a_conductor_that_know_how():
    agent_rpcapi.AgentAPI(version_cap="1.3").check_can_send("resize_instance")
    with pytest.raises(exception.AgentTooOld):
        agent_rpcapi.AgentAPI(version_cap="1.2").check_can_send("resize_instance")
    with pytest.raises(messaging.RPCVersionCapError):
        agent_rpcapi.AgentAPI(version_cap="1.2").confirm_resize(ctxt(), "host-a", UUID,
                                                                UUID)
    conductor_rpcapi.ConductorAPI(version_cap="1.4").check_can_send("migrate_server")
    with pytest.raises(exception.ConductorTooOld) as caught:
        conductor_rpcapi.ConductorAPI(version_cap="1.3").check_can_send("migrate_server")
    assert caught.value.code == 409


def test_live_migration_needs_agents_and_a_conductor_of_1_5():
    with pytest.raises(exception.AgentTooOld):
        agent_rpcapi.AgentAPI(version_cap="1.4").check_can_send("live_migration")
    agent_rpcapi.AgentAPI(version_cap="1.5").check_can_send("live_migration")
    with pytest.raises(exception.ConductorTooOld):
        conductor_rpcapi.ConductorAPI(version_cap="1.4").check_can_send(
            "live_migrate_server")
    conductor_rpcapi.ConductorAPI(version_cap="1.5").check_can_send("live_migrate_server")
    with pytest.raises(messaging.RPCVersionCapError):
        agent_rpcapi.AgentAPI(version_cap="1.4").live_migration_abort(ctxt(), "host-a",
                                                                      UUID, UUID)


def test_the_cap_comes_from_upgrade_levels():
    rpc.CONF.set_override("agent", "1.1", group="upgrade_levels")
    try:
        assert agent_rpcapi.AgentAPI().version_cap == "1.1"
    finally:
        rpc.CONF.clear_override("agent", group="upgrade_levels")
    assert agent_rpcapi.AgentAPI().version_cap == agent_rpcapi.LATEST_VERSION


def test_every_agent_method_has_the_version_that_brought_it():
    methods = {name for name in vars(agent_rpcapi.AgentAPI)
               if not name.startswith("_")
               and name not in ("check_can_send", "check_can_move_volumes")}
    assert methods == set(agent_rpcapi.METHOD_VERSIONS)
    assert max(agent_rpcapi.METHOD_VERSIONS.values()) == agent_rpcapi.LATEST_VERSION


NEW_IN_1_2 = {"pause_instance", "unpause_instance", "suspend_instance", "resume_instance",
              "snapshot_instance", "rebuild_instance"}


NEW_IN_1_3 = {name for name, version in agent_rpcapi.METHOD_VERSIONS.items()
              if version == "1.3"}
NEW_IN_1_4 = {"get_console_connect_info"}
NEW_IN_1_5 = {name for name, version in agent_rpcapi.METHOD_VERSIONS.items()
              if version == "1.5"}
NEW_IN_1_6 = {"get_diagnostics", "get_host_uptime", "backup_instance"}
NEW_IN_1_7 = {"abort_queued_live_migration"}


@pytest.mark.parametrize("cap, refused", [
    ("1.0", {"attach_volume", "detach_volume"} | NEW_IN_1_2 | NEW_IN_1_3 | NEW_IN_1_4
     | NEW_IN_1_5 | NEW_IN_1_6 | NEW_IN_1_7),
    ("1.1", NEW_IN_1_2 | NEW_IN_1_3 | NEW_IN_1_4 | NEW_IN_1_5 | NEW_IN_1_6 | NEW_IN_1_7),
    ("1.2", NEW_IN_1_3 | NEW_IN_1_4 | NEW_IN_1_5 | NEW_IN_1_6 | NEW_IN_1_7),
    ("1.3", NEW_IN_1_4 | NEW_IN_1_5 | NEW_IN_1_6 | NEW_IN_1_7),
    ("1.4", NEW_IN_1_5 | NEW_IN_1_6 | NEW_IN_1_7),
    ("1.5", NEW_IN_1_6 | NEW_IN_1_7),
    ("1.6", NEW_IN_1_7),
    ("1.7", set()),
    (None, set()),
])
def test_check_can_send_refuses_exactly_what_the_cap_cannot_carry(cap, refused):
    agents = agent_rpcapi.AgentAPI(version_cap=cap)
    for method, version in agent_rpcapi.METHOD_VERSIONS.items():
        if method in refused:
            with pytest.raises(exception.AgentTooOld) as caught:
                agents.check_can_send(method)
            assert caught.value.code == 409
            assert f"needs version {version}" in str(caught.value)
            assert f"at {cap} until every agent is upgraded" in str(caught.value)
        else:
            agents.check_can_send(method)


def test_servers_with_volumes_move_only_with_agents_of_1_7():
    with pytest.raises(exception.AgentTooOld, match="needs version 1.7 .*moving volumes"):
        agent_rpcapi.AgentAPI(version_cap="1.6").check_can_move_volumes()
    agent_rpcapi.AgentAPI(version_cap="1.7").check_can_move_volumes()


def test_what_check_can_send_refuses_the_client_would_refuse_to_send(bus):
    bus(rpc.AGENT_TOPIC, "host-a", Agent12())
    capped = agent_rpcapi.AgentAPI(version_cap="1.1")
    with pytest.raises(exception.AgentTooOld):
        capped.check_can_send("snapshot_instance")
    with pytest.raises(messaging.RPCVersionCapError):
        capped.snapshot_instance(ctxt(), "host-a", UUID, "image-1")
