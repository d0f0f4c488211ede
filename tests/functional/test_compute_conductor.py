"""The conductor against a real database (SQLite file), with the scheduler and the agents
replaced by recorders: reschedules claim alternates first, deleted servers give their
claims back, and builds that stop making progress end in ERROR."""
import datetime
import shutil
import uuid

import oslo_messaging as messaging
import pytest
from oslo_config import cfg
from sqlalchemy import select, update

from conf import CONF, register
from conf import api as api_conf, compute as compute_conf, default as default_conf
from conf import quota as quota_conf, scheduler as scheduler_conf
from contract import exception
from contract.rpc import RequestContext
from controller.api.app import Runtime
from controller.compute import instances, models, states
from controller.conductor.manager import ConductorManager
from controller.db import migration
from controller.db.base import utcnow
from controller.db.engine import Database
from controller.scheduler import AGENT_BINARY, NoValidHost, placement

# placement records a host's capacity with the [scheduler] options of the global CONF, and
# the RPC clients read their caps from its [upgrade_levels].
register(CONF, ["DEFAULT", "scheduler", "upgrade_levels"])

HOSTS = ("h0", "h1", "h2", "h3")
FLAVOR = {"id": "f", "name": "f", "vcpus": 1, "memory_mb": 512, "root_gb": 1,
          "ephemeral_gb": 0, "swap": 0, "extra_specs": {}}
RESOURCES = {"vcpus": 1, "memory_mb": 512, "disk_gb": 1}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("conductor-db") / "template.sqlite"
    migration.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def db(template, tmp_path):
    path = tmp_path / "db.sqlite"
    shutil.copy(template, path)
    database = Database(f"sqlite:///{path}")
    for host in HOSTS:
        placement.service_heartbeat(database, host, AGENT_BINARY, "compute")
        placement.report_inventory(database, host, hypervisor_type="fake",
                                   hypervisor_hostname=host, cpu_arch="x86_64", vcpus=4,
                                   memory_mb=1024, local_gb=10, cpu_allocation_ratio=1.0,
                                   ram_allocation_ratio=1.0, disk_allocation_ratio=1.0,
                                   reserved_host_memory_mb=0)
    yield database
    database.dispose()


@pytest.fixture
def conf():
    options = cfg.ConfigOpts()
    options.register_opts(default_conf.default_opts)
    options.register_opts(api_conf.api_opts, group="api")
    for group, opts in (compute_conf.list_opts() + quota_conf.list_opts()
                        + scheduler_conf.list_opts()):
        options.register_opts(opts, group=group)
    options([], default_config_files=[])
    options.set_override("host", "conductor-1")
    return options


class Scheduler:
    """Answers select_destinations from a script: a list of host lists, or NoValidHost."""

    def __init__(self, db):
        self.db = db
        self.answers = []
        self.requests = []

    def select_destinations(self, ctxt, request_spec, instance_uuids, return_alternates=True,
                            timeout=None):
        self.requests.append(request_spec)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        placement.claim(self.db, answer[0], instance_uuids[0], RESOURCES)
        return [[{"host": h, "nodename": h, "resources": RESOURCES} for h in answer]]


class Agents:
    def __init__(self):
        self.builds = []

    def build_and_run_instance(self, ctxt, host, instance_uuid):
        self.builds.append((host, instance_uuid))


@pytest.fixture
def conductor(db, conf):
    manager = ConductorManager(Runtime(conf=conf, db=db))
    manager.scheduler = Scheduler(db)
    manager.agents = Agents()
    return manager


def add_instance(db, **fields):
    instance_uuid = str(uuid.uuid4())
    values = dict(uuid=instance_uuid, name="vm", hostname="vm", project_id="p",
                  user_id="u", image_ref="i", image_meta={}, flavor_id="f", flavor=FLAVOR,
                  vcpus=1, memory_mb=512, root_gb=1, vm_state=states.BUILDING,
                  task_state=states.SCHEDULING, requested_networks=[],
                  request_spec={"flavor": FLAVOR, "instance_uuid": instance_uuid},
                  retry={}, reservation_id="r-1")
    values.update(fields)
    with db.session() as session:
        session.add(models.Instance(**values))
    return instance_uuid


def load(db, instance_uuid):
    with db.session() as session:
        return session.get(models.Instance, instance_uuid)


def ctxt():
    return RequestContext(request_id="req-test", overwrite=False)


def used_memory(db):
    return {node.host: node.memory_mb_used for node in placement.list_compute_nodes(db)}


