"""Resizing, cold- and live-migrating, evacuating and shelving servers with volumes
between fake hosts, with the real volume service (its NBD exports run): the attachments
move with the server (the host it leaves hands each volume over, the host that takes it
connects them before its guest starts — for a live migration, before the switch-over),
the old ones go, a revert brings them back to the source, a failure leaves them where
they were, an offloaded server keeps them reserved; claims exact at every step."""
import time

import pytest

from tests.lib.compute_volumes import new_volume, volume_api, wait_volume
from tests.lib.fake_hosts import (act, api, cloud, create, delete_all,  # noqa: F401
                                  events, hosts, image, make_flavor, migrations_of,
                                  other, settled, usage)


@pytest.fixture(scope="module")
def flavors(api):
    return {"small": make_flavor(api, "small", 1, 256, 1),
            "big": make_flavor(api, "big", 2, 512, 2),
            "broken": make_flavor(api, "broken", 1, 512, 2, {"fake:fail_resize": "true"})}


@pytest.fixture
def clean(api, hosts):
    yield
    delete_all(api, hosts)


def attach(api, server_id, volume_id):
    resp = api.post(f"/servers/{server_id}/os-volume_attachments",
                    {"volumeAttachment": {"volumeId": volume_id}})
    assert resp.status_code == 200, resp.text


def attachments_of(cloud, api, volume_id):
    """(volume status, [(server, host)] of its attachments): each attachment of the
    volume (the attachments API's, completed or not) must be a completed one, whose
    host the volume shows."""
    volume = volume_api(cloud, api, "GET", f"volumes/{volume_id}").json()["volume"]
    listed = volume_api(cloud, api, "GET", f"attachments?volume_id={volume_id}")
    assert listed.status_code == 200, listed.text
    assert sorted(a["id"] for a in listed.json()["attachments"]) == sorted(
        a["attachment_id"] for a in volume["attachments"]), (listed.text, volume)
    return volume["status"], sorted((a["server_id"], a["host_name"])
                                    for a in volume["attachments"])


def test_resize_moves_the_volume_and_confirm_keeps_it_there(cloud, api, image, flavors,
                                                            hosts, clean):
    server = create(api, image, "small", "with-data")
    sid, source = server["id"], server["OS-EXT-SRV-ATTR:host"]
    volume = new_volume(cloud, api, "data")["id"]
    attach(api, sid, volume)
    wait_volume(cloud, api, volume, "in-use")
    assert attachments_of(cloud, api, volume) == ("in-use", [(sid, source)])
    answer = act(api, sid, "resize", {"flavorRef": "big"})
    assert answer.status_code == 202, answer.text
    resized = settled(api, sid, "VERIFY_RESIZE")
    dest = resized["OS-EXT-SRV-ATTR:host"]
    assert dest == other(hosts, source)
    # One attachment, the destination's; the source's ended when the guest left.
    assert attachments_of(cloud, api, volume) == ("in-use", [(sid, dest)])
    assert [a["volumeId"] for a in api.get(f"/servers/{sid}/os-volume_attachments")
            .json()["volumeAttachments"]] == [volume]
    assert usage(api) == {source: (1, 256, 1), dest: (2, 512, 1)}
    steps, _ = events(api, sid, answer.headers["X-Openstack-Request-Id"])
    assert steps == [("conductor_migrate_server", "Success"),
                     ("compute_resize_instance", "Success"),
                     ("compute_finish_resize", "Success")]
    assert act(api, sid, "confirmResize").status_code == 204
    settled(api, sid, "ACTIVE")
    assert attachments_of(cloud, api, volume) == ("in-use", [(sid, dest)])
    assert usage(api) == {source: (0, 0, 0), dest: (2, 512, 1)}
    api.delete(f"/servers/{sid}")
    api.wait_for_server(sid, (None,))
    assert attachments_of(cloud, api, wait_volume(cloud, api, volume, "available")["id"]
                          ) == ("available", [])
    assert volume_api(cloud, api, "DELETE", f"volumes/{volume}").status_code == 202


def test_revert_brings_the_volume_back_to_the_source(cloud, api, image, flavors, hosts,
                                                     clean):
    server = create(api, image, "small", "undo-data")
    sid, source = server["id"], server["OS-EXT-SRV-ATTR:host"]
    volume = new_volume(cloud, api, "undo-data")["id"]
    attach(api, sid, volume)
    wait_volume(cloud, api, volume, "in-use")
    before = usage(api)
    assert act(api, sid, "migrate").status_code == 202
    dest = settled(api, sid, "VERIFY_RESIZE")["OS-EXT-SRV-ATTR:host"]
    assert attachments_of(cloud, api, volume) == ("in-use", [(sid, dest)])
    assert act(api, sid, "revertResize").status_code == 202
    reverted = settled(api, sid, "ACTIVE")
    assert reverted["OS-EXT-SRV-ATTR:host"] == source
    assert attachments_of(cloud, api, volume) == ("in-use", [(sid, source)])
    assert usage(api) == before
    # It is still the server's volume: detached as usual.
    assert api.delete(f"/servers/{sid}/os-volume_attachments/{volume}").status_code == 202
    assert attachments_of(cloud, api, wait_volume(cloud, api, volume, "available")["id"]
                          ) == ("available", [])
    assert volume_api(cloud, api, "DELETE", f"volumes/{volume}").status_code == 202


