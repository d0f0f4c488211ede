"""The compute API driven by the stock ``openstack`` CLI, with the fake virt driver: flavors,
key pairs, a server's whole life, its event history and console, quotas and services."""

import pytest

DEMO_PASSWORD = "demo-secret"


@pytest.fixture(scope="module")
def image(cloud):
    return cloud.blank_image("tiny", "--public")["id"]


@pytest.fixture(scope="module")
def flavor(cloud):
    return cloud.openstack("flavor", "create", "--vcpus", "1", "--ram", "64", "--disk", "1",
                           "--property", "hw:answer=42", "m1.nano")


@pytest.fixture(scope="module")
def demo(cloud):
    """A project with a member user, to see what non-admins may do."""
    cloud.add_member_project("demo", DEMO_PASSWORD)
    return {"user": "demo", "password": DEMO_PASSWORD, "project": "demo"}


@pytest.fixture(scope="module")
def api(compute_session):
    """Raw HTTP for polling: much faster than a CLI call per look."""
    return compute_session()


def settled(api, server_id, status):
    server = api.wait_for_server(server_id, (status,))
    assert server["OS-EXT-STS:task_state"] is None
    return server


def test_flavors(cloud, flavor, demo):
    assert flavor["properties"] == {"hw:answer": "42"}
    listed = {f["Name"]: f for f in cloud.openstack("flavor", "list")}
    assert listed["m1.nano"]["RAM"] == 64 and listed["m1.nano"]["VCPUs"] == 1
    shown = cloud.openstack("flavor", "show", "m1.nano", **demo)
    assert shown["id"] == flavor["id"] and shown["disk"] == 1
    refused = cloud.openstack("flavor", "create", "--ram", "64", "--disk", "1", "mine",
                              check=False, parse=False, **demo)
    assert refused.returncode != 0 and "403" in refused.stderr


def test_server_life(cloud, api, image, flavor):
    keypair = cloud.openstack("keypair", "create", "key1", parse=False).stdout
    assert keypair.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    server = cloud.openstack("server", "create", "--image", "tiny", "--flavor", "m1.nano",
                             "--key-name", "key1", "--property", "role=web", "--wait",
                             "vm1")
    assert server["status"] == "ACTIVE"
    assert server["OS-EXT-SRV-ATTR:host"] == cloud.sections["DEFAULT"]["host"]
    assert server["key_name"] == "key1" and server["properties"] == {"role": "web"}
    assert server["image"] == f"tiny ({image})"
    listed = cloud.openstack("server", "list")
    assert [(s["Name"], s["Status"], s["Flavor"]) for s in listed] == [
        ("vm1", "ACTIVE", "m1.nano")]

    cloud.openstack("server", "stop", "vm1", parse=False)
    assert settled(api, server["id"], "SHUTOFF")["OS-EXT-STS:power_state"] == 4
    cloud.openstack("server", "start", "vm1", parse=False)
    assert settled(api, server["id"], "ACTIVE")["OS-EXT-STS:power_state"] == 1
    cloud.openstack("server", "reboot", "vm1", parse=False)
    settled(api, server["id"], "ACTIVE")

    console = cloud.openstack("console", "log", "show", "vm1", parse=False).stdout
    assert "booted on" in console and "rebooting" in console

    events = cloud.openstack("server", "event", "list", "vm1")
    assert [e["Action"] for e in events] == ["reboot", "start", "stop", "create"]
    create = cloud.openstack("server", "event", "show", "vm1", events[-1]["Request ID"])
    assert [(e["event"], e["result"]) for e in create["events"]] == [
        ("api_validate_token", "Success"), ("compute_api_create", "Success"),
        ("compute__schedule_instances", "Success"),
        ("compute_build_and_run_instance", "Success")]
    assert all(e["start_time"] <= e["finish_time"] for e in create["events"])

    cloud.openstack("server", "delete", "vm1", parse=False)
    assert api.wait_for_server(server["id"], (None,)) is None
    assert cloud.openstack("server", "list") == []


def test_projects_see_only_their_servers(cloud, api, image, flavor, demo):
    mine = cloud.openstack("server", "create", "--image", "tiny", "--flavor", "m1.nano",
                           "--wait", "demo-vm", **demo)
    assert mine["status"] == "ACTIVE"
    assert mine["OS-EXT-SRV-ATTR:host"] is None       # hosts are for admins
    assert cloud.openstack("server", "list") == []    # admin's own project
    everyone = cloud.openstack("server", "list", "--all-projects")
    assert [s["ID"] for s in everyone] == [mine["id"]]
    cloud.openstack("server", "delete", mine["id"], parse=False)
    assert api.wait_for_server(mine["id"], (None,)) is None


def test_quotas(cloud, image, flavor, demo):
    cloud.openstack("quota", "set", "--instances", "0", "--cores", "7", "demo", parse=False)
    shown = {q["Resource"]: q["Limit"]
             for q in cloud.openstack("quota", "show", "--compute", "demo")}
    assert shown["instances"] == 0 and shown["cores"] == 7 and shown["ram"] == 51200
    refused = cloud.openstack("server", "create", "--image", "tiny", "--flavor", "m1.nano",
                              "over", check=False, parse=False, **demo)
    assert "Quota exceeded for instances" in refused.stderr
    denied = cloud.openstack("quota", "set", "--instances", "50", "demo", check=False,
                             parse=False, **demo)
    assert denied.returncode != 0
    cloud.openstack("quota", "delete", "--compute", "demo", parse=False)
    shown = {q["Resource"]: q["Limit"]
             for q in cloud.openstack("quota", "show", "--compute", "demo")}
    assert shown["instances"] == 10


def test_compute_services(cloud):
    host = cloud.sections["DEFAULT"]["host"]
    services = {s["Binary"]: s for s in cloud.openstack("compute", "service", "list")}
    assert set(services) == {"nova-compute", "nova-conductor",
                             "nova-scheduler"}
    assert all(s["State"] == "up" and s["Host"] == host for s in services.values())
    assert services["nova-compute"]["Zone"] == "nova"
    cloud.openstack("compute", "service", "set", "--disable", "--disable-reason", "repairs",
                    host, "nova-compute", parse=False)
    agent = cloud.openstack("compute", "service", "list", "--service", "nova-compute",
                            "--long")[0]
    assert agent["Status"] == "disabled" and agent["Disabled Reason"] == "repairs"
    cloud.openstack("compute", "service", "set", "--enable", host, "nova-compute",
                    parse=False)
    hypervisors = cloud.openstack("hypervisor", "list")
    assert [h["Hypervisor Hostname"] for h in hypervisors] == [host]
    assert hypervisors[0]["Hypervisor Type"] == "fake"
