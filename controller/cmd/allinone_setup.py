"""What ``pocketstack up`` makes ready through the cloud's own public APIs, as a user
would, each step idempotent: the ``demo`` project and user, flavors, the
``pocketstack-tiny`` image, a ``private`` network, ping and SSH into the demo project's
guests, and the user's keypair."""
import getpass
import os
import pwd
import subprocess
import time

import requests

from controller.cmd.allinone_files import IMAGE_FILE, IMAGE_NAME, REPO
from controller.cmd.allinone_process import UpError

# name, MB of RAM, vCPUs, GB of root disk. Debian's cloud kernel, which the tiny image
# boots, cannot unpack itself in less than 80 MB, so m1.nano has 128 MB (as DevStack's).
FLAVORS = (
    ("m1.nano", 128, 1, 1),
    ("m1.micro", 192, 1, 1),
    ("m1.tiny", 512, 1, 1),
    ("m1.small", 2048, 1, 20),
)
PRIVATE_CIDR = "10.0.0.0/24"


class Api:
    """Just enough of an OpenStack client to set the cloud up through its public APIs."""

    def __init__(self, base_url, user, password, project):
        self.base_url = base_url
        self.session = requests.Session()
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "password": password, "domain": {"id": "default"}}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
        resp = self.session.post(base_url + "/identity/v3/auth/tokens", json=body, timeout=30)
        self._check(resp, "authenticate as " + user)
        token = resp.json()["token"]
        self.project_id = token["project"]["id"]
        self.user_id = token["user"]["id"]
        self.session.headers["X-Auth-Token"] = resp.headers["X-Subject-Token"]
        self.endpoints = {entry["type"]: next(e["url"] for e in entry["endpoints"]
                                              if e["interface"] == "public")
                          for entry in token["catalog"]}

    @staticmethod
    def _check(resp, what):
        if resp.status_code >= 400:
            raise UpError(f"could not {what}: HTTP {resp.status_code} {resp.text.strip()}")
        return resp

    def url(self, service_type, path):
        return self.endpoints[service_type].rstrip("/") + path

    def get(self, service_type, path, **params):
        return self._check(self.session.get(self.url(service_type, path), params=params,
                                            timeout=30), f"GET {path}").json()

    def post(self, service_type, path, body, what):
        resp = self.session.post(self.url(service_type, path), json=body, timeout=60)
        self._check(resp, what)
        return resp.json() if resp.content else None

    def delete(self, service_type, path):
        resp = self.session.delete(self.url(service_type, path), timeout=60)
        if resp.status_code not in (202, 204, 404):
            self._check(resp, f"DELETE {path}")


def _one(items, name):
    matches = [item for item in items if item.get("name") == name]
    return matches[0] if matches else None


def ensure_demo_identity(admin, demo_password):
    project = _one(admin.get("identity", "/v3/projects", name="demo")["projects"], "demo")
    if project is None:
        project = admin.post("identity", "/v3/projects", {"project": {
            "name": "demo", "domain_id": "default",
            "description": "pocketstack's demo project"}}, "create project demo")["project"]
    user = _one(admin.get("identity", "/v3/users", name="demo")["users"], "demo")
    if user is None:
        user = admin.post("identity", "/v3/users", {"user": {
            "name": "demo", "domain_id": "default", "password": demo_password,
            "default_project_id": project["id"]}}, "create user demo")["user"]
    role = _one(admin.get("identity", "/v3/roles", name="member")["roles"], "member")
    resp = admin.session.put(admin.url(
        "identity", f"/v3/projects/{project['id']}/users/{user['id']}/roles/{role['id']}"),
        timeout=30)
    admin._check(resp, "give demo the member role")
    return project


def ensure_flavors(admin):
    existing = {f["name"] for f in admin.get("compute", "/flavors")["flavors"]}
    for name, ram, vcpus, disk in FLAVORS:
        if name not in existing:
            admin.post("compute", "/flavors", {"flavor": {
                "name": name, "ram": ram, "vcpus": vcpus, "disk": disk}},
                f"create flavor {name}")


