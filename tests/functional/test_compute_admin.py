"""Compute's admin APIs that tempest found missing (issue 18), with the stock CLI where
it has a command: services under Nova's binary names, the deprecated ``os-hosts``
(≤ 2.42), quota classes (the ``default`` class sets every project's defaults), with
two fake agent hosts."""
import time

import pytest
import requests

from tests.lib.cloud import Cloud

DEMO_PASSWORD = "demo-secret"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("compute-admin"),
                     conf={"agent": {"fake_hosts": "2"}})
    try:
        yield instance.start()
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def hosts(cloud, compute_session):
    """The fake hosts' names, once both report up (the cloud's start waits for one)."""
    api = compute_session()
    names = [f"{cloud.sections['DEFAULT']['host']}-{index}" for index in range(2)]
    deadline = time.monotonic() + 90
    while True:
        up = {h["service"]["host"] for h in api.get("/os-hypervisors/detail").json()[
            "hypervisors"]
              if h["state"] == "up"}
        if up >= set(names):
            return names
        assert time.monotonic() < deadline, f"hosts not up: {sorted(up)}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def old_api(compute_session):
    return compute_session(microversion="2.1")


@pytest.fixture(scope="module")
def demo_api(cloud, compute_session):
    cloud.add_member_project("demo", DEMO_PASSWORD)
    return compute_session(user="demo", password=DEMO_PASSWORD, project="demo",
                           microversion="2.1")


@pytest.fixture(scope="module")
def server(cloud, hosts, compute_session):
    """An ACTIVE server on a network of its own (fake guest)."""
    cloud.blank_image("tiny", "--public")
    cloud.openstack("flavor", "create", "--vcpus", "1", "--ram", "64", "--disk", "1",
                    "m1.nano")
    cloud.openstack("network", "create", "admin-lan")
    cloud.openstack("subnet", "create", "--network", "admin-lan", "--subnet-range",
                    "10.9.8.0/24", "admin-lan-v4")
    created = cloud.openstack("server", "create", "--image", "tiny", "--flavor", "m1.nano",
                              "--network", "admin-lan", "--wait", "watched")
    return compute_session().wait_for_server(created["id"], ("ACTIVE",))


def test_services_carry_novas_binary_names(cloud, hosts):
    services = cloud.openstack("compute", "service", "list")
    assert {s["Binary"] for s in services} == {"nova-compute", "nova-conductor",
                                                "nova-scheduler"}
    computes = cloud.openstack("compute", "service", "list", "--service", "nova-compute")
    assert sorted(s["Host"] for s in computes) == hosts
    assert all(s["Zone"] == "nova" for s in computes)


def test_host_list_and_show_with_the_cli(cloud, hosts):
    listed = cloud.openstack("host", "list")
    compute = sorted(h["Host Name"] for h in listed if h["Service"] == "compute")
    assert compute == hosts
    assert {h["Zone"] for h in listed if h["Service"] == "compute"} == {"nova"}
    assert {h["Zone"] for h in listed if h["Service"] != "compute"} == {"internal"}
    assert {h["Service"] for h in listed} == {"compute", "conductor", "scheduler"}
    assert [h["Host Name"] for h in cloud.openstack("host", "list", "--zone", "nova")
            ] == [h["Host Name"] for h in listed if h["Service"] == "compute"]

    shown = cloud.openstack("host", "show", hosts[0])
    assert [row["Project"] for row in shown][:3] == ["(total)", "(used_now)", "(used_max)"]
    assert all(row["Host"] == hosts[0] for row in shown)
    assert shown[2]["CPU"] == 0 and shown[0]["CPU"] > 0


