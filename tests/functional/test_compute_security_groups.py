"""Nova's security group calls against the network service's groups (fake driver): a
server's groups from its ports, groups in create, add/removeSecurityGroup, and the
proxy /os-security-groups up to 2.35 — over HTTP and with the stock CLI."""

import pytest
import requests


@pytest.fixture(scope="module")
def api(compute_session):
    return compute_session()


@pytest.fixture(scope="module")
def networking(cloud, api):
    session = requests.Session()
    session.headers["X-Auth-Token"] = api.token
    session.base = cloud.url + "/networking/v2.0"
    return session


@pytest.fixture(scope="module")
def network(networking):
    network = networking.post(networking.base + "/networks",
                              json={"network": {"name": "sg-lan"}}, timeout=30).json()["network"]
    networking.post(networking.base + "/subnets", timeout=30, json={"subnet": {
        "network_id": network["id"], "ip_version": 4, "cidr": "10.21.0.0/24"}}
    ).raise_for_status()
    return network


@pytest.fixture(scope="module")
def image_id(cloud):
    return cloud.blank_image("sg-tiny", "--public")["id"]


@pytest.fixture(scope="module")
def flavor_id(api):
    resp = api.post("/flavors", {"flavor": {"name": "sg-small", "ram": 64, "vcpus": 1,
                                            "disk": 1, "id": "sg-small"}})
    assert resp.status_code == 200, resp.text
    return "sg-small"


def group(networking, name):
    resp = networking.post(networking.base + "/security-groups", timeout=30,
                           json={"security_group": {"name": name}})
    assert resp.status_code == 201, resp.text
    return resp.json()["security_group"]


def server(api, image_id, flavor_id, network, name, expect=202, **fields):
    resp = api.post("/servers", {"server": dict(
        name=name, imageRef=image_id, flavorRef=flavor_id,
        networks=[{"uuid": network["id"]}], **fields)})
    assert resp.status_code == expect, resp.text
    return resp.json()


def test_servers_have_their_ports_groups(api, networking, network, image_id, flavor_id):
    web = group(networking, "sg-web")
    created = server(api, image_id, flavor_id, network, "sg-vm",
                     security_groups=[{"name": "sg-web"}, {"name": "default"}])
    assert created["server"]["security_groups"] == [{"name": "sg-web"},
                                                    {"name": "default"}]
    shown = api.wait_for_server(created["server"]["id"])
    assert shown["status"] == "ACTIVE", shown.get("fault")
    assert sorted(g["name"] for g in shown["security_groups"]) == ["default", "sg-web"]
    detail = {s["id"]: s for s in api.get("/servers/detail").json()["servers"]}
    assert sorted(g["name"] for g in detail[shown["id"]]["security_groups"]) == [
        "default", "sg-web"]
    listed = api.get(f"/servers/{shown['id']}/os-security-groups").json()["security_groups"]
    by_name = {g["name"]: g for g in listed}
    assert by_name["sg-web"]["id"] == web["id"] and by_name["sg-web"]["rules"] == []
    default_rules = by_name["default"]["rules"]
    assert len(default_rules) == 2                       # ingress only, as Nova shows
    assert default_rules[0]["group"] == {"name": "default", "tenant_id": api.project_id}

    # remove, then add again: the port follows
    action = f"/servers/{shown['id']}/action"
    assert api.post(action, {"removeSecurityGroup": {"name": "sg-web"}}).status_code == 202
    assert [g["name"] for g in api.get(f"/servers/{shown['id']}/os-security-groups")
            .json()["security_groups"]] == ["default"]
    again = api.post(action, {"removeSecurityGroup": {"name": "sg-web"}})
    assert again.status_code == 400 and "not associated" in again.json()["badRequest"][
        "message"]
    assert api.post(action, {"addSecurityGroup": {"name": web["id"]}}).status_code == 202
    twice = api.post(action, {"addSecurityGroup": {"name": "sg-web"}})
    assert twice.status_code == 400 and "already associated" in twice.json()[
        "badRequest"]["message"]
    missing = api.post(action, {"addSecurityGroup": {"name": "nope"}})
    assert missing.status_code == 404 and "nope" in missing.json()["itemNotFound"]["message"]
    bad = api.post(action, {"addSecurityGroup": {}})
    assert bad.status_code == 400
    ports = networking.get(networking.base + "/ports", timeout=30,
                           params={"device_id": shown["id"]}).json()["ports"]
    assert web["id"] in ports[0]["security_groups"]
    assert api.delete(f"/servers/{shown['id']}").status_code == 204
    api.wait_for_server(shown["id"], (None,))


def test_unknown_group_in_create_is_400(api, network, image_id, flavor_id):
    refused = server(api, image_id, flavor_id, network, "sg-bad", expect=400,
                     security_groups=[{"name": "no-such-group"}])
    assert "Security group no-such-group not found." in refused["badRequest"]["message"]


