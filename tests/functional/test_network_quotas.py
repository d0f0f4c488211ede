"""Neutron's quotas over real HTTP and through the stock CLI: defaults from the
configuration, per-project limits and usage, admin-only changes, Neutron's errors, and
enforcement that holds under concurrent creates (through the API on SQLite; through the
core on SQLite and on PostgreSQL)."""
import concurrent.futures

import pytest
from oslo_config import cfg

from conf import network as network_conf
from controller.api import errors
from controller.db import migration
from controller.db.engine import Database
from controller.network import quotas
from controller.network.core import NetworkCore, Scope
from controller.network.ports import PortOperations
from tests.lib import networking, services
from tests.lib.cloud import ADMIN_PASSWORD, Cloud
from tests.lib.networking import error

PASSWORD = "quota-secret"
SUBNET_DEFAULT = 7  # not Neutron's 100: shows the limit comes from [network] quota_subnet
DEFAULTS = {"network": 100, "subnet": SUBNET_DEFAULT, "port": 500, "security_group": 10,
            "security_group_rule": 100, "router": 10, "floatingip": 50}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("network-quotas"), roles=["api"],
                     with_agent=False,
                     conf={"network": {"quota_subnet": str(SUBNET_DEFAULT)}})
    try:
        yield instance.start()
    finally:
        instance.stop()


class Networking(networking.Networking):
    """The networking client, with Neutron's quota requests."""

    def quota(self, project_id, suffix="", expect=200):
        response = self.request("GET", f"/quotas/{project_id}{suffix}")
        assert response.status_code == expect, response.text
        return response.json().get("quota") if expect == 200 else response.json()

    def set_quota(self, project_id, expect=200, **limits):
        response = self.request("PUT", f"/quotas/{project_id}", {"quota": limits})
        assert response.status_code == expect, response.text
        return response.json()


@pytest.fixture(scope="module")
def admin(cloud):
    return Networking(cloud, "admin", ADMIN_PASSWORD, "admin")


def member_project(cloud, name):
    """A new project whose user (of the same name) is a plain member; its client."""
    cloud.add_member_project(name, PASSWORD)
    return Networking(cloud, name, PASSWORD, name)


# --- the API --------------------------------------------------------------------------

def test_extensions_announce_quotas(admin):
    listed = admin.request("GET", "/extensions").json()["extensions"]
    assert {"quotas", "quota_details", "quota-check-limit"} <= {e["alias"] for e in listed}


def test_defaults_come_from_the_configuration(cloud, admin):
    member = member_project(cloud, "quota-defaults")
    assert member.quota(member.project_id, "/default") == DEFAULTS
    assert member.quota(member.project_id) == DEFAULTS
    assert admin.quota(member.project_id) == DEFAULTS
    details = member.quota(member.project_id, "/details")
    assert details == {resource: {"limit": limit, "used": 0, "reserved": 0}
                       for resource, limit in DEFAULTS.items()}


def test_members_read_their_own_quotas_only_and_cannot_change_them(cloud, admin):
    member = member_project(cloud, "quota-member")
    for suffix in ("", "/default", "/details"):
        refused = member.quota(admin.project_id, suffix, expect=403)
        assert error(refused)["type"] == "Forbidden"
    for method, body, action in (("PUT", {"quota": {"port": 1000}}, "update_quota"),
                                 ("DELETE", None, "delete_quota")):
        refused = member.request(method, f"/quotas/{member.project_id}", body)
        assert refused.status_code == 403, refused.text
        assert action in error(refused.json())["message"]
    assert member.quota(member.project_id) == DEFAULTS


def test_bad_quota_updates_are_400_and_change_nothing(cloud, admin):
    project = member_project(cloud, "quota-bad")
    for body, message in (
            ({"quota": {"trunk": 5}}, "Unrecognized attribute(s) 'trunk'"),
            ({"quota": {"port": 5, "floatingip": -3}}, "'-3' is too small"),
            ({"quota": {"port": -2}}, "'-2' is too small - must be at least '-1'"),
            ({"quota": {"port": 2**31}}, "must be no larger than '2147483647'"),
            ({"quota": {"port": "many"}}, "'many' is not an integer for port"),
            ({"quota": {"port": True}}, "'True' is not an integer for port"),
            ({"quota": {"port": None}}, "'None' is not an integer for port"),
            ({"quota": {"port": 5, "force": "maybe"}}, "cannot be converted to boolean"),
            ({"quota": [5]}, "Resource body required"),
            ({"port": 5}, "Resource body required")):
        response = admin.request("PUT", f"/quotas/{project.project_id}", body)
        assert response.status_code == 400, (body, response.text)
        assert message in error(response.json())["message"], body
    assert admin.quota(project.project_id) == DEFAULTS
    # Strings of digits are integers, as Neutron converts them.
    assert admin.set_quota(project.project_id, port="8")["quota"]["port"] == 8