def test_hosts_on_the_wire(old_api, demo_api, hosts, compute_session):
    zone = old_api.get("/os-hosts", params={"zone": "nova"}).json()["hosts"]
    assert sorted(h["host_name"] for h in zone) == hosts
    assert old_api.get("/os-hosts", params={"zone": "xxx"}).json() == {"hosts": []}
    assert len(old_api.get("/os-hosts", params={"zone": ""}).json()["hosts"]) >= 4
    missing = old_api.get("/os-hosts/nowhere")
    assert missing.status_code == 404
    assert missing.json()["itemNotFound"]["message"] == (
        "Compute host nowhere could not be found.")
    # Enabling and power actions are not supported by the driver (Nova's libvirt: 501),
    # after the body, the caller and the host are checked.
    assert old_api.put(f"/os-hosts/{hosts[0]}", {"status": "enable"}).status_code == 501
    assert old_api.put(f"/os-hosts/{hosts[0]}", {}).status_code == 400
    assert old_api.put(f"/os-hosts/{hosts[0]}", {"status": "on"}).status_code == 400
    assert old_api.put("/os-hosts/nowhere", {"status": "enable"}).status_code == 404
    assert old_api.get(f"/os-hosts/{hosts[0]}/reboot").status_code == 501
    assert old_api.get("/os-hosts/nowhere/startup").status_code == 404
    assert demo_api.get("/os-hosts").status_code == 403
    assert demo_api.put(f"/os-hosts/{hosts[0]}", {"status": "enable"}).status_code == 403
    assert demo_api.get(f"/os-hosts/{hosts[0]}/shutdown").status_code == 403
    # Gone from 2.43, as in Nova.
    assert compute_session(microversion="2.43").get("/os-hosts").status_code == 404


def test_default_quota_class_sets_every_projects_defaults(cloud, old_api, demo_api,
                                                          compute_session):
    cloud.openstack("quota", "set", "--default", "--instances", "17", "--cores", "33",
                    parse=False)
    try:
        defaults = {q["Resource"]: q["Limit"]
                    for q in cloud.openstack("quota", "show", "--default", "--compute")}
        assert defaults["instances"] == 17 and defaults["cores"] == 33
        shown = {q["Resource"]: q["Limit"]
                 for q in cloud.openstack("quota", "show", "--compute", "demo")}
        assert shown["instances"] == 17
        # A project's own limit still wins over the class.
        cloud.openstack("quota", "set", "--instances", "3", "demo", parse=False)
        own = cloud.openstack("quota", "show", "--compute", "demo")
        assert {q["Resource"]: q["Limit"] for q in own}["instances"] == 3
        assert demo_api.get("/limits").json()["limits"]["absolute"][
            "maxTotalCores"] == 33
    finally:
        cloud.openstack("quota", "delete", "--compute", "demo", parse=False)
        old_api.put("/os-quota-class-sets/default", {"quota_class_set": {
            "instances": 10, "cores": 20}})


def test_quota_class_sets_on_the_wire(old_api, demo_api, compute_session):
    shown = old_api.get("/os-quota-class-sets/default").json()["quota_class_set"]
    # 2.1: nova-network's and personality files' limits, no server groups' (Nova).
    assert shown["id"] == "default" and shown["fixed_ips"] == -1
    assert "server_groups" not in shown and shown["injected_files"] == 0
    raised = {key: value + 100 for key, value in shown.items() if key != "id"}
    updated = old_api.put("/os-quota-class-sets/gold", {"quota_class_set": raised})
    assert updated.status_code == 200, updated.text
    assert updated.json() == {"quota_class_set": raised}
    assert old_api.get("/os-quota-class-sets/gold").json()["quota_class_set"] == dict(
        raised, id="gold")
    # Another class leaves every project's defaults alone.
    assert old_api.get("/os-quota-class-sets/default").json()["quota_class_set"] == shown

    v250 = compute_session(microversion="2.50")
    body = v250.get("/os-quota-class-sets/gold").json()["quota_class_set"]
    assert "fixed_ips" not in body and body["server_groups"] == 10
    assert "injected_files" in body
    assert v250.put("/os-quota-class-sets/gold", {"quota_class_set": {
        "floating_ips": 1}}).status_code == 400
    v257 = compute_session(microversion="2.57")
    assert "injected_files" not in v257.get("/os-quota-class-sets/gold").json()[
        "quota_class_set"]
    assert v257.put("/os-quota-class-sets/gold", {"quota_class_set": {
        "injected_files": 1}}).status_code == 400

    assert old_api.put("/os-quota-class-sets/gold", {"quota_class_set": {
        "instances": -2}}).status_code == 400
    assert old_api.put("/os-quota-class-sets/gold", {"quota_class_set": {
        "instances": "many"}}).status_code == 400
    assert demo_api.get("/os-quota-class-sets/default").status_code == 403
    assert demo_api.put("/os-quota-class-sets/default", {"quota_class_set": {
        "instances": 1}}).status_code == 403


