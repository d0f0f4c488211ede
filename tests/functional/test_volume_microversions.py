"""A volume's fields as Cinder gives them per microversion and per caller (create and
update answer with the base view; show and detailed lists add what Cinder's extensions
add, admin-only ones for admins), the volume summary (3.12, 3.36) and metadata items."""
import time

import pytest
import requests

from tests.lib.cloud import Cloud

MEMBER_PASSWORD = "member-secret"
BASE = {"id", "name", "description", "size", "status", "attachments", "availability_zone",
        "bootable", "encrypted", "multiattach", "consistencygroup_id", "replication_status",
        "snapshot_id", "source_volid", "volume_type", "metadata", "user_id", "created_at",
        "updated_at", "links"}
EXTENDED = {"os-vol-tenant-attr:tenant_id"}
ADMIN_EXTENDED = {"os-vol-host-attr:host", "os-vol-mig-status-attr:migstat",
                  "os-vol-mig-status-attr:name_id"}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("volume-versions"), roles=["api"],
                     with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()


class Caller:
    def __init__(self, cloud, user, password, project):
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
        resp = requests.post(cloud.auth_url + "/auth/tokens", json=body, timeout=30)
        assert resp.status_code == 201, resp.text
        self.token = resp.headers["X-Subject-Token"]
        self.project_id = resp.json()["token"]["project"]["id"]
        self.base = cloud.url + "/volume/v3"

    def call(self, method, path, body=None, version=None):
        headers = {"X-Auth-Token": self.token}
        if version:
            headers["OpenStack-API-Version"] = f"volume {version}"
        return requests.request(method, self.base + path, json=body, headers=headers,
                                timeout=30)

    def available_volume(self, **spec):
        resp = self.call("POST", "/volumes", {"volume": {"size": 1, **spec}})
        assert resp.status_code == 202, resp.text
        volume = resp.json()["volume"]
        deadline = time.monotonic() + 30
        while self.call("GET", f"/volumes/{volume['id']}").json()["volume"]["status"] \
                != "available":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        return volume


@pytest.fixture(scope="module")
def admin(cloud):
    return Caller(cloud, "admin", "admin-secret", "admin")


@pytest.fixture(scope="module")
def member(cloud):
    cloud.add_member_project("volumes-member", MEMBER_PASSWORD)
    return Caller(cloud, "volumes-member", MEMBER_PASSWORD, "volumes-member")


def test_create_at_3_0_has_the_base_view_only(member, admin):
    volume = member.available_volume(name="base-view")
    assert set(volume) == BASE
    volume = admin.available_volume(name="base-view-admin")
    assert set(volume) == BASE | {"migration_status"}


def test_show_and_detail_add_the_extensions_for_the_caller(member, admin):
    volume = member.available_volume(name="extended")
    shown = member.call("GET", f"/volumes/{volume['id']}").json()["volume"]
    assert set(shown) == BASE | EXTENDED
    assert shown["os-vol-tenant-attr:tenant_id"] == member.project_id
    (listed,) = [v for v in member.call("GET", "/volumes/detail").json()["volumes"]
                 if v["id"] == volume["id"]]
    assert set(listed) == BASE | EXTENDED
    as_admin = admin.call("GET", f"/volumes/{volume['id']}").json()["volume"]
    assert set(as_admin) == BASE | EXTENDED | ADMIN_EXTENDED | {"migration_status"}
    assert as_admin["os-vol-host-attr:host"].count("@") == 1
    renamed = member.call("PUT", f"/volumes/{volume['id']}",
                          {"volume": {"name": "renamed"}}).json()["volume"]
    assert set(renamed) == BASE


