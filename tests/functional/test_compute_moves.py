"""Moving servers between fake hosts (two agents in the cloud's process): resize and cold
migration to VERIFY_RESIZE, then confirm or revert; the claims both hosts hold meanwhile
and exactly after; the migration records; the events; and every refusal, with nothing
changed by it."""
import re
import subprocess
import sys
import time

import pytest
import requests

from tests.lib.fake_hosts import (HOST_RAM_MB, act, api, cloud, create, delete_all,  # noqa: F401
                                  demo_api, eventually_free, events, hosts, image,
                                  make_flavor, migrations_of, other, settled, usage)


@pytest.fixture(scope="module")
def flavors(api):
    return {"small": make_flavor(api, "small", 1, 256, 1),
            "big": make_flavor(api, "big", 2, 512, 2),
            "nodisk": make_flavor(api, "nodisk", 1, 256, 0),
            "huge": make_flavor(api, "huge", 1, HOST_RAM_MB * 2, 2),
            "broken": make_flavor(api, "broken", 1, 512, 2, {"fake:fail_resize": "true"})}


@pytest.fixture(scope="module")
def lan(cloud):
    cloud.openstack("network", "create", "lan")
    cloud.openstack("subnet", "create", "lan-v4", "--network", "lan", "--subnet-range",
                    "10.31.0.0/24")
    return cloud.openstack("network", "show", "lan")["id"]


@pytest.fixture
def clean(api, hosts):
    """Delete every server the test made, and check every claim went with them."""
    yield
    delete_all(api, hosts)


def test_resize_then_confirm_holds_both_claims_until_the_confirm(api, image, flavors,
                                                                  hosts, lan, cloud, clean):
    server = create(api, image, "small", "grow", networks=[{"uuid": lan}])
    source = server["OS-EXT-SRV-ATTR:host"]
    address = server["addresses"]["lan"][0]["addr"]
    answer = act(api, server["id"], "resize", {"flavorRef": "big",
                                               "OS-DCF:diskConfig": "MANUAL"})
    assert answer.status_code == 202, answer.text
    resized = settled(api, server["id"], "VERIFY_RESIZE")
    assert resized["OS-DCF:diskConfig"] == "MANUAL"
    dest = resized["OS-EXT-SRV-ATTR:host"]
    assert dest == other(hosts, source)     # allow_resize_to_same_host is off
    assert resized["flavor"]["original_name"] == "big"
    assert resized["OS-EXT-STS:vm_state"] == "resized"
    assert resized["addresses"]["lan"][0]["addr"] == address
    # Both hosts count the server until the verdict: the source its old flavor.
    assert usage(api) == {source: (1, 256, 1), dest: (2, 512, 1)}
    ports = requests.get(f"{cloud.url}/networking/v2.0/ports",
                         params={"device_id": server["id"]},
                         headers={"X-Auth-Token": api.token}, timeout=30).json()["ports"]
    assert [p["binding:host_id"] for p in ports] == [dest]
    [migration] = migrations_of(api, server["id"])
    assert (migration["status"], migration["migration_type"], migration["source_compute"],
            migration["dest_compute"]) == ("finished", "resize", source, dest)
    request_id = answer.headers["X-Openstack-Request-Id"]
    steps, action = events(api, server["id"], request_id)
    assert action["action"] == "resize"
    assert steps == [("conductor_migrate_server", "Success"),
                     ("compute_resize_instance", "Success"),
                     ("compute_finish_resize", "Success")]
    answer = act(api, server["id"], "confirmResize")
    assert answer.status_code == 204, answer.text
    confirmed = settled(api, server["id"], "ACTIVE")
    assert confirmed["OS-EXT-SRV-ATTR:host"] == dest
    assert usage(api) == {source: (0, 0, 0), dest: (2, 512, 1)}
    assert migrations_of(api, server["id"])[0]["status"] == "confirmed"
    steps, _ = events(api, server["id"], answer.headers["X-Openstack-Request-Id"])
    assert steps == [("compute_confirm_resize", "Success")]