def test_build_goes_to_the_claimed_host(db, conductor):
    server = add_instance(db)
    conductor.scheduler.answers = [["h0", "h1", "h2"]]
    conductor.build_instances(ctxt(), [server], {"flavor": FLAVOR})
    assert conductor.agents.builds == [("h0", server)]
    instance = load(db, server)
    assert (instance.host, instance.task_state) == ("h0", states.SCHEDULING)
    assert instance.retry == {"hosts": ["h0"], "alternates": [
        {"host": h, "nodename": h, "resources": RESOURCES} for h in ("h1", "h2")]}
    assert used_memory(db)["h0"] == 512


def test_failed_build_moves_to_the_next_alternate_that_still_fits(db, conductor):
    server = add_instance(db)
    conductor.scheduler.answers = [["h0", "h1", "h2"]]
    conductor.build_instances(ctxt(), [server], {"flavor": FLAVOR})
    # h1 filled up meanwhile: the claim on it fails, h2 is next.
    for n in range(2):
        assert placement.claim(db, "h1", f"other-{n}", RESOURCES)
    placement.release(db, server)           # the agent gives its claim back first
    conductor.build_failed(ctxt(), server, "h0", {"message": "boom"})
    assert conductor.agents.builds[-1] == ("h2", server)
    assert load(db, server).retry["hosts"] == ["h0", "h2"]
    assert used_memory(db) == {"h0": 0, "h1": 1024, "h2": 512, "h3": 0}


def test_reschedule_asks_the_scheduler_once_alternates_run_out(db, conductor):
    server = add_instance(db)
    conductor.scheduler.answers = [["h0"], ["h3"]]
    conductor.build_instances(ctxt(), [server], {"flavor": FLAVOR})
    conductor.build_failed(ctxt(), server, "h0", {"message": "boom"})
    assert conductor.scheduler.requests[-1]["ignore_hosts"] == ["h0"]
    assert conductor.agents.builds[-1] == ("h3", server)


def test_retries_stop_at_max_attempts(db, conductor):
    server = add_instance(db)
    conductor.scheduler.answers = [["h0", "h1", "h2", "h3"]]
    conductor.build_instances(ctxt(), [server], {"flavor": FLAVOR})
    for host in ("h0", "h1", "h2"):
        placement.release(db, server)
        conductor.build_failed(ctxt(), server, host, {"message": f"boom on {host}"})
    instance = load(db, server)
    assert instance.vm_state == states.ERROR and instance.host is None
    assert instance.faults[-1].message.startswith("Exceeded maximum number of retries")
    assert "Last error on h2: boom on h2" in instance.faults[-1].message
    assert [host for host, _ in conductor.agents.builds] == ["h0", "h1", "h2"]
    assert set(used_memory(db).values()) == {0}


def test_no_valid_host_becomes_the_fault(db, conductor):
    server = add_instance(db)
    conductor.scheduler.answers = [NoValidHost("3 hosts: RamFilter eliminated 3")]
    conductor.build_instances(ctxt(), [server], {"flavor": FLAVOR})
    instance = load(db, server)
    assert instance.vm_state == states.ERROR
    assert instance.faults[-1].message == ("No valid host was found. 3 hosts: RamFilter "
                                           "eliminated 3")


def test_server_deleted_while_scheduling_gives_its_claim_back(db, conductor):
    server = add_instance(db)
    with db.session() as session:
        instances.mark_deleted(session, instances.get(session, server))
    conductor.scheduler.answers = [["h0", "h1"]]
    conductor.build_instances(ctxt(), [server], {"flavor": FLAVOR})
    assert conductor.agents.builds == []
    assert set(used_memory(db).values()) == {0}


