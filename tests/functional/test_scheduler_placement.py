"""Placement and scheduling against real databases: a SQLite file, and a PostgreSQL
database of its own (tests/lib/services.py starts the server when it is not running)."""
import concurrent.futures
import datetime
import multiprocessing
import threading
import time
import uuid

import pytest
from oslo_config import cfg
from sqlalchemy import func, select, update

from conf import CONF, register
from conf import compute as compute_conf, scheduler as scheduler_conf
from contract import rpc
from controller.db import migration
from controller.db.engine import Database
from controller.scheduler import (AGENT_BINARY, NoValidHost, ServiceInUse, ServiceNotFound,
                                  placement)
from controller.scheduler.manager import SchedulerManager, make_scheduler
from controller.scheduler.models import Allocation, Service
from controller.scheduler.rpcapi import SchedulerAPI
from tests.lib import services

# placement records a host's capacity with the [scheduler] options of the global CONF.
register(CONF, ["DEFAULT", "scheduler", "upgrade_levels"])

SMALL = {"vcpus": 1, "memory_mb": 1024, "disk_gb": 10}
FLAVOR = {"vcpus": 1, "memory_mb": 1024, "root_gb": 10}


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/scheduler.sqlite"
        migration.upgrade(url)
        yield url
        return
    with services.postgres_database() as url:
        migration.upgrade(url)
        yield url


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    yield database
    database.dispose()


def make_conf(**overrides):
    conf = cfg.ConfigOpts()
    conf.register_opts(scheduler_conf.scheduler_opts, group="scheduler")
    conf.register_opts(compute_conf.compute_opts, group="compute")
    conf([], default_config_files=[])
    for name, value in overrides.items():
        conf.set_override(name, value, group="scheduler")
    return conf


def add_host(db, host, vcpus=16, memory_mb=4096, local_gb=100, **fields):
    """A live compute host with ratio 1 and nothing reserved: room is what it says."""
    placement.service_heartbeat(db, host, AGENT_BINARY, rpc.AGENT_TOPIC)
    return placement.report_inventory(
        db, host, hypervisor_type="fake", hypervisor_hostname=host, cpu_arch="x86_64",
        vcpus=vcpus, memory_mb=memory_mb, local_gb=local_gb, cpu_allocation_ratio=1.0,
        ram_allocation_ratio=1.0, disk_allocation_ratio=1.0, reserved_host_memory_mb=0,
        **fields)


def new_uuids(count):
    return [str(uuid.uuid4()) for _ in range(count)]


def usage(db, host):
    node = placement.get_compute_node(db, host)
    return node.vcpus_used, node.memory_mb_used, node.local_gb_used, node.running_vms


# --- claims -----------------------------------------------------------------------------

def test_concurrent_claims_from_16_threads_fill_exactly_the_room(db):
    add_host(db, "h1", memory_mb=5 * 1024)  # room for exactly 5 SMALL
    consumers = new_uuids(16)
    barrier = threading.Barrier(16)

    def claim(consumer):
        barrier.wait()
        return placement.claim(db, "h1", consumer, SMALL)

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(claim, consumers))
    assert results.count(True) == 5
    assert usage(db, "h1") == (5, 5 * 1024, 50, 5)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Allocation)) == 5


def _claim_in_process(url, consumers, start, results):
    database = Database(url)
    start.wait()
    results.extend([placement.claim(database, "h1", c, SMALL) for c in consumers])
    database.dispose()


def test_two_processes_claiming_at_once_never_overcommit(db, db_url):
    add_host(db, "h1", memory_mb=7 * 1024)  # room for 7 of the 20 asked
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Event()
        results = manager.list()
        workers = [context.Process(target=_claim_in_process,
                                   args=(db_url, new_uuids(10), start, results))
                   for _ in range(2)]
        for worker in workers:
            worker.start()
        start.set()
        for worker in workers:
            worker.join(60)
            assert worker.exitcode == 0
        assert list(results).count(True) == 7
    assert usage(db, "h1") == (7, 7 * 1024, 70, 7)


def test_release_frees_and_is_idempotent(db):
    add_host(db, "h1", memory_mb=1024)
    first, second = new_uuids(2)
    assert placement.claim(db, "h1", first, SMALL)
    assert not placement.claim(db, "h1", second, SMALL)
    assert placement.release(db, first)
    assert not placement.release(db, first)
    assert usage(db, "h1") == (0, 0, 0, 0)
    assert placement.claim(db, "h1", second, SMALL)