def test_revert_restores_host_flavor_ports_and_claims_exactly(api, image, flavors, hosts,
                                                               lan, cloud, clean):
    server = create(api, image, "small", "undo", networks=[{"uuid": lan}])
    source = server["OS-EXT-SRV-ATTR:host"]
    before = usage(api)
    assert act(api, server["id"], "resize", {"flavorRef": "big"}).status_code == 202
    settled(api, server["id"], "VERIFY_RESIZE")
    answer = act(api, server["id"], "revertResize")
    assert answer.status_code == 202, answer.text
    reverted = settled(api, server["id"], "ACTIVE")
    assert reverted["OS-EXT-SRV-ATTR:host"] == source
    assert reverted["flavor"]["original_name"] == "small"
    assert reverted["addresses"] == server["addresses"]
    assert usage(api) == before
    ports = requests.get(f"{cloud.url}/networking/v2.0/ports",
                         params={"device_id": server["id"]},
                         headers={"X-Auth-Token": api.token}, timeout=30).json()["ports"]
    assert [p["binding:host_id"] for p in ports] == [source]
    assert migrations_of(api, server["id"])[0]["status"] == "reverted"
    steps, _ = events(api, server["id"], answer.headers["X-Openstack-Request-Id"])
    assert steps == [("compute_revert_resize", "Success"),
                     ("compute_finish_revert_resize", "Success")]
    # The server resizes again after a revert.
    assert act(api, server["id"], "resize", {"flavorRef": "big"}).status_code == 202
    settled(api, server["id"], "VERIFY_RESIZE")


def test_cold_migration_to_a_named_host_keeps_a_stopped_server_stopped(api, image, flavors,
                                                                        hosts, clean):
    server = create(api, image, "small", "mover")
    source = server["OS-EXT-SRV-ATTR:host"]
    target = other(hosts, source)
    assert act(api, server["id"], "os-stop").status_code == 202
    settled(api, server["id"], "SHUTOFF")
    answer = act(api, server["id"], "migrate", {"host": target}, microversion="2.56")
    assert answer.status_code == 202, answer.text
    moved = settled(api, server["id"], "VERIFY_RESIZE")
    assert (moved["OS-EXT-SRV-ATTR:host"], moved["flavor"]["original_name"]) == (
        target, "small")
    [migration] = migrations_of(api, server["id"], "2.23")
    assert migration["migration_type"] == "migration" and "uuid" not in migration
    assert act(api, server["id"], "confirmResize").status_code == 204
    confirmed = settled(api, server["id"], "SHUTOFF")
    assert confirmed["OS-EXT-STS:power_state"] == 4
    assert usage(api) == {source: (0, 0, 0), target: (1, 256, 1)}


def test_cold_migration_with_the_stock_cli(cloud, api, image, flavors, hosts, clean):
    server = create(api, image, "small", "cli-mover")
    cloud.openstack("server", "migrate", "--wait", "cli-mover", parse=False)
    moved = settled(api, server["id"], "VERIFY_RESIZE")
    assert moved["OS-EXT-SRV-ATTR:host"] == other(hosts, server["OS-EXT-SRV-ATTR:host"])
    cloud.openstack("server", "migrate", "confirm", "cli-mover", parse=False)
    settled(api, server["id"], "ACTIVE")
    listed = cloud.openstack("server", "migration", "list", "--server", "cli-mover")
    assert [(m["Status"], m["Type"]) for m in listed] == [("confirmed", "migration")]


def test_resize_with_the_stock_cli(cloud, api, image, flavors, clean):
    server = create(api, image, "small", "cli-grow")
    cloud.openstack("server", "resize", "--flavor", "big", "--wait", "cli-grow",
                    parse=False)
    settled(api, server["id"], "VERIFY_RESIZE")
    cloud.openstack("server", "resize", "revert", "cli-grow", parse=False)
    reverted = settled(api, server["id"], "ACTIVE")
    assert reverted["flavor"]["original_name"] == "small"