def test_stuck_builds_are_rescheduled_sent_again_or_failed(db, conductor, conf):
    long_ago = utcnow() - datetime.timedelta(seconds=conf.compute.build_timeout + 1)
    user = RequestContext(auth_token="user-token", request_id="req-user", overwrite=False)
    kept = {instances.BUILD_CONTEXT: user.to_dict()}
    stalled = add_instance(db, host="h0", task_state=states.SPAWNING)
    on_dead_host = add_instance(db, host="h1", task_state=states.NETWORKING,
                                retry=dict(kept, hosts=["h1"]))
    fresh = add_instance(db, host="h2", task_state=states.SPAWNING)
    not_taken = add_instance(db, host="h3", task_state=states.SCHEDULING)
    lost = add_instance(db, retry=kept)            # its message died with a conductor
    for server, host in ((stalled, "h0"), (on_dead_host, "h1"), (fresh, "h2"),
                         (not_taken, "h3")):
        assert placement.claim(db, host, server, RESOURCES)
    with db.session() as session:
        session.execute(update(models.Instance)
                        .where(models.Instance.uuid.in_([stalled, not_taken, lost]))
                        .values(updated_at=long_ago, created_at=long_ago))
    placement.set_service_status(db, "h1", AGENT_BINARY, forced_down=True)
    chosen = {on_dead_host: ["h2"], not_taken: ["h0"], lost: ["h3"]}
    scheduler = conductor.scheduler
    answer = scheduler.select_destinations

    def select_destinations(ctxt, request_spec, instance_uuids, return_alternates=True,
                            timeout=None):
        scheduler.answers = [chosen[instance_uuids[0]]]
        return answer(ctxt, request_spec, instance_uuids, return_alternates)

    scheduler.select_destinations = select_destinations
    done = conductor.check_stuck_builds()
    assert done == {stalled: "fail", on_dead_host: "reschedule", not_taken: "reschedule",
                    lost: "redrive"}
    assert load(db, stalled).faults[-1].message == (
        f"The build made no progress for {conf.compute.build_timeout} seconds.")
    assert load(db, stalled).vm_state == states.ERROR
    # Rescheduled without the host that failed it; sent again from the start.
    sent = dict((server, host) for host, server in conductor.agents.builds)
    assert sent == {on_dead_host: "h2", not_taken: "h0", lost: "h3"}
    ignored = [request.get("ignore_hosts") for request in conductor.scheduler.requests]
    assert sorted(map(tuple, filter(None, ignored))) == [("h1",), ("h3",)]
    for server in (on_dead_host, not_taken, lost):
        instance = load(db, server)
        assert (instance.vm_state, instance.task_state) == (states.BUILDING,
                                                            states.SCHEDULING)
    # The next host builds for the user whose request it was.
    assert load(db, on_dead_host).retry[instances.BUILD_CONTEXT]["auth_token"] == \
        "user-token"
    assert load(db, fresh).vm_state == states.BUILDING
    assert used_memory(db) == {"h0": 512, "h1": 0, "h2": 1024, "h3": 512}
    assert conductor.check_stuck_builds() == {}   # nothing twice


def _stalled(db, server, conf):
    long_ago = utcnow() - datetime.timedelta(seconds=conf.compute.build_timeout + 1)
    with db.session() as session:
        session.execute(update(models.Instance).where(models.Instance.uuid == server)
                        .values(updated_at=long_ago))


def test_a_lost_build_is_sent_again_at_most_max_attempts_times(db, conductor, conf):
    lost = add_instance(db)
    conductor._schedule_and_send = lambda *args, **kwargs: None   # lost every time
    for attempt in range(conf.scheduler.max_attempts + 1):
        _stalled(db, lost, conf)
        expected = "fail" if attempt == conf.scheduler.max_attempts else "redrive"
        assert conductor.check_stuck_builds() == {lost: expected}
    instance = load(db, lost)
    assert instance.vm_state == states.ERROR
    assert instance.faults[-1].message == (
        "The build was lost on its way to a host too many times.")


def test_a_build_sent_again_without_a_host_waits_for_the_next_check(db, conductor, conf):
    """Every agent looks down (their heartbeats were lost with the broker): only the
    last attempt's "no valid host" is the fault."""
    lost = add_instance(db)
    for attempt in range(conf.scheduler.max_attempts):
        _stalled(db, lost, conf)
        conductor.scheduler.answers = [NoValidHost("every host is down")]
        assert conductor.check_stuck_builds() == {lost: "redrive"}
        instance = load(db, lost)
        if attempt < conf.scheduler.max_attempts - 1:
            assert (instance.vm_state, instance.faults) == (states.BUILDING, [])
    assert instance.vm_state == states.ERROR
    assert instance.faults[-1].message == "No valid host was found. every host is down"


def test_a_build_scheduled_twice_is_sent_once_and_keeps_its_claim(db, conductor):
    """The original message and a check's second sending both reach a conductor (the
    first was slow, not lost): the second finds the build sent, and gives the claim
    it moved back to the host that has the build."""
    server = add_instance(db)
    conductor.scheduler.answers = [["h0"], ["h1"]]
    conductor.build_instances(ctxt(), [server], {"flavor": FLAVOR})
    conductor.build_instances(ctxt(), [server], {"flavor": FLAVOR})
    assert conductor.agents.builds == [("h0", server)]
    assert load(db, server).host == "h0"
    assert used_memory(db) == {"h0": 512, "h1": 0, "h2": 0, "h3": 0}