@pytest.mark.parametrize("version, added", [
    ("3.12", set()),
    ("3.13", {"group_id"}),
    ("3.48", {"group_id", "shared_targets", "service_uuid"}),
    ("3.63", {"group_id", "shared_targets", "service_uuid", "volume_type_id"}),
    ("3.65", {"group_id", "shared_targets", "service_uuid", "volume_type_id",
              "consumes_quota"}),
])
def test_later_microversions_add_their_fields(member, version, added):
    volume = member.available_volume(name="versioned-" + version)
    shown = member.call("GET", f"/volumes/{volume['id']}", version=version).json()["volume"]
    assert set(shown) == BASE | EXTENDED | added
    if "volume_type_id" in added:
        types = member.call("GET", "/types").json()["volume_types"]
        assert shown["volume_type_id"] in {t["id"] for t in types}


def test_volume_summary(cloud):
    cloud.add_member_project("summary-member", MEMBER_PASSWORD)
    caller = Caller(cloud, "summary-member", MEMBER_PASSWORD, "summary-member")
    assert caller.call("GET", "/volumes/summary").status_code == 404  # before 3.12
    empty = caller.call("GET", "/volumes/summary", version="3.12")
    assert empty.status_code == 200, empty.text
    assert empty.json() == {"volume-summary": {"total_count": 0, "total_size": 0}}
    caller.available_volume(size=1, metadata={"tier": "gold"})
    caller.available_volume(size=2, metadata={"tier": "silver", "team": "a"})
    summary = caller.call("GET", "/volumes/summary", version="3.36").json()
    assert summary["volume-summary"]["total_count"] == 2
    assert summary["volume-summary"]["total_size"] == 3
    metadata = summary["volume-summary"]["metadata"]
    assert sorted(metadata["tier"]) == ["gold", "silver"] and metadata["team"] == ["a"]


def test_admin_summary_of_every_project(admin, member):
    member.available_volume(name="counted")
    own = admin.call("GET", "/volumes/summary", version="3.12").json()["volume-summary"]
    every = admin.call("GET", "/volumes/summary?all_tenants=1",
                       version="3.12").json()["volume-summary"]
    assert every["total_count"] > own["total_count"]
    refused = member.call("GET", "/volumes/summary?all_tenants=1", version="3.12")
    mine = member.call("GET", "/volumes/summary", version="3.12")
    assert refused.json() == mine.json()  # a member's all_tenants is ignored, as in Cinder


def test_metadata_item_update(member):
    volume = member.available_volume(metadata={"a": "1"})
    path = f"/volumes/{volume['id']}/metadata/a"
    resp = member.call("PUT", path, {"meta": {"a": "2"}})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"meta": {"a": "2"}}
    assert member.call("GET", path).json() == {"meta": {"a": "2"}}
    for bad in ({"meta": {"b": "2"}}, {"meta": {"a": "1", "b": "2"}}, {"meta": {}},
                {"meta": None}, {}):
        resp = member.call("PUT", path, bad)
        assert resp.status_code == 400, (bad, resp.text)
    metadata = member.call("GET", f"/volumes/{volume['id']}/metadata").json()
    assert metadata == {"metadata": {"a": "2"}}


SNAPSHOT_BASE = {"id", "name", "description", "volume_id", "size", "status", "metadata",
                 "created_at", "updated_at"}
SNAPSHOT_EXTENDED = {"os-extended-snapshot-attributes:progress",
                     "os-extended-snapshot-attributes:project_id"}


def test_snapshot_fields_per_view_and_microversion(member):
    volume = member.available_volume(name="snapped")
    resp = member.call("POST", "/snapshots", {"snapshot": {"volume_id": volume["id"],
                                                           "name": "snap"}})
    assert resp.status_code == 202, resp.text
    snapshot = resp.json()["snapshot"]
    assert set(snapshot) == SNAPSHOT_BASE
    path = f"/snapshots/{snapshot['id']}"
    deadline = time.monotonic() + 30
    while member.call("GET", path).json()["snapshot"]["status"] != "available":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    shown = member.call("GET", path).json()["snapshot"]
    assert set(shown) == SNAPSHOT_BASE | SNAPSHOT_EXTENDED
    assert shown["os-extended-snapshot-attributes:project_id"] == member.project_id
    assert shown["os-extended-snapshot-attributes:progress"] == "100%"
    (listed,) = [s for s in member.call("GET", "/snapshots").json()["snapshots"]
                 if s["id"] == snapshot["id"]]
    assert set(listed) == SNAPSHOT_BASE
    (detailed,) = [s for s in member.call("GET", "/snapshots/detail").json()["snapshots"]
                   if s["id"] == snapshot["id"]]
    assert set(detailed) == SNAPSHOT_BASE | SNAPSHOT_EXTENDED
    updated = member.call("PUT", path, {"snapshot": {"name": "renamed"}}).json()["snapshot"]
    assert set(updated) == SNAPSHOT_BASE and updated["name"] == "renamed"
    later = member.call("GET", path, version="3.41").json()["snapshot"]
    assert set(later) == SNAPSHOT_BASE | SNAPSHOT_EXTENDED | {"group_snapshot_id", "user_id"}


