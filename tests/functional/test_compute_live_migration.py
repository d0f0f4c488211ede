"""Live migration between fake hosts (two agents in the cloud's process): the guest
moves while it runs, its ports are bound to the destination, the claims move with it;
the server-migrations API shows the one under way, forces it to complete or aborts it;
a failure or a refusal leaves the server running where it was with its claims exact;
and the stock CLI drives it."""
import time

import pytest
import requests

from tests.lib.fake_hosts import (LATEST, act, api, cloud, create, delete_all,  # noqa: F401
                                  demo_api, events, hosts, image, make_flavor,
                                  migrations_of, other, settled, usage)


@pytest.fixture(scope="module")
def flavors(api, hosts):
    def specs(**extra_specs):
        return {f"fake:{name}": value for name, value in extra_specs.items()}

    return {"small": make_flavor(api, "small"),
            "slow": make_flavor(api, "slow",
                                extra_specs=specs(live_migration_seconds="60")),
            "slow-prep": make_flavor(api, "slow-prep",
                                     extra_specs=specs(pre_live_migration_seconds="8")),
            "failing": make_flavor(api, "failing",
                                   extra_specs=specs(fail_live_migration="true")),
            "picky": make_flavor(api, "picky", extra_specs=specs(
                refuse_live_migration_to=",".join(hosts)))}


@pytest.fixture(scope="module")
def lan(cloud):
    cloud.openstack("network", "create", "lan")
    cloud.openstack("subnet", "create", "lan-v4", "--network", "lan", "--subnet-range",
                    "10.32.0.0/24")
    return cloud.openstack("network", "show", "lan")["id"]


@pytest.fixture
def clean(api, hosts):
    yield
    delete_all(api, hosts)


def live(api, server_id, argument, microversion=LATEST):
    return act(api, server_id, "os-migrateLive", argument, microversion=microversion)


def version(microversion):
    return {"OpenStack-API-Version": f"compute {microversion}"}


def port_hosts(cloud, api, server_id):
    return [p["binding:host_id"] for p in requests.get(
        f"{cloud.url}/networking/v2.0/ports", params={"device_id": server_id},
        headers={"X-Auth-Token": api.token}, timeout=30).json()["ports"]]


def wait_for_migration(api, server_id, statuses, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = migrations_of(api, server_id)
        if found and found[0]["status"] in statuses:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"migration of {server_id} never {statuses}: {found}")


def test_live_migration_moves_the_server_its_ports_and_its_claim(cloud, api, image,
                                                                 flavors, hosts, lan,
                                                                 clean):
    server = create(api, image, "small", "runner", networks=[{"uuid": lan}])
    source = server["OS-EXT-SRV-ATTR:host"]
    dest = other(hosts, source)
    answer = live(api, server["id"], {"host": None, "block_migration": "auto"})
    assert answer.status_code == 202, answer.text
    assert answer.text == ""
    moved = settled(api, server["id"], "ACTIVE")
    assert moved["OS-EXT-SRV-ATTR:host"] == dest
    assert moved["addresses"] == server["addresses"]
    assert moved["OS-EXT-STS:power_state"] == 1
    assert usage(api) == {source: (0, 0, 0), dest: (1, 256, 1)}
    assert port_hosts(cloud, api, server["id"]) == [dest]
    [migration] = migrations_of(api, server["id"])
    assert (migration["migration_type"], migration["status"], migration["source_compute"],
            migration["dest_compute"]) == ("live-migration", "completed", source, dest)
    assert "links" not in migration        # only a migration under way links to itself
    steps, action = events(api, server["id"], answer.headers["X-Openstack-Request-Id"])
    assert action["action"] == "live-migration"
    assert steps == [("conductor_live_migrate_instance", "Success"),
                     ("compute_live_migration", "Success")]
    console = act(api, server["id"], "os-getConsoleOutput", {}).json()["output"]
    assert f"live-migrated to {dest}" in console
    # It moves back to a named host, paused servers too (and stay paused).
    assert act(api, server["id"], "pause").status_code == 202
    settled(api, server["id"], "PAUSED")
    answer = live(api, server["id"], {"host": source, "block_migration": False,
                                      "disk_over_commit": False}, microversion="2.1")
    assert answer.status_code == 400      # the fake hosts share no storage
    assert "Shared storage live-migration requires" in answer.text
    assert live(api, server["id"], {"host": source, "block_migration": True,
                                    "force": True}, microversion="2.30").status_code == 202
    back = settled(api, server["id"], "PAUSED")
    assert back["OS-EXT-SRV-ATTR:host"] == source
    assert usage(api) == {source: (1, 256, 1), dest: (0, 0, 0)}