def test_creates_stop_at_each_limit_with_neutrons_409(cloud, admin):
    member = member_project(cloud, "quota-limits")
    changed = admin.set_quota(member.project_id, network=1, subnet=1, port=2)
    assert changed["quota"] == {"network": 1, "subnet": 1, "port": 2, "security_group": 10,
                                "security_group_rule": 100, "router": 10, "floatingip": 50}

    network = member.create("network", name="only")
    over = member.create("network", expect=409, name="second")
    assert error(over) == {"type": "OverQuota", "detail": "",
                           "message": "Quota exceeded for resources: ['network']."}
    member.create("subnet", network_id=network["id"], cidr="10.61.0.0/24",
                  enable_dhcp=False)
    over = member.create("subnet", expect=409, network_id=network["id"],
                         cidr="10.61.1.0/24", enable_dhcp=False)
    assert error(over)["message"] == "Quota exceeded for resources: ['subnet']."

    member.create("port", network_id=network["id"])
    # What an admin creates for the project counts against the project.
    admin.create("port", network_id=network["id"], project_id=member.project_id)
    over = member.create("port", expect=409, network_id=network["id"])
    assert error(over)["message"] == "Quota exceeded for resources: ['port']."
    assert error(admin.create("port", expect=409, network_id=network["id"],
                              project_id=member.project_id))["type"] == "OverQuota"
    assert member.quota(member.project_id, "/details") == {
        "network": {"limit": 1, "used": 1, "reserved": 0},
        "subnet": {"limit": 1, "used": 1, "reserved": 0},
        "port": {"limit": 2, "used": 2, "reserved": 0},
        # The project's default security group, made with its first port.
        "security_group": {"limit": 10, "used": 1, "reserved": 0},
        "security_group_rule": {"limit": 100, "used": 4, "reserved": 0},
        "router": {"limit": 10, "used": 0, "reserved": 0},
        "floatingip": {"limit": 50, "used": 0, "reserved": 0}}

    # Freed room is room again; an unlimited quota never refuses.
    ports = member.request("GET", "/ports").json()["ports"]
    assert member.request("DELETE", f"/ports/{ports[0]['id']}").status_code == 204
    member.create("port", network_id=network["id"])
    admin.set_quota(member.project_id, port=-1)
    member.create("port", network_id=network["id"])


def test_limits_below_usage_need_force(cloud, admin):
    member = member_project(cloud, "quota-force")
    member.create("network")
    member.create("network")
    refused = admin.set_quota(member.project_id, expect=400, network=1, check_limit=True)
    assert error(refused) == {
        "type": "InvalidQuotaValue", "detail": "",
        "message": "Quota limit 1 for network must be greater than or equal to already "
                   "used 2."}
    # Checked by default too (quota-check-limit-default), skipped on request.
    admin.set_quota(member.project_id, expect=400, network=0)
    assert admin.quota(member.project_id)["network"] == 100
    forced = admin.set_quota(member.project_id, network=1, force=True)
    assert forced["quota"]["network"] == 1
    assert member.quota(member.project_id, "/details")["network"] == {
        "limit": 1, "used": 2, "reserved": 0}
    member.create("network", expect=409)


def test_the_dhcp_port_counts_but_is_never_refused(cloud, admin):
    """As in Neutron: the DHCP port is its network owner's, so it counts toward that
    project's ports, but a quota refuses only what callers ask to create."""
    member = member_project(cloud, "quota-dhcp")
    admin.set_quota(member.project_id, port=1)
    network = member.create("network")
    member.create("subnet", network_id=network["id"], cidr="10.62.0.0/24")
    assert member.quota(member.project_id, "/details")["port"]["used"] == 1
    assert error(member.create("port", expect=409,
                               network_id=network["id"]))["type"] == "OverQuota"

    admin.set_quota(member.project_id, port=0, force=True)
    other = member.create("network")
    member.create("subnet", network_id=other["id"], cidr="10.62.1.0/24")
    assert member.quota(member.project_id, "/details")["port"] == {
        "limit": 0, "used": 2, "reserved": 0}


def test_list_and_delete(cloud, admin):
    first = member_project(cloud, "quota-list-1")
    second = member_project(cloud, "quota-list-2")
    admin.set_quota(first.project_id, port=11)
    admin.set_quota(second.project_id, subnet=12)

    listed = {row["project_id"]: row
              for row in admin.request("GET", "/quotas").json()["quotas"]}
    assert listed[first.project_id] == {**DEFAULTS, "port": 11,
                                        "project_id": first.project_id,
                                        "tenant_id": first.project_id}
    assert listed[second.project_id]["subnet"] == 12
    # A member sees its own project only.
    seen = first.request("GET", "/quotas").json()["quotas"]
    assert [row["project_id"] for row in seen] == [first.project_id]

    deleted = admin.request("DELETE", f"/quotas/{first.project_id}")
    assert deleted.status_code == 204
    assert admin.quota(first.project_id) == DEFAULTS
    listed = {row["project_id"] for row in admin.request("GET", "/quotas").json()["quotas"]}
    assert first.project_id not in listed and second.project_id in listed


