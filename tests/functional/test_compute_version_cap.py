"""A cloud in the middle of an upgrade: ``[upgrade_levels] agent`` pinned at 1.1, below the
version pause, suspend, snapshot and rebuild came in (1.2). The compute API refuses
those with a 409 in Nova's format before it changes anything, so no server is left with
a task_state nobody will clear; what the pinned version carries still works."""
import pytest

from tests.lib.cloud import Cloud


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("compute-version-cap"),
                     conf={"upgrade_levels": {"agent": "1.1"}})
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def api(compute_session):
    return compute_session()


@pytest.fixture(scope="module")
def server(cloud, api):
    image = cloud.blank_image("tiny", "--public")["id"]
    flavor = api.post("/flavors", {"flavor": {"name": "m1.nano", "ram": 64, "vcpus": 1,
                                              "disk": 1}}).json()["flavor"]["id"]
    resp = api.post("/servers", {"server": {"name": "pinned", "imageRef": image,
                                            "flavorRef": flavor, "networks": "none"}})
    assert resp.status_code == 202, resp.text
    server = api.wait_for_server(resp.json()["server"]["id"])
    assert server["status"] == "ACTIVE"
    return server


@pytest.mark.parametrize("action", ["pause", "suspend", "createImage", "rebuild"])
def test_an_action_newer_than_the_cap_is_refused_before_any_change(cloud, api, server,
                                                                   action):
    body = {"pause": None, "suspend": None, "createImage": {"name": "never-made"},
            "rebuild": {"imageRef": server["image"]["id"]}}[action]
    path = f"/servers/{server['id']}"
    images_before = {i["ID"] for i in cloud.openstack("image", "list")}
    resp = api.post(f"{path}/action", {action: body})
    assert resp.status_code == 409, resp.text
    message = resp.json()["conflictingRequest"]["message"]
    assert "needs version 1.2 of the agents' RPC API" in message
    assert "[upgrade_levels] agent caps messages to agents at 1.1" in message
    now = api.get(path).json()["server"]
    assert (now["status"], now["OS-EXT-STS:task_state"]) == ("ACTIVE", None)
    recorded = [a["action"] for a in api.get(f"{path}/os-instance-actions").json()[
        "instanceActions"]]
    assert recorded == ["create"]
    assert {i["ID"] for i in cloud.openstack("image", "list")} == images_before


def test_what_the_cap_carries_still_works(api, server):
    path = f"/servers/{server['id']}"
    assert api.post(f"{path}/action", {"os-stop": None}).status_code == 202
    assert api.wait_for_server(server["id"], ("SHUTOFF",))["OS-EXT-STS:task_state"] is None
    assert api.post(f"{path}/action", {"os-start": None}).status_code == 202
    assert api.wait_for_server(server["id"], ("ACTIVE",))["OS-EXT-STS:task_state"] is None
