"""Neutron's security groups over real HTTP, with the stock CLI and openstacksdk: the
default group made on first need, groups and rules with every field, list queries,
ports' groups, quotas, and each bad input as Neutron refuses it."""
import openstack
import pytest

from tests.lib.cloud import ADMIN_PASSWORD, Cloud
from tests.lib.networking import Networking, error, member_project

PASSWORD = "sg-secret"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("network-sg"), roles=["api"], with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()


def member(cloud, name):
    return member_project(cloud, name, PASSWORD)


def default_group(client):
    groups = client.get("/security-groups", name="default")["security_groups"]
    assert len(groups) == 1
    return groups[0]


def test_extensions_announce_security_groups(cloud):
    admin = Networking(cloud, "admin", ADMIN_PASSWORD, "admin")
    aliases = {e["alias"] for e in admin.get("/extensions")["extensions"]}
    assert {"security-group", "port-security", "stateful-security-group"} <= aliases


def test_default_group_is_made_once_with_neutrons_rules(cloud):
    client = member(cloud, "sg-default")
    group = default_group(client)
    assert default_group(client)["id"] == group["id"]          # not a second one
    assert group["description"] == "Default security group" and group["stateful"] is True
    assert group["project_id"] == group["tenant_id"] == client.project_id
    rules = {(r["direction"], r["ethertype"], r["remote_group_id"], r["protocol"],
              r["remote_ip_prefix"]) for r in group["security_group_rules"]}
    assert rules == {("egress", "IPv4", None, None, None), ("egress", "IPv6", None, None, None),
                     ("ingress", "IPv4", group["id"], None, None),
                     ("ingress", "IPv6", group["id"], None, None)}
    for rule in group["security_group_rules"]:
        assert rule["security_group_id"] == group["id"]
        assert {"port_range_min", "port_range_max", "description", "created_at",
                "updated_at", "revision_number"} <= set(rule)
    refused = client.request("DELETE", f"/security-groups/{group['id']}")
    assert refused.status_code == 409
    assert error(refused.json())["type"] == "SecurityGroupCannotRemoveDefault"
    refused = client.request("PUT", f"/security-groups/{group['id']}",
                             {"security_group": {"name": "renamed"}})
    assert refused.status_code == 409
    assert error(refused.json())["type"] == "SecurityGroupCannotUpdateDefault"
    renamed = client.create("security_group", expect=409, name="default")
    assert error(renamed)["type"] == "SecurityGroupDefaultAlreadyExists"


def test_group_and_rule_lifecycle(cloud):
    client = member(cloud, "sg-life")
    group = client.create("security_group", name="web", description="web servers")
    assert [(r["direction"], r["ethertype"]) for r in group["security_group_rules"]] == [
        ("egress", "IPv4"), ("egress", "IPv6")]
    rule = client.create("security_group_rule", security_group_id=group["id"],
                         direction="ingress", protocol="tcp", port_range_min=80,
                         port_range_max=443, remote_ip_prefix="10.1.2.3/24",
                         description="http(s)")
    assert (rule["protocol"], rule["port_range_min"], rule["port_range_max"],
            rule["ethertype"], rule["remote_ip_prefix"]) == ("tcp", 80, 443, "IPv4",
                                                             "10.1.2.3/24")
    icmp = client.create("security_group_rule", security_group_id=group["id"],
                         direction="ingress", protocol="icmp", port_range_min=8,
                         port_range_max=0)
    shown = client.get(f"/security-groups/{group['id']}")["security_group"]
    assert {r["id"] for r in shown["security_group_rules"]} >= {rule["id"], icmp["id"]}
    assert client.get(f"/security-group-rules/{rule['id']}")["security_group_rule"] == rule
    updated = client.request("PUT", f"/security-groups/{group['id']}",
                             {"security_group": {"name": "web2", "description": "d"}})
    assert updated.status_code == 200 and updated.json()["security_group"]["name"] == "web2"
    listed = client.get("/security-group-rules", security_group_id=group["id"],
                        direction="ingress", fields="id")["security_group_rules"]
    assert sorted(listed, key=lambda r: r["id"]) == sorted(
        [{"id": rule["id"]}, {"id": icmp["id"]}], key=lambda r: r["id"])
    assert client.request("DELETE", f"/security-group-rules/{icmp['id']}").status_code == 204
    assert client.get(f"/security-group-rules/{icmp['id']}", expect=404)
    assert client.request("DELETE", f"/security-groups/{group['id']}").status_code == 204
    gone = client.get(f"/security-group-rules/{rule['id']}", expect=404)
    assert error(gone)["type"] == "SecurityGroupRuleNotFound"