def test_quota_sets_keep_the_legacy_limits_of_their_microversion(old_api, compute_session):
    project = old_api.project_id
    body = {"force": True, "fixed_ips": 10, "floating_ips": 20, "injected_files": 10,
            "security_groups": 20, "security_group_rules": 20, "metadata_items": 256,
            "injected_file_content_bytes": 20480, "injected_file_path_bytes": 512}
    updated = old_api.put(f"/os-quota-sets/{project}", {"quota_set": body})
    assert updated.status_code == 200, updated.text
    try:
        shown = old_api.get(f"/os-quota-sets/{project}").json()["quota_set"]
        assert {key: shown[key] for key in body if key != "force"} == {
            key: value for key, value in body.items() if key != "force"}
        v236 = compute_session(microversion="2.36")
        assert "fixed_ips" not in v236.get(f"/os-quota-sets/{project}").json()["quota_set"]
        assert v236.put(f"/os-quota-sets/{project}", {"quota_set": {
            "fixed_ips": 1}}).status_code == 400
        detail = v236.get(f"/os-quota-sets/{project}/detail").json()["quota_set"]
        assert detail["injected_files"] == {"limit": 10, "in_use": 0, "reserved": 0}
    finally:
        old_api.delete(f"/os-quota-sets/{project}")


def test_hypervisors_show_host_ip_and_find_by_pattern(cloud, hosts, old_api,
                                                      compute_session):
    shown = cloud.openstack("hypervisor", "show", hosts[0])
    assert shown["host_ip"] == cloud.sections.get("agent", {}).get(
        "my_ip", shown["host_ip"]) and shown["host_ip"].count(".") == 3
    matching = cloud.openstack("hypervisor", "list", "--matching", hosts[1])
    assert [h["Hypervisor Hostname"] for h in matching] == [hosts[1]]

    # Before 2.53: the search and servers routes.
    found = old_api.get(f"/os-hypervisors/{hosts[1]}/search").json()["hypervisors"]
    assert [h["hypervisor_hostname"] for h in found] == [hosts[1]]
    assert isinstance(found[0]["id"], int)
    on_host = old_api.get(f"/os-hypervisors/{hosts[0]}/servers").json()["hypervisors"]
    assert on_host[0]["hypervisor_hostname"] == hosts[0] and "servers" not in on_host[0]
    assert old_api.get("/os-hypervisors/nothing-like-it/search").status_code == 404
    v253 = compute_session(microversion="2.53")
    assert v253.get(f"/os-hypervisors/{hosts[0]}/search").status_code == 404
    # From 2.53: query parameters; an empty servers list from 2.75.
    assert v253.get("/os-hypervisors", params={
        "hypervisor_hostname_pattern": "nothing-like-it"}).status_code == 404
    assert v253.get("/os-hypervisors", params={"hypervisor_hostname_pattern": hosts[0],
                                               "limit": 1}).status_code == 400
    assert v253.get("/os-hypervisors", params={"with_servers": "maybe"}).status_code == 400
    listed = v253.get("/os-hypervisors/detail", params={"with_servers": "true"}).json()
    assert all("servers" not in h and h["host_ip"] for h in listed["hypervisors"])
    v275 = compute_session(microversion="2.75")
    listed = v275.get("/os-hypervisors", params={"with_servers": "1"}).json()
    assert [h["servers"] for h in listed["hypervisors"]] == [[], []]