def test_a_server_booted_from_a_volume_migrates_with_it(cloud, api, image, flavors, hosts,
                                                       clean):
    server = create(api, "", "small", "bfv", block_device_mapping_v2=[{
        "uuid": image, "boot_index": 0, "source_type": "image",
        "destination_type": "volume", "volume_size": 1, "delete_on_termination": True}])
    sid, source = server["id"], server["OS-EXT-SRV-ATTR:host"]
    [root] = server["os-extended-volumes:volumes_attached"]
    assert act(api, sid, "migrate").status_code == 202
    dest = settled(api, sid, "VERIFY_RESIZE")["OS-EXT-SRV-ATTR:host"]
    assert dest == other(hosts, source)
    assert attachments_of(cloud, api, root["id"]) == ("in-use", [(sid, dest)])
    assert act(api, sid, "confirmResize").status_code == 204
    settled(api, sid, "ACTIVE")
    assert usage(api) == {source: (0, 0, 0), dest: (1, 256, 1)}
    api.delete(f"/servers/{sid}")
    api.wait_for_server(sid, (None,))
    # delete_on_termination: the root volume went with the server.
    deadline = time.monotonic() + 30
    while volume_api(cloud, api, "GET", f"volumes/{root['id']}").status_code != 404:
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_a_failed_resize_leaves_the_volume_attached_at_the_source(cloud, api, image,
                                                                  flavors, hosts, clean):
    server = create(api, image, "small", "unlucky-data")
    sid, source = server["id"], server["OS-EXT-SRV-ATTR:host"]
    volume = new_volume(cloud, api, "unlucky-data")["id"]
    attach(api, sid, volume)
    wait_volume(cloud, api, volume, "in-use")
    before = usage(api)
    answer = act(api, sid, "resize", {"flavorRef": "broken"})
    assert answer.status_code == 202
    deadline = time.monotonic() + 30
    while migrations_of(api, sid)[0]["status"] != "error":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    after = settled(api, sid, "ACTIVE")
    steps, _ = events(api, sid, answer.headers["X-Openstack-Request-Id"])
    assert steps == [("conductor_migrate_server", "Success"),
                     ("compute_resize_instance", "Error")]
    assert after["OS-EXT-SRV-ATTR:host"] == source
    assert attachments_of(cloud, api, volume) == ("in-use", [(sid, source)])
    assert usage(api) == before
    assert api.delete(f"/servers/{sid}/os-volume_attachments/{volume}").status_code == 202
    wait_volume(cloud, api, volume, "available")
    assert volume_api(cloud, api, "DELETE", f"volumes/{volume}").status_code == 202


def test_live_migration_moves_the_volumes_and_a_failure_keeps_them(cloud, api, image,
                                                                   flavors, hosts, clean):
    server = create(api, image, "small", "live-data")
    sid, source = server["id"], server["OS-EXT-SRV-ATTR:host"]
    dest = other(hosts, source)
    volume = new_volume(cloud, api, "live-data")["id"]
    attach(api, sid, volume)
    wait_volume(cloud, api, volume, "in-use")
    answer = act(api, sid, "os-migrateLive", {"host": None, "block_migration": "auto"},
                 microversion="2.79")
    assert answer.status_code == 202, answer.text
    moved = settled(api, sid, "ACTIVE")
    assert moved["OS-EXT-SRV-ATTR:host"] == dest
    assert migrations_of(api, sid)[0]["status"] == "completed"
    assert attachments_of(cloud, api, volume) == ("in-use", [(sid, dest)])
    assert usage(api) == {source: (0, 0, 0), dest: (1, 256, 1)}
    # A copy that fails: the destination's second attachment goes, the guest and its
    # volume stay.
    api.post("/flavors/small/os-extra_specs",
             {"extra_specs": {"fake:fail_live_migration": "true"}})
    try:
        failing = create(api, image, "small", "live-data-unlucky")
        volume2 = new_volume(cloud, api, "live-data-unlucky")["id"]
        attach(api, failing["id"], volume2)
        wait_volume(cloud, api, volume2, "in-use")
        before = usage(api)
        assert act(api, failing["id"], "os-migrateLive",
                   {"host": None, "block_migration": "auto"},
                   microversion="2.79").status_code == 202
        deadline = time.monotonic() + 30
        while migrations_of(api, failing["id"])[0]["status"] != "error":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        stayed = settled(api, failing["id"], "ACTIVE")
        assert stayed["OS-EXT-SRV-ATTR:host"] == failing["OS-EXT-SRV-ATTR:host"]
        assert attachments_of(cloud, api, volume2) == (
            "in-use", [(failing["id"], failing["OS-EXT-SRV-ATTR:host"])])
        assert usage(api) == before
    finally:
        assert api.delete("/flavors/small/os-extra_specs/fake:fail_live_migration"
                          ).status_code == 200
    for server_id, volume_id in ((sid, volume), (failing["id"], volume2)):
        assert api.delete(f"/servers/{server_id}/os-volume_attachments/{volume_id}"
                          ).status_code == 202
        wait_volume(cloud, api, volume_id, "available")
        assert volume_api(cloud, api, "DELETE", f"volumes/{volume_id}").status_code == 202