def test_lists_take_offset_and_an_empty_limit(cloud):
    cloud.add_member_project("paging-member", MEMBER_PASSWORD)
    caller = Caller(cloud, "paging-member", MEMBER_PASSWORD, "paging-member")
    made = [caller.available_volume(name=f"paged-{i}")["id"] for i in range(3)]
    for collection in ("/volumes", "/volumes/detail"):
        listed = caller.call("GET", collection).json()["volumes"]
        assert sorted(v["id"] for v in listed) == sorted(made)
        empty = caller.call("GET", collection + "?limit=0")
        assert empty.status_code == 200, empty.text
        assert empty.json() == {"volumes": []}
        rest = caller.call("GET", collection + "?offset=2&limit=3").json()["volumes"]
        assert [v["id"] for v in rest] == [listed[2]["id"]]
        assert caller.call("GET", collection + "?offset=-1").status_code == 400
    assert caller.call("GET", "/snapshots?limit=0").json() == {"snapshots": []}


def test_volume_type_create_answers_without_qos_specs_id(admin, member):
    created = admin.call("POST", "/types", {"volume_type": {
        "name": "gold", "extra_specs": {"tier": "1"}}})
    assert created.status_code == 200, created.text
    body = created.json()["volume_type"]
    assert set(body) == {"id", "name", "description", "is_public",
                         "os-volume-type-access:is_public", "extra_specs"}
    shown = admin.call("GET", f"/types/{body['id']}").json()["volume_type"]
    assert shown["qos_specs_id"] is None and shown["extra_specs"] == {"tier": "1"}
    assert member.call("POST", "/types", {"volume_type": {"name": "x"}}).status_code == 403
    assert admin.call("DELETE", f"/types/{body['id']}").status_code == 202


def test_force_delete_from_any_status_but_attached(cloud, admin):
    cloud.add_member_project("forcing-member", MEMBER_PASSWORD)
    member = Caller(cloud, "forcing-member", MEMBER_PASSWORD, "forcing-member")
    volume = member.available_volume(name="stuck")
    path = f"/volumes/{volume['id']}/action"
    bootable = member.call("POST", path, {"os-set_bootable": {"bootable": True}})
    assert bootable.status_code == 200, bootable.text
    assert member.call("POST", path, {"os-force_delete": {}}).status_code == 403
    for status in ("maintenance", "attaching", "creating"):
        assert admin.call("POST", path, {"os-reset_status": {"status": status}}
                          ).status_code == 202
    refused = member.call("DELETE", f"/volumes/{volume['id']}")
    assert refused.status_code == 400
    snapshot_volume = member.available_volume(name="with-snapshot")
    snapshot = member.call("POST", "/snapshots", {"snapshot": {
        "volume_id": snapshot_volume["id"]}}).json()["snapshot"]
    deadline = time.monotonic() + 30
    while member.call("GET", f"/snapshots/{snapshot['id']}").json()["snapshot"][
            "status"] != "available":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    snap_path = f"/snapshots/{snapshot['id']}/action"
    assert admin.call("POST", snap_path, {"os-reset_status": {"status": "creating"}}
                      ).status_code == 202
    assert admin.call("POST", snap_path, {"os-force_delete": {}}).status_code == 202
    assert member.call("GET", f"/snapshots/{snapshot['id']}").status_code == 404
    assert admin.call("POST", snap_path, {"os-unknown": {}}).status_code == 400
    assert admin.call("POST", path, {"os-force_delete": {}}).status_code == 202
    assert member.call("GET", f"/volumes/{volume['id']}").status_code == 404
    assert admin.call("POST", path, {"os-force_delete": {}}).status_code == 404