def test_claim_is_idempotent_per_instance_and_moves_between_hosts(db):
    add_host(db, "h1")
    add_host(db, "h2")
    consumer = new_uuids(1)[0]
    assert placement.claim(db, "h1", consumer, SMALL)
    assert placement.claim(db, "h1", consumer, SMALL)
    assert usage(db, "h1") == (1, 1024, 10, 1)
    assert placement.claim(db, "h2", consumer, SMALL)
    assert usage(db, "h1") == (0, 0, 0, 0)
    assert usage(db, "h2") == (1, 1024, 10, 1)
    assert placement.get_allocation(db, consumer).host == "h2"


def test_a_failed_move_keeps_the_old_claim(db):
    add_host(db, "h1")
    add_host(db, "small", memory_mb=512)
    consumer = new_uuids(1)[0]
    assert placement.claim(db, "h1", consumer, SMALL)
    assert not placement.claim(db, "small", consumer, SMALL)
    assert not placement.claim(db, "unknown", consumer, SMALL)
    assert placement.get_allocation(db, consumer).host == "h1"
    assert usage(db, "h1") == (1, 1024, 10, 1)


def test_claim_joins_the_callers_transaction(db):
    add_host(db, "h1")
    consumer = new_uuids(1)[0]
    with pytest.raises(RuntimeError):
        with db.session() as session:
            assert placement.claim(session, "h1", consumer, SMALL)
            raise RuntimeError("the caller's transaction fails")
    assert placement.get_allocation(db, consumer) is None
    assert usage(db, "h1") == (0, 0, 0, 0)


# --- inventory and services -------------------------------------------------------------

def test_report_inventory_updates_capacity_keeps_usage_and_bumps_generation(db):
    node = add_host(db, "h1")
    assert placement.claim(db, "h1", new_uuids(1)[0], SMALL)
    updated = add_host(db, "h1", vcpus=8, memory_mb=8192)
    assert updated.generation > node.generation + 1
    assert (updated.vcpus, updated.memory_mb) == (8, 8192)
    assert usage(db, "h1") == (1, 1024, 10, 1)
    defaults = placement.report_inventory(
        db, "h2", hypervisor_type="QEMU", hypervisor_hostname="h2", cpu_arch="x86_64",
        vcpus=2, memory_mb=2048, local_gb=20, availability_zone="az9")
    assert (defaults.cpu_allocation_ratio, defaults.ram_allocation_ratio,
            defaults.reserved_host_memory_mb) == (16.0, 1.5, 512)


def test_services_heartbeat_status_and_delete(db):
    add_host(db, "h1")
    placement.report_inventory(db, "h1", hypervisor_type="fake", hypervisor_hostname="h1",
                               cpu_arch="x86_64", vcpus=1, memory_mb=1024, local_gb=10,
                               availability_zone="az1")
    placement.service_heartbeat(db, "ctl", "nova-scheduler", rpc.SCHEDULER_TOPIC)
    services = placement.list_services(db)
    assert [(s.host, s.binary) for s in services] == [
        ("h1", AGENT_BINARY), ("ctl", "nova-scheduler")]
    assert placement.list_services(db, binary=AGENT_BINARY)[0].availability_zone == "az1"
    assert placement.list_services(db, host="ctl")[0].binary == "nova-scheduler"

    service = placement.set_service_status(db, "h1", AGENT_BINARY, True, reason="repair")
    assert (service.disabled, service.disabled_reason) == (True, "repair")
    service = placement.set_service_status(db, "h1", AGENT_BINARY, forced_down=True)
    assert (service.disabled, service.forced_down) == (True, True)
    service = placement.set_service_status(db, "h1", AGENT_BINARY, False, reason="ignored")
    assert (service.disabled, service.disabled_reason) == (False, None)
    with pytest.raises(ServiceNotFound):
        placement.set_service_status(db, "nowhere", AGENT_BINARY, True)

    consumer = new_uuids(1)[0]
    assert placement.claim(db, "h1", consumer, SMALL)
    with pytest.raises(ServiceInUse):
        placement.delete_service(db, service.id)
    placement.release(db, consumer)
    placement.delete_service(db, service.uuid)
    assert placement.get_compute_node(db, "h1") is None
    with pytest.raises(ServiceNotFound):
        placement.get_service(db, service.id)


# --- scheduling -------------------------------------------------------------------------

