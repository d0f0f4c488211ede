"""Host aggregates through the stock CLI and on the wire, with two fake agent hosts: an
aggregate's life, ``hypervisor show`` naming a host's aggregates, an aggregate's zone
seen by ``availability zone list`` and by the scheduler, and the rules Nova enforces."""

import pytest

from tests.lib.cloud import Cloud

DEMO_PASSWORD = "demo-secret"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("compute-aggregates"),
                     conf={"agent": {"fake_hosts": "2"}})
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def hosts(cloud):
    return [f"{cloud.sections['DEFAULT']['host']}-{index}" for index in range(2)]


@pytest.fixture(scope="module")
def api(compute_session):
    return compute_session()


@pytest.fixture(scope="module")
def demo(cloud):
    cloud.add_member_project("demo", DEMO_PASSWORD)
    return {"user": "demo", "password": DEMO_PASSWORD, "project": "demo"}


@pytest.fixture(scope="module")
def image(cloud):
    cloud.blank_image("tiny")
    cloud.openstack("flavor", "create", "--vcpus", "1", "--ram", "64", "--disk", "1",
                    "m1.nano")
    return "tiny"


def test_aggregate_life_with_the_cli(cloud, hosts):
    created = cloud.openstack("aggregate", "create", "--zone", "life-az", "--property",
                              "ssd=true", "life")
    assert created["availability_zone"] == "life-az" and created["hosts"] == []
    added = cloud.openstack("aggregate", "add", "host", "life", hosts[1])
    assert added["hosts"] == [hosts[1]]
    shown = cloud.openstack("aggregate", "show", "life")
    assert shown["properties"] == {"ssd": "true"} and shown["uuid"]
    assert shown["availability_zone"] == "life-az" and shown["hosts"] == [hosts[1]]
    listed = cloud.openstack("aggregate", "list", "--long")
    assert [(a["Name"], a["Availability Zone"], a["Hosts"], a["Properties"])
            for a in listed] == [("life", "life-az", [hosts[1]], {"ssd": "true"})]

    cloud.openstack("aggregate", "set", "--name", "renamed", "--zone", "life-az2",
                    "--property", "gpu=no", "life", parse=False)
    cloud.openstack("aggregate", "unset", "--property", "ssd", "renamed", parse=False)
    shown = cloud.openstack("aggregate", "show", "renamed")
    assert shown["properties"] == {"gpu": "no"}
    assert shown["availability_zone"] == "life-az2"

    hypervisor = cloud.openstack("hypervisor", "show", hosts[1])
    assert hypervisor["aggregates"] == ["renamed"]
    assert hypervisor["service_host"] == hosts[1]

    refused = cloud.openstack("aggregate", "delete", "renamed", check=False, parse=False)
    assert refused.returncode != 0 and "not empty" in refused.stderr
    removed = cloud.openstack("aggregate", "remove", "host", "renamed", hosts[1])
    assert removed["hosts"] == []
    cloud.openstack("aggregate", "delete", "renamed", parse=False)
    assert cloud.openstack("aggregate", "list") == []
    assert cloud.openstack("hypervisor", "show", hosts[1])["aggregates"] == []


def test_servers_land_in_the_zone_of_their_aggregate(cloud, hosts, image, api):
    cloud.openstack("aggregate", "create", "--zone", "az1", "rack1")
    cloud.openstack("aggregate", "add", "host", "rack1", hosts[0])
    zones = {z["Zone Name"]: z["Zone Status"]
             for z in cloud.openstack("availability", "zone", "list", "--compute")}
    assert zones == {"az1": "available", "nova": "available"}
    services = {s["Host"]: s["Zone"] for s in cloud.openstack(
        "compute", "service", "list", "--service", "nova-compute")}
    assert services == {hosts[0]: "az1", hosts[1]: "nova"}
    try:
        for zone, host in (("az1", hosts[0]), ("nova", hosts[1])):
            server = cloud.openstack("server", "create", "--image", image, "--flavor",
                                     "m1.nano", "--nic", "none", "--availability-zone",
                                     zone, "--wait", f"in-{zone}")
            assert server["OS-EXT-SRV-ATTR:host"] == host
            assert server["OS-EXT-AZ:availability_zone"] == zone
        # A server that asks for no zone gets the zone of the host it landed on.
        anywhere = cloud.openstack("server", "create", "--image", image, "--flavor",
                                   "m1.nano", "--nic", "none", "--wait", "anywhere")
        expected = "az1" if anywhere["OS-EXT-SRV-ATTR:host"] == hosts[0] else "nova"
        assert anywhere["OS-EXT-AZ:availability_zone"] == expected
    finally:
        for server in api.get("/servers").json()["servers"]:
            api.delete(f"/servers/{server['id']}")
            api.wait_for_server(server["id"], (None,))
        cloud.openstack("aggregate", "remove", "host", "rack1", hosts[0])
        cloud.openstack("aggregate", "delete", "rack1", parse=False)