def test_a_build_scheduled_twice_that_ended_meanwhile_keeps_its_claim(db, conductor):
    """The check's second scheduling comes back after the first one's host built the
    server: the claim it moved goes back to that host, not away."""
    server = add_instance(db)
    conductor.scheduler.answers = [["h0"], ["h1"]]
    conductor.build_instances(ctxt(), [server], {"flavor": FLAVOR})
    conductor.instance_update(ctxt(), server, {"vm_state": states.ACTIVE,
                                               "task_state": None}, expected_host="h0")
    conductor.build_instances(ctxt(), [server], {"flavor": FLAVOR})
    assert conductor.agents.builds == [("h0", server)]
    assert used_memory(db) == {"h0": 512, "h1": 0, "h2": 0, "h3": 0}


def test_a_build_scheduled_twice_is_not_failed_by_the_one_that_found_no_host(db,
                                                                              conductor):
    server = add_instance(db)
    conductor.scheduler.answers = [["h0"], NoValidHost("every host is down")]
    conductor.build_instances(ctxt(), [server], {"flavor": FLAVOR})
    conductor.build_instances(ctxt(), [server], {"flavor": FLAVOR})
    instance = load(db, server)
    assert (instance.host, instance.vm_state, instance.faults) == ("h0", states.BUILDING, [])
    assert used_memory(db) == {"h0": 512, "h1": 0, "h2": 0, "h3": 0}


def test_a_report_from_a_host_the_build_left_is_ignored(db, conductor):
    """The conductor releases a failed build's claim; a late report from a host the
    build has left leaves the claim of the host that has it now."""
    server = add_instance(db)
    conductor.scheduler.answers = [["h0", "h1"]]
    conductor.build_instances(ctxt(), [server], {"flavor": FLAVOR})
    conductor.build_failed(ctxt(), server, "h0", {"message": "boom"})
    assert load(db, server).host == "h1"
    assert used_memory(db) == {"h0": 0, "h1": 512, "h2": 0, "h3": 0}
    conductor.build_failed(ctxt(), server, "h0", {"message": "late"})   # again, late
    instance = load(db, server)
    assert (instance.host, instance.vm_state) == ("h1", states.BUILDING)
    assert conductor.agents.builds == [("h0", server), ("h1", server)]
    assert used_memory(db) == {"h0": 0, "h1": 512, "h2": 0, "h3": 0}
    conductor.instance_update(ctxt(), server, {"vm_state": states.ACTIVE,
                                               "task_state": None}, expected_host="h1")
    conductor.build_failed(ctxt(), server, "h1", {"message": "answer lost"})  # ended
    assert load(db, server).vm_state == states.ACTIVE
    assert used_memory(db) == {"h0": 0, "h1": 512, "h2": 0, "h3": 0}


def test_the_check_sends_nothing_more_while_the_bus_does_not_answer(db, conductor, conf):
    """The scheduler's answer was lost (a restarting broker): the other lost builds
    wait for the next check instead of each waiting out its own timeout."""
    lost = [add_instance(db), add_instance(db)]
    for server in lost:
        _stalled(db, server, conf)
    conductor.scheduler.answers = [messaging.MessagingTimeout("answer lost")]
    assert conductor.check_stuck_builds() == {}
    assert len(conductor.scheduler.requests) == 1
    for server in lost:
        _stalled(db, server, conf)
    conductor.scheduler.answers = [["h0"], ["h1"]]
    assert conductor.check_stuck_builds() == {server: "redrive" for server in lost}
    assert sorted(host for host, _ in conductor.agents.builds) == ["h0", "h1"]


def test_agent_updates_are_compare_and_swap(db, conductor):
    server = add_instance(db, host="h0")
    updated = conductor.instance_update(ctxt(), server, {"task_state": states.NETWORKING},
                                        expected_task_state=states.SCHEDULING)
    assert updated["task_state"] == states.NETWORKING
    # An expected answer to the agent, not a server error: oslo.messaging sends the
    # wrapped exception back without logging a traceback.
    with pytest.raises(messaging.ExpectedException) as raised:
        conductor.instance_update(ctxt(), server, {"task_state": states.SPAWNING},
                                  expected_task_state=states.SCHEDULING)
    assert isinstance(raised.value.exc_info[1], exception.UnexpectedTaskState)
    with pytest.raises(ValueError, match="may not update project_id"):
        conductor.instance_update(ctxt(), server, {"project_id": "mine"})
    with db.session() as session:
        assert session.scalar(select(models.Instance.project_id).where(
            models.Instance.uuid == server)) == "p"
