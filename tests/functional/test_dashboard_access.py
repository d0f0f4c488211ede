"""The dashboard's key pairs, security groups and floating IPs over plain HTTP (fake
virt driver): a key pair imported and one made (its private key shown once), a security
group with a rule, a floating IP allocated, associated with a server, disassociated and
released; CSRF on every form; another project sees none of it."""
import re
import subprocess

import pytest

from tests.lib.cloud import ADMIN_PASSWORD
from tests.lib.dashboard import Browser

DEMO_PASSWORD = "demo-secret"


@pytest.fixture(scope="module")
def admin(cloud):
    cloud.add_member_project("demo", DEMO_PASSWORD)
    browser = Browser(cloud)
    assert browser.login("admin", ADMIN_PASSWORD).status_code == 303
    return browser


@pytest.fixture(scope="module")
def demo(cloud, admin):
    browser = Browser(cloud)
    assert browser.login("demo", DEMO_PASSWORD).status_code == 303
    return browser


def test_key_pairs_imported_made_and_deleted(cloud, admin, demo):
    key = cloud.workdir + "/dash-key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    with open(key + ".pub") as f:
        public_key = f.read().strip()
    assert admin.post("/keypairs", {"name": "imported", "public_key": public_key},
                      csrf=False).status_code == 403
    assert admin.post("/keypairs", {"name": "imported",
                                    "public_key": public_key}).status_code == 303
    made = admin.post("/keypairs", {"name": "made"})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    assert "PRIVATE KEY-----" in made.text
    listed = {k["Name"]: k for k in cloud.openstack("keypair", "list")}
    assert set(listed) >= {"imported", "made"}
    page = admin.get("/keypairs").text
    assert listed["imported"]["Fingerprint"] in page and "PRIVATE KEY" not in page
    assert "imported" not in demo.get("/keypairs").text
    bad = admin.post("/keypairs", {"name": "bad", "public_key": "not a key"})
    assert bad.status_code == 400 and 'id="error"' in bad.text
    for name in ("imported", "made"):
        assert admin.post(f"/keypairs/{name}/delete").status_code == 303
    assert "imported" not in admin.get("/keypairs").text


def test_a_security_group_with_a_rule(cloud, admin, demo):
    assert admin.post("/security-groups", {"name": "web"}, csrf=False).status_code == 403
    assert admin.post("/security-groups", {"name": "web",
                                           "description": "http in"}).status_code == 303
    page = admin.get("/security-groups").text
    group_id = re.search(r'data-name="web">.*?/dashboard/security-groups/([^/]+)/delete',
                         page, re.S).group(1)
    added = admin.post(f"/security-groups/{group_id}/rules", {
        "direction": "ingress", "protocol": "tcp", "ports": "8000-8080",
        "remote_ip_prefix": "192.0.2.0/24"})
    assert added.status_code == 303, added.text[:500]
    rules = cloud.openstack("security", "group", "rule", "list", group_id, "--long")
    [rule] = [r for r in rules if r["IP Protocol"] == "tcp"]
    assert rule["Port Range"] == "8000:8080" and rule["IP Range"] == "192.0.2.0/24"
    assert "<td>8000-8080</td>" in admin.get("/security-groups").text
    bad = admin.post(f"/security-groups/{group_id}/rules", {"protocol": "tcp",
                                                             "ports": "lots"})
    assert bad.status_code == 400
    assert "web" not in demo.get("/security-groups").text
    assert demo.post(f"/security-groups/{group_id}/delete").status_code == 404
    assert admin.post(f"/security-group-rules/{rule['ID']}/delete").status_code == 303
    assert "<td>8000-8080</td>" not in admin.get("/security-groups").text
    assert admin.post(f"/security-groups/{group_id}/delete").status_code == 303
    assert 'data-name="web"' not in admin.get("/security-groups").text


@pytest.fixture(scope="module")
def server(cloud):
    """public (external), a private network joined to it by a router, and a server."""
    cloud.openstack("network", "create", "public", "--external",
                    "--provider-network-type", "flat", "--provider-physical-network",
                    "public")
    cloud.openstack("subnet", "create", "public-subnet", "--network", "public",
                    "--subnet-range", "203.0.113.0/24", "--no-dhcp")
    cloud.openstack("network", "create", "private")
    cloud.openstack("subnet", "create", "private-subnet", "--network", "private",
                    "--subnet-range", "10.71.0.0/24")
    cloud.openstack("router", "create", "router1")
    cloud.openstack("router", "set", "router1", "--external-gateway", "public",
                    parse=False)
    cloud.openstack("router", "add", "subnet", "router1", "private-subnet", parse=False)
    cloud.blank_image("tiny", "--public")
    cloud.openstack("flavor", "create", "--vcpus", "1", "--ram", "64", "--disk", "1",
                    "m1.nano")
    return cloud.openstack("server", "create", "--image", "tiny", "--flavor", "m1.nano",
                           "--network", "private", "--wait", "fip-vm")


def test_a_floating_ip_allocated_associated_and_released(cloud, admin, demo, server):
    page = admin.get("/floating-ips").text
    network_id = re.search(r'<option value="([^"]+)">public</option>', page).group(1)
    assert admin.post("/floating-ips", {"network_id": network_id},
                      csrf=False).status_code == 403
    assert admin.post("/floating-ips", {"network_id": network_id}).status_code == 303
    [fip] = cloud.openstack("floating", "ip", "list")
    address = fip["Floating IP Address"]
    assert address in admin.get("/floating-ips").text
    assert address not in demo.get("/floating-ips").text
    associated = admin.post(f"/floating-ips/{fip['ID']}/associate",
                            {"server_id": server["id"]})
    assert associated.status_code == 303, associated.text[:500]
    shown = cloud.openstack("floating", "ip", "show", fip["ID"])
    assert shown["fixed_ip_address"].startswith("10.71.0.")
    row = re.search(rf'data-address="{address}">(.*?)</tr>',
                    admin.get("/floating-ips").text, re.S).group(1)
    assert "fip-vm" in row and shown["fixed_ip_address"] in row and "/disassociate" in row
    assert admin.post(f"/floating-ips/{fip['ID']}/disassociate").status_code == 303
    assert cloud.openstack("floating", "ip", "show", fip["ID"])["port_id"] is None
    assert demo.post(f"/floating-ips/{fip['ID']}/release").status_code == 404
    assert admin.post(f"/floating-ips/{fip['ID']}/release").status_code == 303
    assert cloud.openstack("floating", "ip", "list") == []