def test_usage_audit_log_reports_every_compute_host_not_run(old_api, demo_api, hosts):
    logs = old_api.get("/os-instance_usage_audit_log").json()["instance_usage_audit_logs"]
    assert sorted(logs["hosts_not_run"]) == hosts and logs["num_hosts"] == 2
    assert logs["overall_status"] == "0 of 2 hosts done. 0 errors."
    before = old_api.get("/os-instance_usage_audit_log/2026-03-15 10:00:00").json()
    assert before["instance_usage_audit_log"]["period_beginning"] == "2026-02-01 00:00:00"
    assert before["instance_usage_audit_log"]["period_ending"] == "2026-03-01 00:00:00"
    january = old_api.get("/os-instance_usage_audit_log/2026-01-01 00:00:00.5").json()
    assert january["instance_usage_audit_log"]["period_beginning"] == "2025-12-01 00:00:00"
    assert old_api.get("/os-instance_usage_audit_log/yesterday").status_code == 400
    assert demo_api.get("/os-instance_usage_audit_log").status_code == 403


def test_network_proxies_list_what_the_caller_sees(cloud, old_api, demo_api,
                                                   compute_session):
    network = cloud.openstack("network", "create", "--share", "proxied")
    try:
        listed = old_api.get("/os-networks").json()["networks"]
        mine = [n for n in listed if n["id"] == network["id"]]
        assert mine and mine[0]["label"] == "proxied" and "bridge" in mine[0]
        shown = demo_api.get(f"/os-networks/{network['id']}").json()["network"]
        assert shown["label"] == "proxied" and "bridge" not in shown
        tenant = demo_api.get(f"/os-tenant-networks/{network['id']}").json()["network"]
        assert tenant == {"id": network["id"], "cidr": "None", "label": "proxied"}
        assert network["id"] in [n["id"] for n in demo_api.get(
            "/os-tenant-networks").json()["networks"]]
        assert old_api.get("/os-networks/no-such-network").status_code == 404
        assert old_api.post("/os-networks", {"network": {"label": "x"}}).status_code == 410
        assert old_api.delete(f"/os-tenant-networks/{network['id']}").status_code == 410
        assert compute_session(microversion="2.36").get("/os-networks").status_code == 404
    finally:
        cloud.openstack("network", "delete", network["id"], parse=False)


def test_server_ips_by_network(server, old_api, demo_api):
    ips = old_api.get(f"/servers/{server['id']}/ips").json()
    [address] = ips["addresses"]["admin-lan"]
    assert address["version"] == 4 and address["addr"].startswith("10.9.8.")
    assert set(address) == {"version", "addr"}
    assert old_api.get(f"/servers/{server['id']}/ips/admin-lan").json() == {
        "admin-lan": [address]}
    missing = old_api.get(f"/servers/{server['id']}/ips/elsewhere")
    assert missing.status_code == 404
    assert missing.json()["itemNotFound"]["message"] == (
        "Instance is not a member of specified network")
    assert demo_api.get(f"/servers/{server['id']}/ips").status_code == 404


def test_hypervisor_servers_list_the_hosts_servers(server, old_api, compute_session):
    host = server["OS-EXT-SRV-ATTR:host"]
    [hypervisor] = old_api.get(f"/os-hypervisors/{host}/servers").json()["hypervisors"]
    assert hypervisor["servers"] == [{"name": "watched", "uuid": server["id"]}]
    listed = compute_session(microversion="2.53").get(
        "/os-hypervisors", params={"with_servers": "true"}).json()["hypervisors"]
    assert {h["hypervisor_hostname"]: h.get("servers") for h in listed}[host] == [
        {"name": "watched", "uuid": server["id"]}]
    rows = {r["resource"]["project"]: r["resource"]
            for r in old_api.get(f"/os-hosts/{host}").json()["host"]}
    assert rows["(used_max)"]["memory_mb"] == 64
    assert rows[server["tenant_id"]]["cpu"] == 1