def test_proxy_api_up_to_2_35(compute_session, networking):
    old = compute_session(microversion="2.35")
    created = old.post("/os-security-groups", {"security_group": {
        "name": "proxy-sg", "description": "via nova"}})
    assert created.status_code == 200, created.text
    sg = created.json()["security_group"]
    assert (sg["name"], sg["description"], sg["rules"]) == ("proxy-sg", "via nova", [])
    rule = old.post("/os-security-group-rules", {"security_group_rule": {
        "parent_group_id": sg["id"], "ip_protocol": "tcp", "from_port": 22,
        "to_port": 22, "cidr": "10.0.0.0/8"}})
    assert rule.status_code == 200, rule.text
    rule = rule.json()["security_group_rule"]
    assert (rule["ip_protocol"], rule["from_port"], rule["to_port"], rule["ip_range"]) == (
        "tcp", 22, 22, {"cidr": "10.0.0.0/8"})
    icmp = old.post("/os-security-group-rules", {"security_group_rule": {
        "parent_group_id": sg["id"], "ip_protocol": "icmp", "from_port": -1,
        "to_port": -1}}).json()["security_group_rule"]
    assert (icmp["from_port"], icmp["to_port"], icmp["ip_range"]) == (
        -1, -1, {"cidr": "0.0.0.0/0"})
    dup = old.post("/os-security-group-rules", {"security_group_rule": {
        "parent_group_id": sg["id"], "ip_protocol": "tcp", "from_port": 22,
        "to_port": 22, "cidr": "10.0.0.0/8"}})
    assert dup.status_code == 400 and "already exists" in dup.json()["badRequest"]["message"]
    bad_range = old.post("/os-security-group-rules", {"security_group_rule": {
        "parent_group_id": sg["id"], "ip_protocol": "tcp", "from_port": 30,
        "to_port": 20}})
    assert bad_range.status_code == 400
    # A cidr is kept as given; a parent group must be a uuid (Nova's format).
    host_bits = old.post("/os-security-group-rules", {"security_group_rule": {
        "parent_group_id": sg["id"], "ip_protocol": "udp", "from_port": 53,
        "to_port": 53, "cidr": "10.2.3.124/24"}}).json()["security_group_rule"]
    assert host_bits["ip_range"] == {"cidr": "10.2.3.124/24"}
    assert old.post("/os-security-group-rules", {"security_group_rule": {
        "parent_group_id": "not-a-uuid", "ip_protocol": "tcp", "from_port": 22,
        "to_port": 22}}).status_code == 400
    shown = old.get(f"/os-security-groups/{sg['id']}").json()["security_group"]
    assert {r["id"] for r in shown["rules"]} == {rule["id"], icmp["id"], host_bits["id"]}
    names = {g["name"] for g in old.get("/os-security-groups").json()["security_groups"]}
    assert {"default", "proxy-sg"} <= names
    renamed = old.put(f"/os-security-groups/{sg['id']}", {"security_group": {
        "name": "proxy-sg2", "description": "d"}})
    assert renamed.json()["security_group"]["name"] == "proxy-sg2"
    assert old.delete(f"/os-security-group-rules/{rule['id']}").status_code == 202
    assert old.delete(f"/os-security-group-rules/{rule['id']}").status_code == 404
    assert old.delete(f"/os-security-groups/{sg['id']}").status_code == 202
    gone = old.get(f"/os-security-groups/{sg['id']}")
    assert gone.status_code == 404 and "itemNotFound" in gone.json()
    new = compute_session(microversion="2.36")
    for path in ("/os-security-groups", f"/os-security-groups/{sg['id']}"):
        assert new.get(path).status_code == 404
    assert new.post("/os-security-group-rules", {}).status_code == 404


def test_stock_cli_server_security_group_commands(cloud, network, image_id, flavor_id):
    cloud.openstack("security", "group", "create", "cli-srv-sg")
    created = cloud.openstack("server", "create", "--image", image_id, "--flavor",
                              flavor_id, "--network", network["id"], "--security-group",
                              "cli-srv-sg", "--wait", "cli-sg-vm", timeout=180)
    assert "cli-srv-sg" in str(created["security_groups"])
    cloud.openstack("server", "add", "security", "group", "cli-sg-vm", "default",
                    parse=False)
    shown = cloud.openstack("server", "show", "cli-sg-vm")
    assert "default" in str(shown["security_groups"])
    cloud.openstack("server", "remove", "security", "group", "cli-sg-vm", "cli-srv-sg",
                    parse=False)
    shown = cloud.openstack("server", "show", "cli-sg-vm")
    assert "cli-srv-sg" not in str(shown["security_groups"])
    cloud.openstack("server", "delete", "--wait", "cli-sg-vm", parse=False, timeout=180)
    cloud.openstack("security", "group", "delete", "cli-srv-sg", parse=False)
