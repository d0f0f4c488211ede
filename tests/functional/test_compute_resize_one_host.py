"""Resizing on a cloud of one fake host: with ``allow_resize_to_same_host`` the server
resizes where it is (both flavors claimed there until the verdict), and one left waiting
is confirmed by the conductor after ``resize_confirm_window`` seconds; with
``shelved_offload_time`` -1 a shelved server keeps its host until shelveOffload."""
import time

import pytest

from tests.lib.cloud import Cloud


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("compute-resize-one-host"), conf={
        "compute": {"allow_resize_to_same_host": "true", "resize_confirm_window": "2",
                    "build_check_interval": "1", "shelved_offload_time": "-1"},
        "scheduler": {"ram_allocation_ratio": "1.0", "reserved_host_memory_mb": "0"},
    })
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def api(compute_session):
    return compute_session()


@pytest.fixture(scope="module")
def image(cloud):
    return cloud.blank_image("tiny", "--public")["id"]


@pytest.fixture(scope="module")
def flavors(api):
    for name, vcpus, ram, disk in (("one", 1, 128, 1), ("two", 2, 256, 2)):
        assert api.post("/flavors", {"flavor": {"name": name, "id": name, "vcpus": vcpus,
                                                "ram": ram, "disk": disk}}
                        ).status_code == 200


def used(api):
    [node] = api.get("/os-hypervisors/detail").json()["hypervisors"]
    return node["vcpus_used"], node["memory_mb_used"], node["running_vms"]


def test_resize_on_the_same_host_is_confirmed_after_the_window(api, image, flavors):
    resp = api.post("/servers", {"server": {"name": "solo", "imageRef": image,
                                            "flavorRef": "one", "networks": "none"}})
    server = api.wait_for_server(resp.json()["server"]["id"])
    host = server["OS-EXT-SRV-ATTR:host"]
    assert used(api) == (1, 128, 1)
    assert api.post(f"/servers/{server['id']}/action",
                    {"resize": {"flavorRef": "two"}}).status_code == 202
    resized = api.wait_for_server(server["id"], ("VERIFY_RESIZE", "ERROR"))
    assert (resized["status"], resized["OS-EXT-SRV-ATTR:host"]) == ("VERIFY_RESIZE", host)
    # Both flavors held on the one host until the verdict.
    assert used(api) == (3, 384, 2)
    started = time.monotonic()
    confirmed = api.wait_for_server(server["id"], ("ACTIVE",), timeout=30)
    assert time.monotonic() - started >= 0.5
    assert confirmed["flavor"]["original_name"] == "two"
    deadline = time.monotonic() + 10
    while used(api) != (2, 256, 1) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert used(api) == (2, 256, 1)
    actions = api.get(f"/servers/{server['id']}/os-instance-actions").json()[
        "instanceActions"]
    assert [a["action"] for a in actions][:2] == ["confirmResize", "resize"]
    migration = api.get("/os-migrations", params={"instance_uuid": server["id"]}).json()[
        "migrations"][0]
    assert (migration["status"], migration["source_compute"], migration["dest_compute"]) == (
        "confirmed", host, host)
    api.delete(f"/servers/{server['id']}")
    api.wait_for_server(server["id"], (None,))
    assert used(api) == (0, 0, 0)


def test_shelved_without_offload_stays_on_its_host(cloud, api, image, flavors):
    resp = api.post("/servers", {"server": {"name": "kept", "imageRef": image,
                                            "flavorRef": "one", "networks": "none"}})
    server = api.wait_for_server(resp.json()["server"]["id"])
    host = server["OS-EXT-SRV-ATTR:host"]
    assert api.post(f"/servers/{server['id']}/action", {"shelve": None}).status_code == 202
    shelved = api.wait_for_server(server["id"], ("SHELVED", "ERROR"))
    assert (shelved["status"], shelved["OS-EXT-SRV-ATTR:host"],
            shelved["OS-EXT-STS:power_state"]) == ("SHELVED", host, 4)
    assert used(api) == (1, 128, 1)
    assert api.post(f"/servers/{server['id']}/action", {"unshelve": None}
                    ).status_code == 202
    back = api.wait_for_server(server["id"], ("ACTIVE", "ERROR"))
    assert (back["status"], back["OS-EXT-SRV-ATTR:host"]) == ("ACTIVE", host)
    assert api.post(f"/servers/{server['id']}/action", {"shelve": None}).status_code == 202
    api.wait_for_server(server["id"], ("SHELVED",))
    assert api.post(f"/servers/{server['id']}/action", {"shelveOffload": None}
                    ).status_code == 202
    offloaded = api.wait_for_server(server["id"], ("SHELVED_OFFLOADED", "ERROR"))
    assert offloaded["OS-EXT-SRV-ATTR:host"] is None
    assert used(api) == (0, 0, 0)
    api.delete(f"/servers/{server['id']}")
    api.wait_for_server(server["id"], (None,))