def test_a_failed_move_leaves_the_server_running_where_it_was(api, image, flavors, hosts,
                                                               clean):
    server = create(api, image, "small", "stays")
    before = usage(api)
    answer = act(api, server["id"], "resize", {"flavorRef": "broken"})
    assert answer.status_code == 202
    migration = None
    for _ in range(200):
        migration = migrations_of(api, server["id"])[0]
        if migration["status"] == "error":
            break
        api.wait_for_server(server["id"], ("ACTIVE",))
    assert migration["status"] == "error"
    after = settled(api, server["id"], "ACTIVE")
    assert after["OS-EXT-SRV-ATTR:host"] == server["OS-EXT-SRV-ATTR:host"]
    assert after["flavor"]["original_name"] == "small"
    # The reason is the failed step's (a fault shows only on servers in ERROR).
    steps, action = events(api, server["id"], answer.headers["X-Openstack-Request-Id"])
    assert steps == [("conductor_migrate_server", "Success"),
                     ("compute_resize_instance", "Error")]
    assert action["message"] == "Error"
    assert "Injected failure: fake:fail_resize" in action["events"][1]["traceback"]
    assert usage(api) == before
    console = act(api, server["id"], "os-getConsoleOutput", {}).json()["output"]
    assert "booted on" in console


def test_no_host_with_room_is_a_400_and_changes_nothing(api, image, flavors, hosts, clean):
    server = create(api, image, "small", "tight")
    before = usage(api)
    answer = act(api, server["id"], "resize", {"flavorRef": "huge"})
    assert answer.status_code == 400
    assert answer.json()["badRequest"]["message"].startswith("No valid host was found.")
    after = settled(api, server["id"], "ACTIVE")
    assert after["flavor"]["original_name"] == "small"
    assert usage(api) == before
    assert migrations_of(api, server["id"])[0]["status"] == "error"


def test_refusals(api, demo_api, image, flavors, hosts, clean):
    server = create(api, image, "small", "picky")
    sid = server["id"]
    here = server["OS-EXT-SRV-ATTR:host"]

    def refused(answer, status, text):
        assert answer.status_code == status, answer.text
        assert text in answer.text, answer.text

    refused(act(api, sid, "resize", {"flavorRef": "small"}), 400,
            "When resizing, instances must change flavor!")
    refused(act(api, sid, "resize", {"flavorRef": "nodisk"}), 400,
            "Resize to zero disk flavor is not allowed.")
    refused(act(api, sid, "resize", {"flavorRef": "no-such"}), 400,
            "Unable to locate requested flavor.")
    refused(act(api, sid, "resize", {}), 400, "flavorRef")
    refused(act(api, sid, "resize", {"flavorRef": "big", "extra": 1}), 400, "extra")
    refused(act(api, sid, "migrate", {"host": here}, microversion="2.56"), 400,
            "Cannot migrate to the host where the server exists.")
    refused(act(api, sid, "migrate", {"host": "nowhere"}, microversion="2.56"), 400,
            "Compute host nowhere could not be found.")
    refused(act(api, sid, "confirmResize"), 409,
            f"Cannot 'confirmResize' instance {sid} while it is in vm_state active")
    refused(act(api, sid, "revertResize"), 409, "while it is in vm_state active")
    assert act(api, sid, "pause").status_code == 202
    settled(api, sid, "PAUSED")
    refused(act(api, sid, "migrate"), 409, "while it is in vm_state paused")
    assert act(api, sid, "unpause").status_code == 202
    settled(api, sid, "ACTIVE")
    assert act(api, sid, "resize", {"flavorRef": "big"}).status_code == 202
    settled(api, sid, "VERIFY_RESIZE")
    refused(act(api, sid, "resize", {"flavorRef": "small"}), 409,
            "while it is in vm_state resized")
    refused(act(api, sid, "migrate"), 409, "while it is in vm_state resized")
    assert api.get(f"/servers/{sid}").json()["server"]["status"] == "VERIFY_RESIZE"
    # Cold migration is an admin's; os-migrations too.
    mine = create(demo_api, image, "small", "demo-vm")
    refused(act(demo_api, mine["id"], "migrate"), 403, "")
    assert demo_api.get("/os-migrations").status_code == 403
    assert act(demo_api, mine["id"], "resize", {"flavorRef": "big"}).status_code == 202
    settled(demo_api, mine["id"], "VERIFY_RESIZE")
    assert act(demo_api, mine["id"], "confirmResize").status_code == 204
    settled(demo_api, mine["id"], "ACTIVE")
    demo_api.delete(f"/servers/{mine['id']}")
    demo_api.wait_for_server(mine["id"], (None,))