def test_volume_proxies(cloud, old_api, demo_api, compute_session):
    created = old_api.post("/os-volumes", {"volume": {
        "size": 1, "display_name": "proxied", "display_description": "via nova",
        "metadata": {"k": "v"}}})
    assert created.status_code == 200, created.text
    volume = created.json()["volume"]
    assert created.headers["Location"].endswith(f"/os-volumes/{volume['id']}")
    assert (volume["displayName"], volume["displayDescription"], volume["size"],
            volume["metadata"], volume["attachments"]) == (
        "proxied", "via nova", 1, {"k": "v"}, [{}])
    shown = old_api.get(f"/os-volumes/{volume['id']}")
    assert shown.status_code == 200, shown.text
    deadline = time.monotonic() + 60
    while old_api.get(f"/os-volumes/{volume['id']}").json()["volume"][
            "status"] != "available":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert volume["id"] in [v["id"] for v in old_api.get("/os-volumes/detail").json()[
        "volumes"]]
    second = old_api.post("/os-volumes", {"volume": {"size": "1"}}).json()["volume"]
    assert len(old_api.get("/os-volumes", params={"limit": 1}).json()["volumes"]) == 1
    assert len(old_api.get("/os-volumes", params={"offset": 1}).json()["volumes"]) >= 1
    for size in ("#$%", "", "0", 0):
        assert old_api.post("/os-volumes", {"volume": {"size": size}}).status_code == 400
    missing = old_api.get("/os-volumes/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and "could not be found" in missing.text
    assert demo_api.get(f"/os-volumes/{volume['id']}").status_code == 404

    snapshot = old_api.post("/os-snapshots", {"snapshot": {
        "volume_id": volume["id"], "display_name": "snap"}})
    assert snapshot.status_code == 200, snapshot.text
    snap = snapshot.json()["snapshot"]
    assert (snap["volumeId"], snap["displayName"], snap["size"]) == (volume["id"], "snap", 1)
    assert snap["id"] in [s["id"] for s in old_api.get("/os-snapshots/detail").json()[
        "snapshots"]]
    assert old_api.get(f"/os-snapshots/{snap['id']}").json()["snapshot"]["id"] == snap["id"]
    deadline = time.monotonic() + 60
    while old_api.get(f"/os-snapshots/{snap['id']}").json()["snapshot"][
            "status"] != "available":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert old_api.delete(f"/os-snapshots/{snap['id']}").status_code == 202
    while old_api.get(f"/os-snapshots/{snap['id']}").status_code != 404:
        assert time.monotonic() < deadline + 60
        time.sleep(0.5)
    for found in (volume, second):
        assert old_api.delete(f"/os-volumes/{found['id']}").status_code == 202
    assert compute_session(microversion="2.36").get("/os-volumes").status_code == 404


def test_a_method_a_path_does_not_serve_finds_no_route(old_api):
    for method, path in (("DELETE", "/images/"), ("DELETE", "/os-security-groups"),
                         ("PATCH", "/servers")):
        resp = old_api.request(method, path)
        assert resp.status_code == 404, (method, path, resp.text)
        assert resp.json()["itemNotFound"]["code"] == 404


def test_server_tags_with_the_cli_and_on_the_wire(cloud, server, compute_session):
    cloud.openstack("server", "set", "--tag", "blue", "--tag", "big", server["id"],
                    "--os-compute-api-version", "2.26", parse=False)
    shown = cloud.openstack("server", "show", server["id"], "--os-compute-api-version",
                            "2.26")
    assert sorted(shown["tags"]) == ["big", "blue"]
    cloud.openstack("server", "unset", "--tag", "big", server["id"],
                    "--os-compute-api-version", "2.26", parse=False)
    api = compute_session(microversion="2.26")
    base = f"/servers/{server['id']}/tags"
    assert api.get(base).json() == {"tags": ["blue"]}
    assert api.get(f"{base}/blue").status_code == 204
    assert api.get(f"{base}/red").status_code == 404
    added = api.put(f"{base}/red")
    assert added.status_code == 201 and added.headers["Location"].endswith(f"{base}/red")
    assert api.put(f"{base}/red").status_code == 204
    assert api.put(f"{base}/a,b").status_code == 400
    assert sorted(api.put(base, {"tags": ["x", "y", "x"]}).json()["tags"]) == ["x", "y"]
    assert sorted(api.get(base).json()["tags"]) == ["x", "y"]
    assert api.put(base, {"tags": [f"t{i}" for i in range(51)]}).status_code == 400
    assert api.delete(f"{base}/nope").status_code == 404
    assert api.delete(f"{base}/x").status_code == 204
    assert api.delete(base).status_code == 204
    assert api.get(base).json() == {"tags": []}
    assert compute_session(microversion="2.25").get(base).status_code == 404


def test_per_user_quotas_within_a_project(cloud, server, demo_api, compute_session):
    api = compute_session(microversion="2.1")
    project, user = demo_api.project_id, demo_api.user_id
    assert api.put(f"/os-quota-sets/{project}", {"quota_set": {"ram": 5120}},
                   params={"user_id": user}).status_code == 200
    try:
        shown = api.get(f"/os-quota-sets/{project}", params={"user_id": user}).json()
        assert shown["quota_set"]["ram"] == 5120
        assert api.get(f"/os-quota-sets/{project}").json()["quota_set"]["ram"] == 51200
        detail = api.get(f"/os-quota-sets/{project}/detail",
                         params={"user_id": user}).json()["quota_set"]
        assert detail["ram"] == {"limit": 5120, "in_use": 0, "reserved": 0}
        # Never above the project's limit.
        too_high = api.put(f"/os-quota-sets/{project}", {"quota_set": {"ram": 60000}},
                           params={"user_id": user})
        assert too_high.status_code == 400
        # Enforced when the user creates servers: 64 MiB each, room for 1 only.
        api.put(f"/os-quota-sets/{project}", {"quota_set": {"ram": 100}},
                params={"user_id": user})
        flavor = api.get("/flavors").json()["flavors"][0]["id"]
        image = next(i["id"] for i in api.get("/images").json()["images"]
                     if i["name"] == "tiny")
        over = demo_api.post("/servers", {"server": {
            "name": "two", "imageRef": image, "flavorRef": flavor, "networks": "none",
            "min_count": 2}})
        assert over.status_code == 403, over.text
        assert "ram" in over.json()["forbidden"]["message"]
    finally:
        api.delete(f"/os-quota-sets/{project}", params={"user_id": user})
    assert api.get(f"/os-quota-sets/{project}", params={"user_id": user}).json()[
        "quota_set"]["ram"] == 51200


def test_inject_network_info_refreshes_the_servers_addresses(cloud, server, old_api,
                                                             demo_api):
    path = f"/servers/{server['id']}/action"
    port = cloud.openstack("port", "list", "--server", server["id"])[0]
    cloud.openstack("port", "set", "--fixed-ip", "subnet=admin-lan-v4,ip-address=10.9.8.77",
                    port["ID"], parse=False)
    try:
        assert old_api.post(path, {"injectNetworkInfo": None}).status_code == 202
        addresses = old_api.get(f"/servers/{server['id']}/ips/admin-lan").json()["admin-lan"]
        assert "10.9.8.77" in [a["addr"] for a in addresses]
        assert demo_api.post(path, {"injectNetworkInfo": {}}).status_code == 404
    finally:
        cloud.openstack("port", "unset", "--fixed-ip",
                        "subnet=admin-lan-v4,ip-address=10.9.8.77", port["ID"],
                        parse=False)
        old_api.post(path, {"injectNetworkInfo": {}})


def test_list_filters_by_address_and_tags(cloud, server, compute_session):
    api = compute_session(microversion="2.26")
    address = server["addresses"]["admin-lan"][0]["addr"]

    def listed(**params):
        return [s["id"] for s in api.get("/servers", params=params).json()["servers"]]

    assert listed(ip=address) == [server["id"]]
    assert listed(ip="10\\.9\\.") == [server["id"]]
    assert listed(ip="9\\.8") == []          # matched from the start, as Nova
    assert listed(ip6="10\\.9") == []
    assert api.get("/servers", params={"ip": "(a"}).status_code == 400
    base = f"/servers/{server['id']}/tags"
    api.put(base, {"tags": ["red", "round"]})
    try:
        assert listed(tags="red,round") == [server["id"]]
        assert listed(tags="red,square") == []
        assert listed(**{"tags-any": "square,red"}) == [server["id"]]
        assert listed(**{"not-tags": "red,square"}) == [server["id"]]
        assert listed(**{"not-tags-any": "square,red"}) == []
    finally:
        api.delete(base)


def test_server_diagnostics(server, old_api, demo_api, compute_session):
    path = f"/servers/{server['id']}/diagnostics"
    found = compute_session(microversion="2.48").get(path)
    assert found.status_code == 200, found.text
    body = found.json()
    assert (body["state"], body["driver"], body["num_cpus"], body["num_nics"]) == (
        "running", "fake", 1, 1)
    assert body["memory_details"]["maximum"] == 64 and body["uptime"] >= 0
    assert set(body["nic_details"][0]) == {
        "mac_address", "rx_octets", "rx_errors", "rx_drop", "rx_packets", "rx_rate",
        "tx_octets", "tx_errors", "tx_drop", "tx_packets", "tx_rate"}
    assert body["nic_details"][0]["mac_address"] == server["addresses"]["admin-lan"][0][
        "OS-EXT-IPS-MAC:mac_addr"]
    legacy = old_api.get(path).json()
    assert legacy["cpu0_time"] == 0 and legacy["memory"] == 64 * 1024
    assert legacy["vda_read"] == 0 and any(key.endswith("_rx") for key in legacy)
    assert demo_api.get(path).status_code in (403, 404)
    assert old_api.get("/servers/00000000-0000-0000-0000-000000000000/diagnostics"
                       ).status_code == 404


def test_hypervisor_uptime_from_its_agent(cloud, hosts, old_api, compute_session):
    [node] = [h for h in old_api.get("/os-hypervisors").json()["hypervisors"]
              if h["hypervisor_hostname"] == hosts[0]]
    found = old_api.get(f"/os-hypervisors/{node['id']}/uptime").json()["hypervisor"]
    assert found["hypervisor_hostname"] == hosts[0] and " up " in found["uptime"]
    shown = cloud.openstack("hypervisor", "show", hosts[0])   # the CLI parses the line
    assert shown["uptime"] and shown["load_average"]
    # An agent that is down cannot tell (400, as Nova).
    services = {s["host"]: s["id"] for s in compute_session().get(
        "/os-services", params={"binary": "nova-compute"}).json()["services"]}
    api = compute_session()
    api.put(f"/os-services/{services[hosts[0]]}", {"forced_down": True})
    try:
        assert old_api.get(f"/os-hypervisors/{node['id']}/uptime").status_code == 400
    finally:
        api.put(f"/os-services/{services[hosts[0]]}", {"forced_down": False})


def test_create_backup_keeps_the_newest_backups(cloud, server, old_api, compute_session):
    api = compute_session(microversion="2.45")
    path = f"/servers/{server['id']}/action"
    images = cloud.url + "/image/v2/images"

    def backups():
        found = requests.get(images, headers={"X-Auth-Token": api.token}, timeout=30,
                             params={"image_type": "backup", "backup_type": "daily",
                                     "instance_uuid": server["id"]}).json()["images"]
        return sorted((image["name"], image["status"]) for image in found)

    def backup(name, session=api):
        answer = session.post(path, {"createBackup": {
            "name": name, "backup_type": "daily", "rotation": 2}})
        assert answer.status_code == 202, answer.text
        session.wait_for_server(server["id"], ("ACTIVE",))
        deadline = time.monotonic() + 60
        while (name, "active") not in backups():
            assert time.monotonic() < deadline, backups()
            time.sleep(0.5)
        return answer

    first = backup("b1")
    assert set(first.json()) == {"image_id"}
    old = backup("b2", old_api)
    assert old.headers["Location"].endswith("/v2/images/" + old.headers["Location"].rsplit(
        "/", 1)[-1]) and not old.text
    backup("b3")
    deadline = time.monotonic() + 60
    while backups() != [("b2", "active"), ("b3", "active")]:
        assert time.monotonic() < deadline, backups()
        time.sleep(0.5)
    assert api.post(path, {"createBackup": {"name": "x", "backup_type": "daily",
                                            "rotation": -1}}).status_code == 400
    assert api.post(path, {"createBackup": {"name": "x"}}).status_code == 400
    # Rotation 0: the new backup goes too.
    assert api.post(path, {"createBackup": {"name": "b4", "backup_type": "daily",
                                            "rotation": 0}}).status_code == 202
    api.wait_for_server(server["id"], ("ACTIVE",))
    deadline = time.monotonic() + 60
    while backups():
        assert time.monotonic() < deadline, backups()
        time.sleep(0.5)


def test_a_server_with_a_volume_is_rescued_and_keeps_it(server, old_api):
    volume = old_api.post("/os-volumes", {"volume": {"size": 1}}).json()["volume"]
    deadline = time.monotonic() + 60
    while old_api.get(f"/os-volumes/{volume['id']}").json()["volume"][
            "status"] != "available":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    attachments = f"/servers/{server['id']}/os-volume_attachments"
    attached = old_api.post(attachments, {"volumeAttachment": {"volumeId": volume["id"]}})
    assert attached.status_code == 200, attached.text
    while old_api.get(f"/os-volumes/{volume['id']}").json()["volume"]["status"] != "in-use":
        assert time.monotonic() < deadline + 60
        time.sleep(0.5)
    action = f"/servers/{server['id']}/action"
    try:
        assert old_api.post(action, {"rescue": None}).status_code == 200
        old_api.wait_for_server(server["id"], ("RESCUE",))
        # Detaching and attaching wait for the unrescue (409, as Nova).
        assert old_api.delete(f"{attachments}/{volume['id']}").status_code == 409
        assert old_api.post(action, {"unrescue": None}).status_code == 202
        old_api.wait_for_server(server["id"], ("ACTIVE",))
    finally:
        old_api.delete(f"{attachments}/{volume['id']}")
        while old_api.get(f"/os-volumes/{volume['id']}").json()["volume"][
                "status"] != "available":
            assert time.monotonic() < deadline + 120
            time.sleep(0.5)
        old_api.delete(f"/os-volumes/{volume['id']}")


def test_flavor_lists_read_is_public_as_nova(cloud, old_api):
    cloud.openstack("flavor", "create", "--private", "--vcpus", "1", "--ram", "64",
                    "--disk", "1", "hidden")
    try:
        for value in ("f", "false", "no", "0", "off", "n"):
            names = [f["name"] for f in old_api.get("/flavors/detail", params={
                "is_public": value}).json()["flavors"]]
            assert "hidden" in names, value
        for value in ("t", "true", "yes", "1", "on", "y"):
            names = [f["name"] for f in old_api.get("/flavors/detail", params={
                "is_public": value}).json()["flavors"]]
            assert "hidden" not in names and "m1.nano" in names, value
        assert old_api.get("/flavors", params={"is_public": "maybe"}).status_code == 400
    finally:
        cloud.openstack("flavor", "delete", "hidden", parse=False)


def test_paths_match_exactly_but_the_version_documents(cloud, old_api):
    """Nova's routes: a trailing slash finds no route (no id given), except on the
    version documents, where their own links lead."""
    assert old_api.get("/os-volumes/").status_code == 404
    assert old_api.get("/os-simple-tenant-usage/").status_code == 404
    assert old_api.get("/servers").status_code == 200
    for path in ("/compute", "/compute/", "/compute/v2.1", "/compute/v2.1/"):
        assert requests.get(cloud.url + path, timeout=10).status_code == 200, path