def ensure_image(admin):
    images = admin.get("image", "/v2/images", name=IMAGE_NAME)["images"]
    if any(image["status"] == "active" for image in images):
        return
    for image in images:  # a half-made one from an interrupted run
        admin.delete("image", f"/v2/images/{image['id']}")
    if not os.path.exists(IMAGE_FILE):
        print("building the pocketstack-tiny image", flush=True)
        subprocess.run([os.path.join(REPO, "images", "build.sh")], check=True)
    image = admin.post("image", "/v2/images", {
        "name": IMAGE_NAME, "disk_format": "qcow2", "container_format": "bare",
        "visibility": "public", "min_ram": 80, "os_distro": "pocketstack-tiny"},
        "register the pocketstack-tiny image")
    with open(IMAGE_FILE, "rb") as f:
        resp = admin.session.put(admin.url("image", f"/v2/images/{image['id']}/file"), data=f,
                                 headers={"Content-Type": "application/octet-stream"},
                                 timeout=300)
    admin._check(resp, "upload the pocketstack-tiny image")


def ensure_private_network(demo):
    network = _one(demo.get("network", "/v2.0/networks", name="private")["networks"],
                   "private")
    if network is None:
        network = demo.post("network", "/v2.0/networks", {"network": {"name": "private"}},
                            "create the private network")["network"]
    subnets = demo.get("network", "/v2.0/subnets", network_id=network["id"])["subnets"]
    if not subnets:
        demo.post("network", "/v2.0/subnets", {"subnet": {
            "name": "private-subnet", "network_id": network["id"], "ip_version": 4,
            "cidr": PRIVATE_CIDR, "dns_nameservers": []}}, "create the private subnet")


# What DevStack's tutorials assume the demo project's default group lets in.
DEMO_INGRESS = ({"protocol": "icmp", "port_range_min": None, "port_range_max": None},
                {"protocol": "tcp", "port_range_min": 22, "port_range_max": 22})


def ensure_demo_access(demo):
    """Ping and SSH (IPv4) into the demo project's guests: two ingress rules in its
    default group (which listing makes), added once."""
    group = _one(demo.get("network", "/v2.0/security-groups", name="default")[
        "security_groups"], "default")
    for wanted in DEMO_INGRESS:
        if not any(rule["direction"] == "ingress" and rule["ethertype"] == "IPv4"
                   and rule["remote_ip_prefix"] is None and rule["remote_group_id"] is None
                   and all(rule[key] == value for key, value in wanted.items())
                   for rule in group["security_group_rules"]):
            demo.post("network", "/v2.0/security-group-rules", {"security_group_rule": {
                "security_group_id": group["id"], "direction": "ingress",
                "ethertype": "IPv4", **wanted}}, f"allow {wanted['protocol']} in")


def invoking_user():
    """The user who ran ``sudo pocketstack up`` (their SSH key and clouds.yaml), or root."""
    name = os.environ.get("SUDO_USER") or getpass.getuser()
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return pwd.getpwuid(os.getuid())


def find_ssh_public_key(user):
    for name in ("id_ed25519.pub", "id_ecdsa.pub", "id_rsa.pub"):
        path = os.path.join(user.pw_dir, ".ssh", name)
        if os.path.exists(path):
            return path
    return None


def ensure_keypair(demo, path):
    """Import the user's SSH public key as keypair ``default``, once."""
    if path is None:
        return None
    keyname = "default"
    keypairs = [k["keypair"]["name"] for k in demo.get("compute", "/os-keypairs")["keypairs"]]
    if keyname not in keypairs:
        with open(path) as f:
            demo.post("compute", "/os-keypairs", {"keypair": {
                "name": keyname, "public_key": f.read().strip()}}, "import your SSH key")
    return keyname


def wait_for_agent(admin, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services = admin.get("compute", "/os-services", binary="nova-compute")["services"]
        if any(s["state"] == "up" for s in services):
            return
        time.sleep(0.5)
    raise UpError("no compute agent reported for duty within "
                  f"{timeout} s; see the log for libvirt errors")