def test_live_migration_with_the_stock_cli(cloud, api, image, flavors, hosts, clean):
    server = create(api, image, "small", "cli-runner")
    source = server["OS-EXT-SRV-ATTR:host"]
    cloud.openstack("server", "migrate", "--live-migration", "--host", other(hosts, source),
                    "--wait", "cli-runner", parse=False)
    moved = settled(api, server["id"], "ACTIVE")
    assert moved["OS-EXT-SRV-ATTR:host"] == other(hosts, source)
    listed = cloud.openstack("server", "migration", "list", "--server", "cli-runner")
    assert [(m["Status"], m["Type"]) for m in listed] == [("completed", "live-migration")]
    cloud.openstack("server", "migrate", "--live-migration", "--wait", "cli-runner",
                    parse=False)
    assert settled(api, server["id"], "ACTIVE")["OS-EXT-SRV-ATTR:host"] == source


def test_force_complete_and_the_server_migrations_api(cloud, api, image, flavors, hosts,
                                                      clean):
    server = create(api, image, "slow", "long-copy")
    sid = server["id"]
    assert live(api, sid, {"host": None, "block_migration": "auto"}).status_code == 202
    migration = wait_for_migration(api, sid, ("running",))
    mid = migration["id"]
    assert migration["links"][0]["href"].endswith(f"/servers/{sid}/migrations/{mid}")
    assert api.get(f"/servers/{sid}").json()["server"]["status"] == "MIGRATING"
    listed = api.get(f"/servers/{sid}/migrations", headers=version("2.59")).json()
    [shown] = listed["migrations"]
    assert (shown["id"], shown["server_uuid"], shown["status"], shown["uuid"]) == (
        mid, sid, "running", migration["uuid"])
    assert shown["memory_total_bytes"] == 256 * 1024 * 1024
    one = api.get(f"/servers/{sid}/migrations/{mid}", headers=version("2.23")).json()
    assert one["migration"]["id"] == mid and "uuid" not in one["migration"]
    assert api.get(f"/servers/{sid}/migrations", headers=version("2.22")).status_code == 404
    assert api.get(f"/servers/{sid}/migrations/{mid + 1000}",
                   headers=version("2.23")).status_code == 404
    answer = api.post(f"/servers/{sid}/migrations/{mid}/action", {"force_complete": None},
                      headers=version("2.22"))
    assert answer.status_code == 202, answer.text
    moved = settled(api, sid, "ACTIVE")
    assert moved["OS-EXT-SRV-ATTR:host"] == other(hosts, server["OS-EXT-SRV-ATTR:host"])
    assert migrations_of(api, sid)[0]["status"] == "completed"
    assert api.get(f"/servers/{sid}/migrations", headers=version("2.23")).json() == {
        "migrations": []}
    # Once it is over there is nothing to force or abort.
    answer = api.post(f"/servers/{sid}/migrations/{mid}/action", {"force_complete": None},
                      headers=version("2.22"))
    assert answer.status_code == 409, answer.text
    assert api.delete(f"/servers/{sid}/migrations/{mid}",
                      headers=version("2.24")).status_code == 409


def test_abort_leaves_the_guest_where_it_was(cloud, api, image, flavors, hosts, lan,
                                             clean):
    server = create(api, image, "slow", "stay-put", networks=[{"uuid": lan}])
    sid, source = server["id"], server["OS-EXT-SRV-ATTR:host"]
    before = usage(api)
    assert live(api, sid, {"host": None, "block_migration": "auto"}).status_code == 202
    mid = wait_for_migration(api, sid, ("running",))["id"]
    assert api.delete(f"/servers/{sid}/migrations/{mid}",
                      headers=version("2.23")).status_code == 404
    answer = api.delete(f"/servers/{sid}/migrations/{mid}", headers=version("2.24"))
    assert answer.status_code == 202, answer.text
    assert wait_for_migration(api, sid, ("cancelled",))["id"] == mid
    after = settled(api, sid, "ACTIVE")
    assert after["OS-EXT-SRV-ATTR:host"] == source
    assert "fault" not in after
    assert usage(api) == before
    assert port_hosts(cloud, api, sid) == [source]