def test_concurrent_port_creates_leave_exactly_the_quota(cloud, admin):
    member = member_project(cloud, "quota-race")
    admin.set_quota(member.project_id, port=5)
    network = member.create("network")

    def create(_):
        return member.request("POST", "/ports", {"port": {"network_id": network["id"]}})

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(create, range(20)))
    codes = sorted(response.status_code for response in responses)
    assert codes == [201] * 5 + [409] * 15, [r.text for r in responses]
    assert {error(r.json())["type"] for r in responses if r.status_code == 409} == {
        "OverQuota"}
    assert len(member.request("GET", "/ports").json()["ports"]) == 5


# --- the core on SQLite and PostgreSQL ----------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/network.sqlite"
        migration.upgrade(url)
        database = Database(url)
        yield database
        database.dispose()
        return
    with services.postgres_database() as url:
        migration.upgrade(url)
        database = Database(url)
        yield database
        database.dispose()


def test_concurrent_creates_of_two_projects_each_stop_at_their_quota(db):
    conf = cfg.ConfigOpts()
    conf.register_opts(network_conf.server_opts, group="network")
    conf([], default_config_files=[])
    core = NetworkCore(db, conf)
    port_ops = PortOperations(core)
    networks = {}
    for project in ("p1", "p2"):
        with db.session() as session:
            quotas.set_limits(session, project, {"port": 5}, check_usage=True)
        networks[project] = core.create_network(project).id

    def create(index):
        project = ("p1", "p2")[index % 2]
        try:
            port_ops.create_port(project, networks[project], Scope(project))
            return project
        except errors.ApiError as exc:
            return exc.status, exc.error_type

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(create, range(40)))
    assert sorted(r for r in results if isinstance(r, str)) == ["p1"] * 5 + ["p2"] * 5
    assert {r for r in results if not isinstance(r, str)} == {(409, "OverQuota")}
    with db.session() as session:
        assert quotas.project_usage(session, "p1")["port"] == 5
        assert quotas.project_usage(session, "p2")["port"] == 5


# --- the stock CLI --------------------------------------------------------------------

def limits_of(rows):
    return {row["Resource"]: row["Limit"] for row in rows}


def test_cli_quota_show_without_flags(cloud, admin):
    member = member_project(cloud, "quota-cli-show")
    shown = limits_of(cloud.openstack("quota", "show"))
    assert (shown["networks"], shown["subnets"], shown["ports"]) == (100, 7, 500)
    assert shown["instances"] == 10 and shown["volumes"] == 10   # still all services
    member.create("network")
    used = cloud.openstack("quota", "show", "--usage", "--network", user="quota-cli-show",
                           password=PASSWORD, project="quota-cli-show")
    assert {row["Resource"]: (row["Limit"], row["In Use"]) for row in used} == {
        "networks": (100, 1), "subnets": (7, 0), "ports": (500, 0),
        "security_groups": (10, 0), "security_group_rules": (100, 0), "routers": (10, 0),
        "floating_ips": (50, 0)}


def test_cli_quota_set_is_enforced_and_delete_restores_defaults(cloud, admin):
    member = member_project(cloud, "quota-cli-set")
    cloud.openstack("quota", "set", "--ports", "3", "quota-cli-set", parse=False)
    network = member.create("network", name="cli-quota-net")
    for _ in range(3):
        member.create("port", network_id=network["id"])
    as_member = {"user": "quota-cli-set", "password": PASSWORD, "project": "quota-cli-set"}
    fourth = cloud.openstack("port", "create", "--network", "cli-quota-net", "fourth",
                             check=False, parse=False, **as_member)
    assert fourth.returncode != 0
    assert "Quota exceeded for resources: ['port']." in fourth.stderr

    below = cloud.openstack("quota", "set", "--ports", "2", "quota-cli-set", check=False,
                            parse=False)
    assert below.returncode != 0 and "already used 3" in below.stderr
    denied = cloud.openstack("quota", "set", "--ports", "9", member.project_id,
                             check=False, parse=False, **as_member)
    assert denied.returncode != 0 and "403" in denied.stderr

    cloud.openstack("quota", "delete", "--network", "quota-cli-set", parse=False)
    shown = limits_of(cloud.openstack("quota", "show", "--network", "quota-cli-set"))
    assert shown["ports"] == 500
    port = cloud.openstack("port", "create", "--network", "cli-quota-net", "fourth",
                           **as_member)
    assert port["name"] == "fourth"