def test_service_fields_follow_the_microversion(admin):
    base = admin.call("GET", "/os-services").json()["services"][0]
    assert "cluster" not in base and "backend_state" not in base
    assert base["state"] == "up" and base["binary"] == "cinder-volume"
    clustered = admin.call("GET", "/os-services", version="3.7").json()["services"][0]
    assert clustered["cluster"] is None and "backend_state" not in clustered
    latest = admin.call("GET", "/os-services", version="3.49").json()["services"][0]
    assert latest["backend_state"] == "up"


def test_quotas_and_limits_carry_cinders_backup_and_group_fields(admin, member):
    path = f"/os-quota-sets/{member.project_id}"
    shown = admin.call("GET", path).json()["quota_set"]
    assert {"backups": 10, "backup_gigabytes": 1000, "groups": 10}.items() <= shown.items()
    updated = admin.call("PUT", path, {"quota_set": {"backups": 3}})
    assert updated.status_code == 200 and updated.json()["quota_set"]["backups"] == 3
    usage = admin.call("GET", path + "?usage=true").json()["quota_set"]
    assert usage["backups"] == {"limit": 3, "in_use": 0, "reserved": 0, "allocated": 0}
    assert admin.call("PUT", path, {"quota_set": {"backups": -2}}).status_code == 400
    absolute = member.call("GET", "/limits").json()["limits"]["absolute"]
    assert (absolute["maxTotalBackups"], absolute["totalBackupsUsed"]) == (3, 0)
    assert absolute["maxTotalBackupGigabytes"] == 1000
    assert admin.call("DELETE", path).status_code == 200


def test_lists_sort_as_asked_and_link_from_a_full_page(cloud):
    cloud.add_member_project("sorting-member", MEMBER_PASSWORD)
    caller = Caller(cloud, "sorting-member", MEMBER_PASSWORD, "sorting-member")
    made = [caller.available_volume(name=name, size=size)
            for name, size in (("b", 2), ("a", 1), ("c", 3))]
    by_name = caller.call("GET", "/volumes/detail?sort_key=name&sort_dir=asc").json()
    assert [v["name"] for v in by_name["volumes"]] == ["a", "b", "c"]
    legacy = caller.call("GET", "/volumes?sort_key=display_name&sort_dir=desc").json()
    assert [v["name"] for v in legacy["volumes"]] == ["c", "b", "a"]
    by_size = caller.call("GET", "/volumes?sort=size:desc").json()["volumes"]
    assert [v["name"] for v in by_size] == ["c", "b", "a"]
    ids = caller.call("GET", "/volumes?sort_key=id&sort_dir=asc").json()["volumes"]
    assert [v["id"] for v in ids] == sorted(v["id"] for v in made)
    full = caller.call("GET", "/volumes?limit=3").json()
    assert len(full["volumes"]) == 3 and full["volumes_links"][0]["rel"] == "next"
    assert "volumes_links" not in caller.call("GET", "/volumes?limit=4").json()
    for bad in ("sort_key=invalid", "sort_dir=sideways", "sort=name:up",
                "sort=name&sort_key=size"):
        refused = caller.call("GET", f"/volumes?{bad}")
        assert refused.status_code == 400 and "badRequest" in refused.json(), bad
    snapshot = caller.call("POST", "/snapshots", {"snapshot": {"volume_id": made[0]["id"],
                                                               "name": "s"}})
    assert snapshot.status_code == 202
    assert caller.call("GET", "/snapshots?sort_key=invalid").status_code == 400
    listed = caller.call("GET", "/snapshots/detail?sort_key=name&sort_dir=asc")
    assert [s["name"] for s in listed.json()["snapshots"]] == ["s"]