def test_abort_while_preparing_from_2_65(cloud, api, image, flavors, hosts, lan, clean):
    server = create(api, image, "slow-prep", "changed-mind", networks=[{"uuid": lan}])
    sid, source = server["id"], server["OS-EXT-SRV-ATTR:host"]
    before = usage(api)
    assert live(api, sid, {"host": None, "block_migration": "auto"}).status_code == 202
    migration = wait_for_migration(api, sid, ("preparing",))
    mid = migration["id"]
    answer = api.delete(f"/servers/{sid}/migrations/{mid}", headers=version("2.64"))
    assert answer.status_code == 400, answer.text
    assert "is preparing. Cannot abort" in answer.text
    answer = api.delete(f"/servers/{sid}/migrations/{mid}", headers=version("2.65"))
    assert answer.status_code == 202, answer.text
    assert wait_for_migration(api, sid, ("cancelled", "completed", "error"))["status"] == (
        "cancelled")
    after = settled(api, sid, "ACTIVE")
    assert after["OS-EXT-SRV-ATTR:host"] == source
    assert usage(api) == before
    assert port_hosts(cloud, api, sid) == [source]
    steps, action = events(api, sid, answer.headers["X-Openstack-Request-Id"])
    assert action["action"] == "live_migration_cancel"
    assert steps == [("compute_live_migration_abort", "Success")]
    # Once it is over there is nothing to abort (the server is not migrating).
    assert api.delete(f"/servers/{sid}/migrations/{mid}",
                      headers=version("2.65")).status_code == 409
    # The guest is still where it was and moves later as usual.
    assert live(api, sid, {"host": None, "block_migration": "auto"}).status_code == 202
    assert settled(api, sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == other(hosts, source)
    assert usage(api) == {source: before[other(hosts, source)],
                          other(hosts, source): before[source]}


def test_a_failed_copy_leaves_the_guest_running_at_its_source(cloud, api, image, flavors,
                                                              hosts, lan, clean):
    server = create(api, image, "failing", "unlucky", networks=[{"uuid": lan}])
    sid, source = server["id"], server["OS-EXT-SRV-ATTR:host"]
    before = usage(api)
    answer = live(api, sid, {"host": None, "block_migration": "auto"})
    assert answer.status_code == 202
    assert wait_for_migration(api, sid, ("error",))["dest_compute"] == other(hosts, source)
    after = settled(api, sid, "ACTIVE")
    assert after["OS-EXT-SRV-ATTR:host"] == source
    assert usage(api) == before
    assert port_hosts(cloud, api, sid) == [source]
    steps, action = events(api, sid, answer.headers["X-Openstack-Request-Id"])
    assert steps == [("conductor_live_migrate_instance", "Success"),
                     ("compute_live_migration", "Error")]
    assert "Injected failure: fake:fail_live_migration" in action["events"][1]["traceback"]
    console = act(api, sid, "os-getConsoleOutput", {}).json()["output"]
    assert "booted on" in console


def test_refusals_change_nothing(api, demo_api, image, flavors, hosts, clean):
    server = create(api, image, "small", "refused")
    sid, here = server["id"], server["OS-EXT-SRV-ATTR:host"]
    before = usage(api)

    def refused(answer, status, text):
        assert answer.status_code == status, answer.text
        assert text in answer.text, answer.text

    refused(live(api, sid, {"host": here, "block_migration": "auto"}), 400,
            f"Unable to migrate instance ({sid}) to current host ({here}).")
    refused(live(api, sid, {"host": "nowhere", "block_migration": "auto"}), 400,
            "Compute host nowhere could not be found.")
    refused(live(api, sid, {"block_migration": "auto"}), 400, "host")
    refused(live(api, sid, {"host": None, "block_migration": "auto"}, "2.24"), 400,
            "block_migration")
    refused(live(api, sid, {"host": None, "block_migration": "auto", "force": True},
                 "2.68"), 400, "force")
    refused(live(api, sid, {"host": None, "block_migration": False}, "2.33"), 400,
            "Shared storage live-migration requires")
    # From 2.34 the checks run after the 202: the migration says it failed.
    answer = live(api, sid, {"host": None, "block_migration": False}, "2.34")
    assert answer.status_code == 202, answer.text
    assert migrations_of(api, sid)[0]["status"] == "error"
    steps, _ = events(api, sid, answer.headers["X-Openstack-Request-Id"])
    assert steps == [("conductor_live_migrate_instance", "Error")]
    assert settled(api, sid, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == here
    assert usage(api) == before
    assert act(api, sid, "os-stop").status_code == 202
    settled(api, sid, "SHUTOFF")
    refused(live(api, sid, {"host": None, "block_migration": "auto"}), 409,
            "while it is in vm_state stopped")
    mine = create(demo_api, image, "small", "demo-runner")
    refused(live(demo_api, mine["id"], {"host": None, "block_migration": "auto"}), 403, "")
    assert demo_api.get(f"/servers/{mine['id']}/migrations",
                        headers=version("2.23")).status_code == 403
    demo_api.delete(f"/servers/{mine['id']}")
    demo_api.wait_for_server(mine["id"], (None,))
    assert api.get(f"/servers/{sid}").json()["server"]["OS-EXT-SRV-ATTR:host"] == here


def test_every_host_refusing_is_a_400_with_the_reason(api, image, flavors, hosts, clean):
    server = create(api, image, "picky", "homebody")
    before = usage(api)
    answer = live(api, server["id"], {"host": None, "block_migration": "auto"}, "2.30")
    assert answer.status_code == 400, answer.text
    assert "Injected refusal: fake:refuse_live_migration_to" in answer.text
    after = settled(api, server["id"], "ACTIVE")
    assert after["OS-EXT-SRV-ATTR:host"] == server["OS-EXT-SRV-ATTR:host"]
    assert usage(api) == before
    assert migrations_of(api, server["id"])[0]["status"] == "error"