def test_lists_filter_sort_and_page(cloud):
    client = member(cloud, "sg-list")
    made = [client.create("security_group", name=f"g{i}")["id"] for i in range(3)]
    page = client.get("/security-groups", limit=2, sort_key="name", sort_dir="desc")
    assert [g["name"] for g in page["security_groups"]] == ["g2", "g1"]
    assert page["security_groups_links"][0]["rel"] == "next"
    assert client.get("/security-groups", id=made[1], fields="name")[
        "security_groups"] == [{"name": "g1"}]
    bad = client.get("/security-groups", expect=400, colour="blue")
    assert "colour" in error(bad)["message"]


def test_other_projects_groups_and_rules_are_404(cloud):
    owner, other = member(cloud, "sg-owner"), member(cloud, "sg-other")
    group = owner.create("security_group", name="private")
    rule_id = group["security_group_rules"][0]["id"]
    assert error(other.get(f"/security-groups/{group['id']}", expect=404))[
        "type"] == "SecurityGroupNotFound"
    assert other.get(f"/security-group-rules/{rule_id}", expect=404)
    assert other.request("DELETE", f"/security-groups/{group['id']}").status_code == 404
    added = other.create("security_group_rule", expect=404, security_group_id=group["id"],
                         direction="ingress")
    assert error(added)["type"] == "SecurityGroupNotFound"
    mine = other.create("security_group", name="mine")
    remote = other.create("security_group_rule", expect=404, security_group_id=mine["id"],
                          direction="ingress", remote_group_id=group["id"])
    assert error(remote)["type"] == "SecurityGroupNotFound"
    assert group["id"] not in {g["id"] for g in other.get("/security-groups")[
        "security_groups"]}


BAD_RULES = [
    ({"protocol": "tcp", "port_range_min": 90, "port_range_max": 80},
     400, "SecurityGroupInvalidPortRange"),
    ({"protocol": "tcp", "port_range_min": 1, "port_range_max": 65536},
     400, "SecurityGroupInvalidPortValue"),
    ({"protocol": "udp", "port_range_min": -1, "port_range_max": 5},
     400, "SecurityGroupInvalidPortValue"),
    ({"protocol": "icmp", "port_range_max": 0}, 400, "SecurityGroupMissingIcmpType"),
    ({"protocol": "icmp", "port_range_min": 256}, 400, "SecurityGroupInvalidIcmpValue"),
    ({"protocol": "gre", "port_range_min": 1, "port_range_max": 2},
     400, "SecurityGroupInvalidProtocolForPort"),
    ({"port_range_min": 22, "port_range_max": 22},
     400, "SecurityGroupProtocolRequiredWithPorts"),
    ({"remote_ip_prefix": "2001:db8::/64"}, 400, "SecurityGroupRuleParameterConflict"),
    ({"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"},
     400, "SecurityGroupRuleParameterConflict"),
    ({"protocol": "icmpv6"}, 400, "SecurityGroupEthertypeConflictWithProtocol"),
    ({"protocol": "bogus"}, 400, "SecurityGroupRuleInvalidProtocol"),
    ({"protocol": 256}, 400, "SecurityGroupRuleInvalidProtocol"),
    ({"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": "GROUP"},
     400, "SecurityGroupRemoteGroupAndRemoteIpPrefix"),
    ({"remote_ip_prefix": "not-a-cidr"}, 400, "InvalidInput"),
    ({"direction": "sideways"}, 400, "InvalidInput"),
    ({"ethertype": "IPv5"}, 400, "InvalidInput"),
    ({"remote_group_id": "not-a-uuid"}, 404, "SecurityGroupNotFound"),   # as Neutron
    ({"port_range_min": "x", "protocol": "tcp"}, 400, "SecurityGroupInvalidPortValue"),
    ({"id": "00000000-0000-0000-0000-000000000000"}, 400, "BadRequest"),
    ({"colour": "blue"}, 400, "BadRequest"),
]


def test_bad_rules_are_refused_with_neutrons_errors_and_add_nothing(cloud):
    client = member(cloud, "sg-bad")
    group = client.create("security_group", name="strict")
    for extra, status, error_type in BAD_RULES:
        body = {"security_group_id": group["id"], "direction": "ingress", **extra}
        if body.get("remote_group_id") == "GROUP":
            body["remote_group_id"] = group["id"]
        refused = client.create("security_group_rule", expect=status, **body)
        assert error(refused)["type"] == error_type, (extra, refused)
    missing = client.create("security_group_rule", expect=400, direction="ingress")
    assert "security_group_id" in error(missing)["message"]
    shown = client.get(f"/security-groups/{group['id']}")["security_group"]
    assert len(shown["security_group_rules"]) == 2                # the egress two