def test_deleting_a_server_waiting_for_its_verdict_frees_both_hosts(api, image, flavors,
                                                                    hosts, clean):
    server = create(api, image, "small", "gone")
    assert act(api, server["id"], "resize", {"flavorRef": "big"}).status_code == 202
    settled(api, server["id"], "VERIFY_RESIZE")
    assert api.delete(f"/servers/{server['id']}").status_code == 204
    api.wait_for_server(server["id"], (None,))
    assert eventually_free(api, hosts)
    assert migrations_of(api, server["id"])[0]["status"] == "confirmed"


def test_os_migrations_by_microversion(api, image, flavors, clean):
    server = create(api, image, "small", "listed")
    assert act(api, server["id"], "migrate").status_code == 202
    settled(api, server["id"], "VERIFY_RESIZE")
    old = api.get("/os-migrations", headers={"OpenStack-API-Version": "compute 2.1"})
    [entry] = [m for m in old.json()["migrations"] if m["instance_uuid"] == server["id"]]
    assert set(entry) == {"id", "status", "instance_uuid", "source_node", "source_compute",
                          "dest_node", "dest_compute", "dest_host", "old_instance_type_id",
                          "new_instance_type_id", "created_at", "updated_at"}
    # Nova's timestamps here: microseconds, no zone.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", entry["created_at"])
    newer = migrations_of(api, server["id"], "2.59")[0]
    assert newer["uuid"] and newer["migration_type"] == "migration"
    page = api.get("/os-migrations", params={"limit": 1}, headers={
        "OpenStack-API-Version": "compute 2.59"}).json()
    assert len(page["migrations"]) == 1 and "migrations_links" in page
    assert api.get("/os-migrations", params={"marker": "nope"}, headers={
        "OpenStack-API-Version": "compute 2.59"}).status_code == 400
    assert act(api, server["id"], "confirmResize").status_code == 204
    settled(api, server["id"], "ACTIVE")


def test_trace_shows_the_steps_of_a_move(cloud, api, image, flavors, hosts, clean):
    server = create(api, image, "small", "traced-move")
    assert act(api, server["id"], "migrate").status_code == 202
    settled(api, server["id"], "VERIFY_RESIZE")
    out = cloud.pocketstack("trace", "traced-move", "--action", "migrate").stdout
    lines = out.splitlines()
    assert lines[0].startswith(f"server traced-move ({server['id']}), migrate request req-")
    order = [next(i for i, line in enumerate(lines) if line.strip().startswith(prefix))
             for prefix in ("move: destination chosen", "move: guest stopped",
                            "move: ports wired")]
    assert order == sorted(order), out
    assert "no resize action" in cloud.pocketstack("trace", "traced-move", "--action",
                                                   "resize", check=False).stderr


def image_status(cloud, api, image_id):
    resp = requests.get(f"{cloud.url}/image/v2/images/{image_id}",
                        headers={"X-Auth-Token": api.token}, timeout=30)
    return resp.json()["status"] if resp.status_code == 200 else None


