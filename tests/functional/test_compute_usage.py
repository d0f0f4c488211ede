"""Usage reports (``openstack usage list/show``, ``/os-simple-tenant-usage``): each
project's servers, running and deleted, with the hours they ran in the window."""
import datetime
import time

import pytest

DEMO_PASSWORD = "demo-secret"


@pytest.fixture(scope="module")
def api(compute_session):
    return compute_session()


@pytest.fixture(scope="module")
def demo(cloud, compute_session):
    cloud.add_member_project("demo", DEMO_PASSWORD)
    return compute_session(user="demo", password=DEMO_PASSWORD, project="demo")


@pytest.fixture(scope="module")
def image_id(cloud):
    return cloud.blank_image("tiny", "--public")["id"]


@pytest.fixture(scope="module")
def servers(api, demo, image_id):
    """Two servers of admin's project (one deleted since) and one of demo's."""
    assert api.post("/flavors", {"flavor": {"name": "small", "ram": 64, "vcpus": 1,
                                            "disk": 1, "id": "small"}}).status_code == 200
    started = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    made = {}
    for session, name in ((api, "kept"), (api, "gone"), (demo, "theirs")):
        resp = session.post("/servers", {"server": {
            "name": name, "imageRef": image_id, "flavorRef": "small", "networks": "none"}})
        assert resp.status_code == 202, resp.text
        made[name] = session.wait_for_server(resp.json()["server"]["id"], ("ACTIVE",))
    time.sleep(0.5)   # some running time worth measuring
    assert api.delete(f"/servers/{made['gone']['id']}").status_code == 204
    api.wait_for_server(made["gone"]["id"], (None,))
    return {"started": started, **made}


def hours_since(moment):
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return (now - moment).total_seconds() / 3600


def test_usage_list_and_show_with_the_cli(cloud, api, demo, servers):
    # Machine-readable output keeps project ids and each server's usage.
    listed = {row["Project"]: row for row in cloud.openstack("usage", "list")}
    admin, theirs = listed[api.project_id], listed[demo.project_id]
    assert sorted(s["name"] for s in admin["Servers"]) == ["gone", "kept"]
    assert [s["name"] for s in theirs["Servers"]] == ["theirs"]
    # One vCPU each: CPU hours are hours, more than nothing and less than since created.
    for row in (admin, theirs):
        assert 0 < row["CPU Hours"] <= len(row["Servers"]) * hours_since(servers["started"])
        assert row["RAM MB-Hours"] == pytest.approx(64 * row["CPU Hours"])
        assert row["Disk GB-Hours"] == pytest.approx(row["CPU Hours"])
    mine = cloud.openstack("usage", "show", user="demo", password=DEMO_PASSWORD,
                           project="demo")
    assert [s["name"] for s in mine["Servers"]] == ["theirs"]
    assert mine["Project"] == demo.project_id
    refused = cloud.openstack("usage", "list", user="demo", password=DEMO_PASSWORD,
                              project="demo", check=False, parse=False)
    assert refused.returncode != 0 and "403" in refused.stderr
    assert demo.get(f"/os-simple-tenant-usage/{api.project_id}").status_code == 403


def test_server_usages_on_the_wire(api, servers):
    window = {"start": servers["started"].isoformat(), "end": "2999-01-01T00:00:00"}
    asked = time.monotonic()
    usage = api.get(f"/os-simple-tenant-usage/{api.project_id}",
                    params=window).json()["tenant_usage"]
    entries = {s["name"]: s for s in usage["server_usages"]}
    gone, kept = entries["gone"], entries["kept"]
    assert gone["state"] == "terminated" and gone["ended_at"] is not None
    assert kept["state"] == "active" and kept["ended_at"] is None
    assert (kept["flavor"], kept["vcpus"], kept["memory_mb"], kept["local_gb"]) == (
        "small", 1, 64, 1)
    assert kept["instance_id"] == servers["kept"]["id"]
    ran = (datetime.datetime.fromisoformat(gone["ended_at"])
           - datetime.datetime.fromisoformat(gone["started_at"])).total_seconds()
    assert gone["hours"] == pytest.approx(ran / 3600) and gone["uptime"] == int(ran)
    assert usage["total_hours"] == pytest.approx(gone["hours"] + kept["hours"])
    # The report ends now, not in the future asked for.
    assert usage["stop"] < "2999"
    # Not detailed: totals only.
    (summary, _) = sorted(api.get("/os-simple-tenant-usage", params=window).json()[
        "tenant_usages"], key=lambda u: u["tenant_id"] != api.project_id)
    assert "server_usages" not in summary
    # The running server's hours grew between the two reports, by at most the time
    # between them.
    drift = (time.monotonic() - asked) / 3600
    assert summary["total_hours"] == pytest.approx(usage["total_hours"] + drift / 2,
                                                   abs=drift / 2 + 1e-6)
    # A window after they were gone shows only the running server.
    later = api.get(f"/os-simple-tenant-usage/{api.project_id}", params={
        "start": gone["ended_at"]}).json()["tenant_usage"]
    assert [s["name"] for s in later["server_usages"]] == ["kept"]


def test_pages_of_servers_since_2_40(api, compute_session, servers):
    window = {"start": servers["started"].isoformat(), "detailed": "1", "limit": "2"}
    first = api.get("/os-simple-tenant-usage", params=window).json()
    assert sum(len(u["server_usages"]) for u in first["tenant_usages"]) == 2
    (link,) = first["tenant_usages_links"]
    rest = api.session.get(link["href"], timeout=30).json()
    assert sum(len(u["server_usages"]) for u in rest["tenant_usages"]) == 1
    assert "tenant_usages_links" not in rest
    old = compute_session(microversion="2.39").get("/os-simple-tenant-usage",
                                                   params=window).json()
    assert sum(len(u["server_usages"]) for u in old["tenant_usages"]) == 3
    assert "tenant_usages_links" not in old


@pytest.mark.parametrize("params, message", [
    ({"start": "yesterday"}, "Invalid datetime string"),
    ({"start": "2030-01-02T00:00:00", "end": "2030-01-01T00:00:00"}, "Invalid start time"),
    ({"limit": "1", "marker": "no-such-server"}, "marker [no-such-server] not found"),
])
def test_bad_windows_are_400(api, params, message):
    resp = api.get("/os-simple-tenant-usage", params=params)
    assert resp.status_code == 400 and message in resp.json()["badRequest"]["message"]