def test_duplicate_rules_are_409_however_written(cloud):
    client = member(cloud, "sg-dup")
    group = client.create("security_group", name="dups")
    first = client.create("security_group_rule", security_group_id=group["id"],
                          direction="ingress", protocol="tcp", port_range_min=22,
                          port_range_max=22, remote_ip_prefix="10.0.0.0/8")
    for same in ({"protocol": "tcp"}, {"protocol": "6"}, {"protocol": "TCP"},
                 {"protocol": "tcp", "remote_ip_prefix": "10.20.30.40/8"}):
        body = {"security_group_id": group["id"], "direction": "ingress",
                "port_range_min": 22, "port_range_max": 22,
                "remote_ip_prefix": "10.0.0.0/8", **same}
        refused = client.create("security_group_rule", expect=409, **body)
        assert error(refused)["type"] == "SecurityGroupRuleExists"
        assert first["id"] in error(refused)["message"]
    egress = client.create("security_group_rule", expect=409, security_group_id=group["id"],
                           direction="egress", remote_ip_prefix="0.0.0.0/0")
    assert error(egress)["type"] == "SecurityGroupRuleExists"


def test_ports_get_the_default_group_and_groups_in_use_stay(cloud):
    client = member(cloud, "sg-ports")
    network = client.create("network", name="n")
    client.create("subnet", network_id=network["id"], cidr="10.77.0.0/24")
    port = client.create("port", network_id=network["id"])
    default = default_group(client)
    assert port["security_groups"] == [default["id"]]
    assert port["port_security_enabled"] is True
    web = client.create("security_group", name="web")
    moved = client.request("PUT", f"/ports/{port['id']}",
                           {"port": {"security_groups": [web["id"], default["id"]]}})
    assert sorted(moved.json()["port"]["security_groups"]) == sorted(
        [web["id"], default["id"]])
    assert client.get("/ports", security_groups=web["id"])["ports"][0]["id"] == port["id"]
    in_use = client.request("DELETE", f"/security-groups/{web['id']}")
    assert in_use.status_code == 409 and error(in_use.json())["type"] == "SecurityGroupInUse"
    # Port security off: no groups allowed, none given.
    refused = client.request("PUT", f"/ports/{port['id']}",
                             {"port": {"port_security_enabled": False}})
    assert refused.status_code == 409
    assert error(refused.json())["type"] == "PortSecurityPortHasSecurityGroup"
    opened = client.request("PUT", f"/ports/{port['id']}",
                            {"port": {"port_security_enabled": False,
                                      "security_groups": []}})
    assert opened.status_code == 200, opened.text
    assert opened.json()["port"]["security_groups"] == []
    bare = client.create("port", network_id=network["id"], port_security_enabled=False)
    assert bare["security_groups"] == [] and bare["port_security_enabled"] is False
    both = client.create("port", expect=400, network_id=network["id"],
                         port_security_enabled=False, security_groups=[web["id"]])
    assert error(both)["type"] == "PortSecurityAndIPRequiredForSecurityGroups"
    other = member(cloud, "sg-ports-other").create("security_group", name="theirs")
    foreign = client.create("port", expect=404, network_id=network["id"],
                            security_groups=[other["id"]])
    assert error(foreign)["type"] == "SecurityGroupNotFound"
    assert client.create("port", expect=400, network_id=network["id"],
                         security_groups=["nope"])
    assert client.request("DELETE", f"/security-groups/{web['id']}").status_code == 204
    dhcp = client.get("/ports", device_owner="network:dhcp")["ports"]
    assert dhcp and dhcp[0]["security_groups"] == []


def test_quotas_limit_groups_and_rules(cloud):
    admin = Networking(cloud, "admin", ADMIN_PASSWORD, "admin")
    client = member(cloud, "sg-quota")
    quota = client.get(f"/quotas/{client.project_id}")["quota"]
    assert quota["security_group"] == 10 and quota["security_group_rule"] == 100
    response = admin.request("PUT", f"/quotas/{client.project_id}",
                             {"quota": {"security_group": 2, "security_group_rule": 7}})
    assert response.status_code == 200, response.text
    client.create("security_group", name="one")               # + default = 2 groups
    refused = client.create("security_group", expect=409, name="two")
    assert error(refused)["type"] == "OverQuota"
    details = client.get(f"/quotas/{client.project_id}/details")["quota"]
    assert details["security_group"]["used"] == 2
    assert details["security_group_rule"]["used"] == 6
    group = default_group(client)
    client.create("security_group_rule", security_group_id=group["id"], direction="ingress",
                  protocol="icmp")
    over = client.create("security_group_rule", expect=409, security_group_id=group["id"],
                         direction="ingress", protocol="udp")
    assert error(over)["type"] == "OverQuota"