def test_shelve_offloads_and_unshelve_builds_from_the_snapshot(cloud, api, demo_api, image,
                                                               flavors, hosts, lan, clean):
    server = create(api, image, "small", "shelf", networks=[{"uuid": lan}])
    address = server["addresses"]["lan"][0]["addr"]
    answer = act(api, server["id"], "shelve")
    assert answer.status_code == 202, answer.text
    shelved = settled(api, server["id"], "SHELVED_OFFLOADED")
    assert (shelved["OS-EXT-SRV-ATTR:host"], shelved["OS-EXT-STS:vm_state"]) == (
        None, "shelved_offloaded")
    assert usage(api) == {host: (0, 0, 0) for host in hosts}
    images = requests.get(f"{cloud.url}/image/v2/images", params={"name": "shelf-shelved"},
                          headers={"X-Auth-Token": api.token}, timeout=30).json()["images"]
    [snapshot] = images
    assert snapshot["status"] == "active" and snapshot["instance_uuid"] == server["id"]
    ports = requests.get(f"{cloud.url}/networking/v2.0/ports",
                         params={"device_id": server["id"]},
                         headers={"X-Auth-Token": api.token}, timeout=30).json()["ports"]
    assert [p["binding:host_id"] for p in ports] == [""]
    steps, _ = events(api, server["id"], answer.headers["X-Openstack-Request-Id"])
    assert steps == [("compute_shelve_instance", "Success")]
    # Refusals while shelved.
    assert act(api, server["id"], "shelve").status_code == 409
    assert act(api, server["id"], "shelveOffload").status_code == 409
    assert act(api, server["id"], "os-start").status_code == 409
    assert act(api, server["id"], "migrate").status_code == 409

    answer = act(api, server["id"], "unshelve")
    assert answer.status_code == 202, answer.text
    back = settled(api, server["id"], "ACTIVE")
    assert back["OS-EXT-SRV-ATTR:host"] in hosts
    assert back["addresses"]["lan"][0]["addr"] == address
    assert back["image"]["id"] == image
    assert sorted(usage(api).values()) == [(0, 0, 0), (1, 256, 1)]
    assert image_status(cloud, api, snapshot["id"]) in (None, "deleted")
    steps, _ = events(api, server["id"], answer.headers["X-Openstack-Request-Id"])
    assert [s for s in steps if s[0] in ("compute__schedule_instances",
                                         "compute_unshelve_instance")] == [
        ("compute__schedule_instances", "Success"),
        ("compute_unshelve_instance", "Success")]
    assert act(api, server["id"], "unshelve").status_code == 409
    # Offloading a server that is not shelved, or as a member, is refused.
    assert act(api, server["id"], "shelveOffload").status_code == 409
    mine = create(demo_api, image, "small", "demo-shelf")
    assert act(demo_api, mine["id"], "shelve").status_code == 202
    settled(demo_api, mine["id"], "SHELVED_OFFLOADED")
    assert act(demo_api, mine["id"], "shelveOffload").status_code == 403
    # Deleting a shelved server deletes its snapshot too.
    demo_snapshot = requests.get(
        f"{cloud.url}/image/v2/images", params={"name": "demo-shelf-shelved"},
        headers={"X-Auth-Token": demo_api.token}, timeout=30).json()["images"][0]["id"]
    assert demo_api.delete(f"/servers/{mine['id']}").status_code == 204
    demo_api.wait_for_server(mine["id"], (None,))
    assert image_status(cloud, demo_api, demo_snapshot) in (None, "deleted")


def test_shelve_with_the_stock_cli(cloud, api, image, flavors, clean):
    server = create(api, image, "small", "cli-shelf")
    cloud.openstack("server", "shelve", "--wait", "cli-shelf", parse=False)
    settled(api, server["id"], "SHELVED_OFFLOADED")
    cloud.openstack("server", "unshelve", "--wait", "cli-shelf", parse=False)
    settled(api, server["id"], "ACTIVE")


def test_shelving_actions_take_any_value_until_2_77(api, image, flavors, clean):
    server = create(api, image, "small", "any-shelf")
    assert act(api, server["id"], "shelve", {}, microversion="2.1").status_code == 202
    settled(api, server["id"], "SHELVED_OFFLOADED")
    # From 2.77 unshelve takes null or an availability zone, never {} (Nova).
    assert act(api, server["id"], "unshelve", {}, microversion="2.77").status_code == 400
    assert act(api, server["id"], "unshelve", {}, microversion="2.1").status_code == 202
    settled(api, server["id"], "ACTIVE")
    # migrate before 2.56 ignores its value, a host included.
    answer = act(api, server["id"], "migrate", {"host": "nowhere"}, microversion="2.1")
    assert answer.status_code == 202, answer.text
    settled(api, server["id"], "VERIFY_RESIZE")
    assert act(api, server["id"], "confirmResize", {}).status_code == 204
    settled(api, server["id"], "ACTIVE")