def test_stale_heartbeat_takes_a_host_out(db):
    add_host(db, "h1")
    with db.session() as session:
        session.execute(update(Service).where(Service.host == "h1").values(
            last_seen_at=datetime.datetime.utcnow() - datetime.timedelta(seconds=61)))
    scheduler = make_scheduler(make_conf(service_down_time=60), db)
    with pytest.raises(NoValidHost, match="1 host: ComputeFilter eliminated 1"):
        scheduler.select_destinations({"flavor": FLAVOR}, new_uuids(1))
    placement.service_heartbeat(db, "h1", AGENT_BINARY, rpc.AGENT_TOPIC)
    assert scheduler.select_destinations({"flavor": FLAVOR}, new_uuids(1))[0][0]["host"] \
        == "h1"


def test_select_destinations_returns_claimed_host_and_unclaimed_alternates(db):
    for name, memory in (("h1", 2048), ("h2", 8192), ("h3", 4096), ("h4", 3072)):
        add_host(db, name, memory_mb=memory)
    scheduler = make_scheduler(make_conf(cpu_weight_multiplier=0.0), db)
    instance = new_uuids(1)
    [destinations] = scheduler.select_destinations({"flavor": FLAVOR}, instance)
    assert [d["host"] for d in destinations] == ["h2", "h3", "h4"]
    report = destinations[0].pop("report")
    assert destinations[0] == {"host": "h2", "nodename": "h2", "resources": SMALL}
    # The trace's account of the decision: hosts left after each filter, best weights.
    assert report["hosts"] == 4 and report["claim_attempts"] == 1
    assert all(left == 4 for _, left in report["filters"])
    assert [host for host, _ in report["weighed"]] == ["h2", "h3", "h4"]
    assert placement.get_allocation(db, instance[0]).host == "h2"
    assert [usage(db, h)[1] for h in ("h1", "h2", "h3", "h4")] == [0, 1024, 0, 0]
    [only] = scheduler.select_destinations({"flavor": FLAVOR}, new_uuids(1),
                                           return_alternates=False)
    assert len(only) == 1


def test_multi_instance_request_counts_earlier_instances(db):
    add_host(db, "h1", memory_mb=2048)
    add_host(db, "h2", memory_mb=2048)
    scheduler = make_scheduler(make_conf(), db)
    chosen = scheduler.select_destinations({"flavor": FLAVOR}, new_uuids(4))
    assert sorted(d[0]["host"] for d in chosen) == ["h1", "h1", "h2", "h2"]


def test_multi_instance_request_is_all_or_nothing(db):
    add_host(db, "h1", memory_mb=2048)
    scheduler = make_scheduler(make_conf(), db)
    instances = new_uuids(3)
    with pytest.raises(NoValidHost, match="RamFilter eliminated 1"):
        scheduler.select_destinations({"flavor": FLAVOR}, instances)
    assert all(placement.get_allocation(db, i) is None for i in instances)
    assert usage(db, "h1") == (0, 0, 0, 0)


@pytest.mark.parametrize("policy, expected", [("affinity", 1), ("anti-affinity", 3)])
def test_server_group_policy_within_one_request(db, policy, expected):
    for name in ("h1", "h2", "h3"):
        add_host(db, name)
    scheduler = make_scheduler(make_conf(), db)
    request = {"flavor": FLAVOR, "instance_group": {"uuid": "g", "policy": policy,
                                                    "hosts": []}}
    chosen = scheduler.select_destinations(request, new_uuids(3))
    assert len({d[0]["host"] for d in chosen}) == expected


def test_retry_skips_hosts_already_tried(db):
    add_host(db, "h1", memory_mb=8192)
    add_host(db, "h2")
    scheduler = make_scheduler(make_conf(), db)
    [destinations] = scheduler.select_destinations(
        {"flavor": FLAVOR, "ignore_hosts": ["h1"]}, new_uuids(1))
    assert [d["host"] for d in destinations] == ["h2"]


def test_cached_hosts_never_cause_a_wrong_answer(db):
    add_host(db, "h1", memory_mb=2048)
    scheduler = make_scheduler(make_conf(host_state_cache_seconds=3600), db)
    assert scheduler.select_destinations({"flavor": FLAVOR}, new_uuids(1))
    # Behind the cache's back another scheduler takes h1's last room (the cached claim
    # loses: reload) and a host appears (found on reload).
    assert placement.claim(db, "h1", new_uuids(1)[0], SMALL)
    add_host(db, "h2", memory_mb=1024)
    [destinations] = scheduler.select_destinations({"flavor": FLAVOR}, new_uuids(1))
    assert [d["host"] for d in destinations] == ["h2"]
    # Now the cache knows every host is full; a host added later is still found.
    add_host(db, "h3", memory_mb=1024)
    [destinations] = scheduler.select_destinations({"flavor": FLAVOR}, new_uuids(1))
    assert destinations[0]["host"] == "h3"
    with pytest.raises(NoValidHost, match="3 hosts: RamFilter eliminated 3"):
        scheduler.select_destinations({"flavor": FLAVOR}, new_uuids(1))