def test_the_stock_cli(cloud):
    cloud.openstack("security", "group", "create", "cli-sg", "--description", "from cli")
    rule = cloud.openstack("security", "group", "rule", "create", "cli-sg", "--protocol",
                           "tcp", "--dst-port", "22:22", "--remote-ip", "10.9.0.0/16")
    assert rule["port_range_min"] == 22 and rule["remote_ip_prefix"] == "10.9.0.0/16"
    icmp = cloud.openstack("security", "group", "rule", "create", "cli-sg", "--protocol",
                           "icmp", "--icmp-type", "8", "--icmp-code", "0")
    assert (icmp["port_range_min"], icmp["port_range_max"]) == (8, 0)
    listed = cloud.openstack("security", "group", "rule", "list", "cli-sg")
    assert {r["ID"] for r in listed} >= {rule["id"], icmp["id"]}
    shown = cloud.openstack("security", "group", "show", "cli-sg")
    assert shown["description"] == "from cli"
    dup = cloud.openstack("security", "group", "rule", "create", "cli-sg", "--protocol",
                          "tcp", "--dst-port", "22", "--remote-ip", "10.9.0.0/16",
                          check=False, parse=False)
    assert dup.returncode != 0 and "Security group rule already exists" in dup.stderr
    bad = cloud.openstack("security", "group", "rule", "create", "cli-sg", "--ethertype",
                          "IPv6", "--remote-ip", "10.0.0.0/8", check=False, parse=False)
    assert bad.returncode != 0
    assert "Conflicting value ethertype IPv6 for CIDR 10.0.0.0/8" in bad.stderr
    cloud.openstack("security", "group", "set", "cli-sg", "--name", "cli-sg2", parse=False)
    groups = {g["Name"] for g in cloud.openstack("security", "group", "list")}
    assert {"default", "cli-sg2"} <= groups
    cloud.openstack("security", "group", "rule", "delete", rule["id"], parse=False)
    cloud.openstack("security", "group", "delete", "cli-sg2", parse=False)
    quota = {row["Resource"]: row["Limit"]
             for row in cloud.openstack("quota", "show", "--network")}
    assert (quota["security_groups"], quota["security_group_rules"]) == (10, 100)


def test_openstacksdk(cloud):
    conn = openstack.connect(auth_url=cloud.auth_url, username="admin",
                             password=ADMIN_PASSWORD, project_name="admin",
                             user_domain_name="Default", project_domain_name="Default",
                             region_name="RegionOne")
    group = conn.network.create_security_group(name="sdk-sg", stateful=True)
    rule = conn.network.create_security_group_rule(
        security_group_id=group.id, direction="ingress", protocol="udp",
        port_range_min=53, port_range_max=53, ether_type="IPv6")
    assert rule.ether_type == "IPv6" and rule.port_range_max == 53
    assert conn.network.find_security_group("sdk-sg").id == group.id
    assert rule.id in {r.id for r in conn.network.security_group_rules(
        security_group_id=group.id)}
    cloud_group = conn.get_security_group("sdk-sg")
    assert cloud_group["id"] == group.id
    with pytest.raises(openstack.exceptions.ConflictException):
        conn.network.create_security_group_rule(
            security_group_id=group.id, direction="ingress", protocol="udp",
            port_range_min=53, port_range_max=53, ether_type="IPv6")
    conn.network.delete_security_group_rule(rule)
    conn.network.delete_security_group(group)
    assert conn.network.find_security_group("sdk-sg") is None


def test_stateless_groups_cannot_mix_or_flip_while_in_use(cloud):
    client = member(cloud, "sg-stateless")
    network = client.create("network", name="n")
    client.create("subnet", network_id=network["id"], cidr="10.78.0.0/24")
    loose = client.create("security_group", name="loose", stateful=False)
    assert loose["stateful"] is False
    port = client.create("port", network_id=network["id"], security_groups=[loose["id"]])
    assert port["security_groups"] == [loose["id"]]
    flip = client.request("PUT", f"/security-groups/{loose['id']}",
                          {"security_group": {"stateful": True}})
    assert flip.status_code == 409 and error(flip.json())["type"] == "SecurityGroupInUse"
    mixed = client.create("port", expect=400, network_id=network["id"],
                          security_groups=[loose["id"], default_group(client)["id"]])
    assert error(mixed)["type"] == "StatefulSecurityGroupsMixed"
    assert client.request("DELETE", f"/ports/{port['id']}").status_code == 204
    flip = client.request("PUT", f"/security-groups/{loose['id']}",
                          {"security_group": {"stateful": True}})
    assert flip.status_code == 200 and flip.json()["security_group"]["stateful"] is True