def test_rescue_and_unrescue(cloud, api, image, flavors, clean):
    server = create(api, image, "small", "lost")
    answer = act(api, server["id"], "rescue", {"adminPass": "s3cret"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"adminPass": "s3cret"}
    rescued = settled(api, server["id"], "RESCUE")
    assert rescued["OS-EXT-STS:vm_state"] == "rescued"
    for action, argument in (("rescue", None), ("os-stop", None),
                             ("resize", {"flavorRef": "big"}), ("shelve", None)):
        assert act(api, server["id"], action, argument).status_code == 409, action
    # Nova takes any value with unrescue (tempest sends {}).
    answer = act(api, server["id"], "unrescue", {})
    assert answer.status_code == 202, answer.text
    settled(api, server["id"], "ACTIVE")
    console = act(api, server["id"], "os-getConsoleOutput", {}).json()["output"]
    assert console.splitlines()[-2:] == [
        f"rescue boot from image {image}, own disk as vdb",
        "booted from its own disk again"]
    steps, _ = events(api, server["id"], answer.headers["X-Openstack-Request-Id"])
    assert steps == [("compute_unrescue_instance", "Success")]
    assert act(api, server["id"], "unrescue").status_code == 409
    assert len(act(api, server["id"], "rescue").json()["adminPass"]) >= 8
    settled(api, server["id"], "RESCUE")
    assert act(api, server["id"], "rescue", {"rescue_image_ref": "nope"}).status_code == 400
    cloud.openstack("server", "unrescue", "lost", parse=False)
    settled(api, server["id"], "ACTIVE")
    missing = "00000000-0000-4000-8000-000000000000"
    assert act(api, server["id"], "rescue", {"rescue_image_ref": missing}
               ).status_code == 400
    settled(api, server["id"], "ACTIVE")


def force_down(api, host, down):
    [service] = [s for s in api.get("/os-services", params={"host": host}).json()["services"]
                 if s["binary"] == "nova-compute"]
    answer = api.put(f"/os-services/{service['id']}", {"forced_down": down})
    assert answer.status_code == 200, answer.text


def test_evacuate_a_server_of_a_down_host_and_clean_up_after_it(api, image, flavors,
                                                                 hosts, lan, clean):
    server = create(api, image, "small", "refugee", networks=[{"uuid": lan}])
    source = server["OS-EXT-SRV-ATTR:host"]
    target = other(hosts, source)
    answer = act(api, server["id"], "evacuate", {})
    assert answer.status_code == 409
    assert f"Compute service of {source} is still in use." in answer.text
    force_down(api, source, True)
    try:
        answer = act(api, server["id"], "evacuate", {"host": source})
        assert answer.status_code == 400, answer.text
        answer = act(api, server["id"], "evacuate", {"onSharedStorage": False},
                     microversion="2.1")
        assert answer.status_code == 200, answer.text
        assert answer.json()["adminPass"]
        moved = settled(api, server["id"], "ACTIVE")
        assert moved["OS-EXT-SRV-ATTR:host"] == target
        assert moved["addresses"] == server["addresses"]
        steps, action = events(api, server["id"], answer.headers["X-Openstack-Request-Id"])
        assert action["action"] == "evacuate"
        assert [s[0] for s in steps if s[0] != "spawn"] == [
            "conductor_migrate_server", "compute_rebuild_instance"]
        # The source's agent (forced down but running) removes what the server left
        # there, then its claim goes.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            [migration] = migrations_of(api, server["id"])
            if migration["status"] == "completed":
                break
            time.sleep(0.2)
        assert (migration["migration_type"], migration["status"],
                migration["source_compute"], migration["dest_compute"]) == (
            "evacuation", "completed", source, target)
        assert usage(api) == {source: (0, 0, 0), target: (1, 256, 1)}
    finally:
        force_down(api, source, False)


def test_host_drain_moves_every_server_off(cloud, api, image, flavors, hosts, clean):
    source, target = hosts
    ids = [create(api, image, "small", f"tenant-{i}", host=source)["id"] for i in range(2)]
    assert act(api, ids[1], "os-stop").status_code == 202
    settled(api, ids[1], "SHUTOFF")
    result = subprocess.run(
        [sys.executable, "-m", "controller.cmd.cli", "host", "drain", source],
        capture_output=True, text=True, timeout=300, env=cloud.env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"host {source}: compute service disabled" in result.stdout
    assert result.stdout.count(f"live-migrated to {target}") == 1
    assert result.stdout.count(f"cold-migrated to {target}") == 1
    assert result.stdout.rstrip().endswith(f"host {source}: empty")
    assert [api.get(f"/servers/{i}").json()["server"]["status"] for i in ids] == [
        "ACTIVE", "SHUTOFF"]
    assert usage(api)[source] == (0, 0, 0)
    [service] = [s for s in api.get("/os-services", params={"host": source}).json()[
        "services"] if s["binary"] == "nova-compute"]
    assert service["status"] == "disabled"
    assert api.put(f"/os-services/{service['id']}", {"status": "enabled"}).status_code == 200