def test_scheduler_manager_beats_in_the_services_table(db):
    conf = make_conf()
    conf.register_opts([cfg.StrOpt("host", default="ctl-1")])
    manager = SchedulerManager(type("Runtime", (), {"conf": conf, "db": db}))
    manager.start()
    try:
        for _ in range(100):
            if placement.list_services(db, binary="nova-scheduler"):
                break
            time.sleep(0.05)
    finally:
        manager.stop()
    [service] = placement.list_services(db, binary="nova-scheduler")
    assert (service.host, service.topic) == ("ctl-1", rpc.SCHEDULER_TOPIC)


def test_chance_driver_does_not_overcommit(db):
    for name in ("h1", "h2"):
        add_host(db, name, memory_mb=3 * 1024)
    scheduler = make_scheduler(make_conf(driver="chance"), db)
    chosen = scheduler.select_destinations({"flavor": FLAVOR}, new_uuids(6))
    assert sorted(d[0]["host"] for d in chosen) == ["h1"] * 3 + ["h2"] * 3
    with pytest.raises(NoValidHost):
        scheduler.select_destinations({"flavor": FLAVOR}, new_uuids(1))


def test_select_destinations_over_rpc(db):
    add_host(db, "h1", memory_mb=1024)
    manager = SchedulerManager(type("Runtime", (), {"conf": make_conf(), "db": db}))
    server = rpc.get_server(rpc.SCHEDULER_TOPIC, f"sched-{uuid.uuid4().hex}", [manager])
    server.start()
    try:
        api = SchedulerAPI(timeout=30)
        context = rpc.RequestContext()
        [destinations] = api.select_destinations(context, {"flavor": FLAVOR},
                                                 new_uuids(1))
        assert destinations[0]["host"] == "h1"
        with pytest.raises(NoValidHost) as error:
            api.select_destinations(context, {"flavor": FLAVOR}, new_uuids(1))
        assert error.value.args[0].startswith("No valid host was found. ")
    finally:
        server.stop()
        server.wait()


def test_a_claim_handed_to_a_migration_and_back_keeps_the_usage(db):
    add_host(db, "h1")
    instance, migration = new_uuids(2)
    assert placement.claim(db, "h1", instance, SMALL)
    assert placement.move_allocation(db, instance, migration)
    assert placement.get_allocation(db, instance) is None
    assert placement.get_allocation(db, migration).host == "h1"
    assert usage(db, "h1") == (1, 1024, 10, 1)
    # The server claims again (its new flavor) while the migration holds the old one.
    assert placement.claim(db, "h1", instance, SMALL)
    assert usage(db, "h1") == (2, 2048, 20, 2)
    assert placement.release(db, instance)
    assert placement.move_allocation(db, migration, instance)
    assert not placement.move_allocation(db, migration, instance)
    assert usage(db, "h1") == (1, 1024, 10, 1)


def test_upgrade_gives_existing_services_nova_binary_names(tmp_path):
    """A cloud made before scheduler_0002 keeps its services, now under Nova's names."""
    from alembic import command
    import sqlalchemy as sa
    url = f"sqlite:///{tmp_path}/old.sqlite"
    command.upgrade(migration.alembic_config(url), "scheduler_0001")
    engine = sa.create_engine(url)
    now = datetime.datetime(2026, 12, 1)
    with engine.begin() as conn:
        for binary in ("pocketstack-agent", "pocketstack-conductor", "pocketstack-scheduler"):
            conn.execute(sa.text(
                "INSERT INTO services (uuid, host, \"binary\", topic, disabled, forced_down, "
                "created_at) VALUES (:uuid, 'h1', :binary, 't', 0, 0, :now)"),
                {"uuid": str(uuid.uuid4()), "binary": binary, "now": now})
    engine.dispose()
    migration.upgrade(url)
    database = Database(url)
    try:
        assert sorted(s.binary for s in placement.list_services(database)) == [
            "nova-compute", "nova-conductor", "nova-scheduler"]
        assert placement.list_services(database, binary=AGENT_BINARY)[0].host == "h1"
    finally:
        database.dispose()