def aggregate(api, name, zone=None):
    resp = api.post("/os-aggregates", {"aggregate": {"name": name,
                                                     "availability_zone": zone}})
    assert resp.status_code == 200, resp.text
    return resp.json()["aggregate"]


def act(api, agg, body):
    return api.post(f"/os-aggregates/{agg['id']}/action", body)


def fault(resp, status):
    assert resp.status_code == status, resp.text
    (body,) = resp.json().values()
    return body["message"]


def test_a_host_is_in_one_zone_only(api, hosts):
    first, second = aggregate(api, "zone-a", "za"), aggregate(api, "zone-b", "zb")
    plain = aggregate(api, "plain")
    try:
        assert act(api, first, {"add_host": {"host": hosts[0]}}).status_code == 200
        message = fault(act(api, second, {"add_host": {"host": hosts[0]}}), 409)
        assert "already in availability zone(s) ['za']" in message
        # Aggregates without a zone mix freely; giving one a zone is checked too.
        assert act(api, plain, {"add_host": {"host": hosts[0]}}).status_code == 200
        fault(api.put(f"/os-aggregates/{plain['id']}",
                      {"aggregate": {"availability_zone": "zb"}}), 400)
        fault(act(api, plain, {"set_metadata": {"metadata": {"availability_zone": "zb"}}}),
              400)
        assert api.put(f"/os-aggregates/{plain['id']}", {"aggregate": {
            "availability_zone": "za"}}).json()["aggregate"]["availability_zone"] == "za"
        # A zone can move, never be removed.
        assert "empty named" in fault(act(api, first, {"set_metadata": {
            "metadata": {"availability_zone": None}}}), 400)
        assert api.get(f"/os-aggregates/{first['id']}").json()["aggregate"][
            "metadata"] == {"availability_zone": "za"}
    finally:
        for agg in (first, second, plain):
            for host in api.get(f"/os-aggregates/{agg['id']}").json()["aggregate"]["hosts"]:
                api.post(f"/os-aggregates/{agg['id']}/action",
                         {"remove_host": {"host": host}})
            assert api.delete(f"/os-aggregates/{agg['id']}").status_code == 200


def test_nova_errors_and_microversions(api, compute_session, hosts):
    agg = aggregate(api, "errors")
    path = f"/os-aggregates/{agg['id']}"
    try:
        assert "already exists" in fault(api.post("/os-aggregates", {"aggregate": {
            "name": "errors"}}), 409)
        fault(api.post("/os-aggregates", {"aggregate": {"name": "x",
                                                        "availability_zone": "a:b"}}), 400)
        fault(api.post(path + "/action", {"add_host": {"host": "nowhere"}}), 404)
        assert api.post(path + "/action", {"add_host": {"host": hosts[1]}}
                        ).status_code == 200
        assert "already has host" in fault(
            api.post(path + "/action", {"add_host": {"host": hosts[1]}}), 409)
        fault(api.post(path + "/action", {"remove_host": {"host": hosts[0]}}), 404)
        fault(api.post(path + "/action", {"explode": {}}), 400)
        fault(api.post(path + "/action", {"set_metadata": {"metadata": {"k": 1}}}), 400)
        assert "not empty" in fault(api.delete(path), 400)
        fault(api.get("/os-aggregates/999999"), 404)
        fault(api.delete("/os-aggregates/-1"), 404)
        fault(api.get("/os-aggregates/not-a-number"), 400)
        fault(api.get("/os-aggregates/99999999999999999999999"), 404)
        old = compute_session(microversion="2.40").get(path).json()["aggregate"]
        new = compute_session(microversion="2.41").get(path).json()["aggregate"]
        assert "uuid" not in old and len(new["uuid"]) == 36
        assert {k: v for k, v in new.items() if k != "uuid"} == old
        assert sorted(old) == ["availability_zone", "created_at", "deleted", "deleted_at",
                               "hosts", "id", "metadata", "name", "updated_at"]
    finally:
        api.post(path + "/action", {"remove_host": {"host": hosts[1]}})
        api.delete(path)


def test_only_admins_manage_aggregates(cloud, demo, compute_session):
    refused = cloud.openstack("aggregate", "list", check=False, parse=False, **demo)
    assert refused.returncode != 0 and "403" in refused.stderr
    member = compute_session(user="demo", password=DEMO_PASSWORD, project="demo")
    fault(member.post("/os-aggregates", {"aggregate": {"name": "mine"}}), 403)
    # Zones stay visible to everyone.
    assert member.get("/os-availability-zone").status_code == 200