def reserved_for(cloud, api, volume_id):
    listed = volume_api(cloud, api, "GET", f"attachments?volume_id={volume_id}").json()
    return [(a["instance"], a["status"]) for a in listed["attachments"]]


def test_shelve_offload_keeps_the_volume_reserved_and_unshelve_connects_it(
        cloud, api, image, flavors, hosts, clean):
    server = create(api, image, "small", "shelf-data")
    sid = server["id"]
    volume = new_volume(cloud, api, "shelf-data")["id"]
    attach(api, sid, volume)
    wait_volume(cloud, api, volume, "in-use")
    assert act(api, sid, "shelve").status_code == 202
    shelved = settled(api, sid, "SHELVED_OFFLOADED")
    assert shelved["OS-EXT-SRV-ATTR:host"] is None
    assert usage(api) == {host: (0, 0, 0) for host in hosts}
    # On no host: the volume stays the server's, reserved for it.
    assert wait_volume(cloud, api, volume, "reserved")["attachments"] == []
    assert reserved_for(cloud, api, volume) == [(sid, "reserved")]
    assert act(api, sid, "unshelve").status_code == 202
    back = settled(api, sid, "ACTIVE")
    assert attachments_of(cloud, api, volume) == (
        "in-use", [(sid, back["OS-EXT-SRV-ATTR:host"])])
    # Deleted while offloaded, the server lets its volume go.
    assert act(api, sid, "shelve").status_code == 202
    settled(api, sid, "SHELVED_OFFLOADED")
    assert api.delete(f"/servers/{sid}").status_code == 204
    api.wait_for_server(sid, (None,))
    assert attachments_of(cloud, api, wait_volume(cloud, api, volume, "available")["id"]
                          ) == ("available", [])
    assert volume_api(cloud, api, "DELETE", f"volumes/{volume}").status_code == 202


def test_a_server_booted_from_a_volume_cannot_be_shelved_yet(cloud, api, image, flavors,
                                                            clean):
    server = create(api, "", "small", "bfv-shelf", block_device_mapping_v2=[{
        "uuid": image, "boot_index": 0, "source_type": "image",
        "destination_type": "volume", "volume_size": 1, "delete_on_termination": True}])
    answer = act(api, server["id"], "shelve")
    assert answer.status_code == 400, answer.text
    assert settled(api, server["id"], "ACTIVE")


def force_down(api, host, down):
    [service] = [s for s in api.get("/os-services", params={"host": host}).json()["services"]
                 if s["binary"] == "nova-compute"]
    answer = api.put(f"/os-services/{service['id']}", {"forced_down": down})
    assert answer.status_code == 200, answer.text


def test_evacuate_takes_the_volumes_to_the_new_host(cloud, api, image, flavors, hosts,
                                                    clean):
    server = create(api, "", "small", "bfv-refugee", block_device_mapping_v2=[{
        "uuid": image, "boot_index": 0, "source_type": "image",
        "destination_type": "volume", "volume_size": 1, "delete_on_termination": True}])
    sid, source = server["id"], server["OS-EXT-SRV-ATTR:host"]
    target = other(hosts, source)
    [root] = server["os-extended-volumes:volumes_attached"]
    volume = new_volume(cloud, api, "refugee-data")["id"]
    attach(api, sid, volume)
    wait_volume(cloud, api, volume, "in-use")
    force_down(api, source, True)
    try:
        answer = act(api, sid, "evacuate", {}, microversion="2.79")
        assert answer.status_code == 200, answer.text
        moved = settled(api, sid, "ACTIVE")
        assert moved["OS-EXT-SRV-ATTR:host"] == target
        for volume_id in (root["id"], volume):
            assert attachments_of(cloud, api, volume_id) == ("in-use", [(sid, target)])
        deadline = time.monotonic() + 60
        while migrations_of(api, sid)[0]["status"] != "completed":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert usage(api) == {source: (0, 0, 0), target: (1, 256, 1)}
        # The old host's clean-up left the volumes alone.
        assert attachments_of(cloud, api, volume) == ("in-use", [(sid, target)])
    finally:
        force_down(api, source, False)
    assert api.delete(f"/servers/{sid}/os-volume_attachments/{volume}").status_code == 202
    wait_volume(cloud, api, volume, "available")
    assert volume_api(cloud, api, "DELETE", f"volumes/{volume}").status_code == 202
