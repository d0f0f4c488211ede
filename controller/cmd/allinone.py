"""``pocketstack up | down | status``: the whole cloud on this machine, in one command.

``up`` writes a configuration on first use, starts the controller's services and a local
agent in one background process (SQLite, in-process messaging), then makes the cloud
ready to use through its own public APIs, exactly as a user would: the ``demo`` project
and user, flavors, the ``pocketstack-tiny`` image, a ``private`` network and a keypair.
It writes ``clouds.yaml`` entries and an ``openrc``. Every step is idempotent, so
re-running ``up`` on a running cloud only checks it.
"""
import argparse
import getpass
import json
import os
import pwd
import secrets
import signal
import socket
import subprocess
import sys
import time

import requests
import yaml

import controller
from controller.cmd import allinone_l3, process_lock

REPO = os.path.dirname(os.path.dirname(os.path.abspath(controller.__file__)))
DEFAULT_CONFIG_DIR = "/etc/pocketstack"
DEFAULT_STATE_PATH = "/var/lib/pocketstack"
IMAGE_NAME = "pocketstack-tiny"
IMAGE_FILE = os.path.join(REPO, "images", "build", "pocketstack-tiny.qcow2")

# name, MB of RAM, vCPUs, GB of root disk. Debian's cloud kernel, which the tiny image
# boots, cannot unpack itself in less than 80 MB, so m1.nano has 128 MB (as DevStack's).
FLAVORS = (
    ("m1.nano", 128, 1, 1),
    ("m1.micro", 192, 1, 1),
    ("m1.tiny", 512, 1, 1),
    ("m1.small", 2048, 1, 20),
)
PRIVATE_CIDR = "10.0.0.0/24"


class UpError(Exception):
    """A step of ``up`` failed; the message says which and why."""


def _say(message):
    print(message, flush=True)


# --------------------------------------------------------------------------- files


class Layout:
    """Where the all-in-one keeps its configuration, secrets, state and logs."""

    def __init__(self, config_dir, state_path=None):
        self.config_dir = config_dir
        self.config_file = os.path.join(config_dir, "pocketstack.conf")
        self.secrets_file = os.path.join(config_dir, "secrets.json")
        self.openrc = os.path.join(config_dir, "openrc")
        self.admin_openrc = os.path.join(config_dir, "admin-openrc")
        self._state_path = state_path

    @property
    def state_path(self):
        if self._state_path:
            return self._state_path
        return _read_ini_value(self.config_file, "DEFAULT", "state_path") or DEFAULT_STATE_PATH

    @property
    def lock(self):
        return process_lock.ProcessLock(os.path.join(self.state_path, "pocketstack.lock"))

    @property
    def log_file(self):
        return os.path.join(self.state_path, "pocketstack.log")

    @property
    def out_file(self):
        return os.path.join(self.state_path, "pocketstack.out")


def _read_ini_value(path, section, key):
    import configparser
    parser = configparser.ConfigParser(interpolation=None)
    if not parser.read(path):
        return None
    if section == "DEFAULT":
        return parser.defaults().get(key)
    return parser.get(section, key, fallback=None)


def _write_private(path, text):
    """Write a file only its owner can read (it holds passwords)."""
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def load_secrets(layout):
    """Passwords made once and kept, so re-running ``up`` changes nothing."""
    try:
        with open(layout.secrets_file) as f:
            values = json.load(f)
    except FileNotFoundError:
        values = {}
    changed = False
    for name in ("admin_password", "demo_password", "service_password"):
        if name not in values:
            values[name] = secrets.token_urlsafe(18)
            changed = True
    if changed:
        _write_private(layout.secrets_file, json.dumps(values, indent=2) + "\n")
    return values


def probe_virt_type():
    """``kvm`` when a guest really runs under KVM here, else ``qemu``.

    /dev/kvm existing proves little: under some nested set-ups it opens, yet a Linux
    guest hangs during boot. So boot the tiny image under KVM for a few seconds and
    look for its first console line.
    """
    if not os.path.exists("/dev/kvm") or not os.path.exists(IMAGE_FILE):
        return "qemu"
    from agent.virt.libvirt.probe import kvm_boots
    return "kvm" if kvm_boots(IMAGE_FILE) else "qemu"


def write_config(layout, args, passwords):
    """The INI file of the all-in-one, written once; later runs keep the operator's edits."""
    if os.path.exists(layout.config_file):
        return False
    os.makedirs(layout.config_dir, exist_ok=True)
    virt_type = args.virt_type if args.virt_type != "auto" else probe_virt_type()
    state_path = args.state_path or DEFAULT_STATE_PATH
    text = f"""\
# pocketstack all-in-one, written by `pocketstack up`. Every option is documented in
# `pocketstack config-sample`. Edit, then `pocketstack down && pocketstack up`.
[DEFAULT]
host = {args.host or socket.gethostname()}
state_path = {state_path}
transport_url = fake://
log_file = {os.path.join(state_path, "pocketstack.log")}

[api]
bind_host = {args.bind_host}
bind_port = {args.port}
public_url = http://{args.public_host or _public_host(args.bind_host)}:{args.port}

[agent]
virt_driver = libvirt

[service_credentials]
username = pocketstack-agent
password = {passwords["service_password"]}

[libvirt]
virt_type = {virt_type}

[l3]
enabled = true
"""
    _write_private(layout.config_file, text)
    return True


def _public_host(bind_host):
    if bind_host not in ("0.0.0.0", "::"):
        return bind_host
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


# --------------------------------------------------------------------------- process


def running(layout):
    """The live all-in-one process (a process_lock.Record), or None."""
    return layout.lock.holder()


def api_url(layout):
    url = _read_ini_value(layout.config_file, "api", "public_url")
    if url:
        return url.rstrip("/")
    port = _read_ini_value(layout.config_file, "api", "bind_port") or "5000"
    return f"http://127.0.0.1:{port}"


def pocketstack_cli(layout, *args):
    result = subprocess.run(
        [sys.executable, "-m", "controller.cmd.cli", *args, "--config-file", layout.config_file],
        capture_output=True, text=True)
    if result.returncode != 0:
        raise UpError(f"pocketstack {args[0]} failed:\n{result.stderr.strip()}")
    return result.stdout


def start_process(layout, timeout=90):
    os.makedirs(layout.state_path, exist_ok=True)
    with open(layout.out_file, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "controller.cmd.controller",
             "--config-file", layout.config_file, "--with-agent",
             "--lock-file", layout.lock.path],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
    url = api_url(layout) + "/identity/v3"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise UpError(f"the controller exited with status {process.returncode}; "
                          f"see {layout.out_file} and {layout.log_file}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return process.pid
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise UpError(f"the APIs did not answer at {url} within {timeout} s; see {layout.log_file}")


def stop_process(record, timeout=60):
    """SIGTERM, then SIGKILL after ``timeout``, to the process of ``record`` only (not
    to another that may have got its pid since). True when it stopped by itself."""
    def alive():
        return process_lock.start_time(record.pid) == record.start_time

    if alive():
        os.kill(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive():
        if time.monotonic() > deadline:
            os.kill(record.pid, signal.SIGKILL)
            return False
        time.sleep(0.2)
    return True


# --------------------------------------------------------------------------- the APIs


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
        _say("building the pocketstack-tiny image")
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


# --------------------------------------------------------------------------- client files


def clouds_yaml_path(user):
    return os.path.join(user.pw_dir, ".config", "openstack", "clouds.yaml")


def write_client_files(layout, url, passwords, user, clouds_yaml=None):
    auth_url = url + "/identity/v3"
    clouds = {
        "pocketstack": ("demo", "demo", passwords["demo_password"]),
        "pocketstack-admin": ("admin", "admin", passwords["admin_password"]),
    }
    path = clouds_yaml or clouds_yaml_path(user)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(path) as f:
            document = yaml.safe_load(f) or {}
    except FileNotFoundError:
        document = {}
    document.setdefault("clouds", {})
    for name, (username, project, password) in clouds.items():
        document["clouds"][name] = {
            "auth": {"auth_url": auth_url, "username": username, "password": password,
                     "project_name": project, "user_domain_name": "Default",
                     "project_domain_name": "Default"},
            "region_name": "RegionOne", "interface": "public", "identity_api_version": 3}
    _write_private(path, yaml.safe_dump(document, default_flow_style=False))
    if clouds_yaml is None and os.getuid() == 0 and user.pw_uid != 0:
        for p in (path, os.path.dirname(path), os.path.dirname(os.path.dirname(path))):
            os.chown(p, user.pw_uid, user.pw_gid)
    for rc, (username, project, password) in ((layout.openrc, clouds["pocketstack"]),
                                             (layout.admin_openrc, clouds["pocketstack-admin"])):
        _write_private(rc, "\n".join([
            f"export OS_AUTH_URL={auth_url}", "export OS_IDENTITY_API_VERSION=3",
            f"export OS_USERNAME={username}", f"export OS_PASSWORD={password}",
            f"export OS_PROJECT_NAME={project}", "export OS_USER_DOMAIN_NAME=Default",
            "export OS_PROJECT_DOMAIN_NAME=Default", "export OS_REGION_NAME=RegionOne", ""]))
    return path


# --------------------------------------------------------------------------- commands


def wait_for_agent(admin, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services = admin.get("compute", "/os-services", binary="pocketstack-agent")["services"]
        if any(s["state"] == "up" for s in services):
            return
        time.sleep(0.5)
    raise UpError("no compute agent reported for duty within "
                  f"{timeout} s; see the log for libvirt errors")


def up(args):
    layout = Layout(args.config_dir, args.state_path)
    started = time.monotonic()
    if os.geteuid() != 0:
        raise UpError("run as root: the agent drives libvirt and makes bridges and namespaces")
    os.makedirs(layout.config_dir, mode=0o755, exist_ok=True)
    passwords = load_secrets(layout)
    if write_config(layout, args, passwords):
        _say(f"wrote {layout.config_file}")
    url = api_url(layout)
    record = running(layout)
    if record is None:
        crashed = layout.lock.crashed()
        if crashed:
            _say(f"pocketstack (pid {crashed.pid}) did not stop cleanly; starting afresh")
        os.makedirs(layout.state_path, exist_ok=True)
        # One argument "--admin-password=X": a generated password may start with "-".
        pocketstack_cli(layout, "bootstrap", f"--admin-password={passwords['admin_password']}",
                        "--public-url", url)
        pid = start_process(layout)
        _say(f"started pocketstack (pid {pid}), logs in {layout.log_file}")
    else:
        _say(f"pocketstack is already running (pid {record.pid})")
    admin = Api(url, "admin", passwords["admin_password"], "admin")
    wait_for_agent(admin)
    ensure_demo_identity(admin, passwords["demo_password"])
    ensure_flavors(admin)
    ensure_image(admin)
    demo = Api(url, "demo", passwords["demo_password"], "demo")
    ensure_private_network(demo)
    ensure_demo_access(demo)
    allinone_l3.ensure_router(demo, allinone_l3.ensure_public_network(admin))
    keyname = ensure_keypair(demo, args.ssh_key or find_ssh_public_key(invoking_user()))
    clouds = write_client_files(layout, url, passwords, invoking_user(), args.clouds_yaml)
    key_arg = f" --key-name {keyname}" if keyname else ""
    _say(f"""
pocketstack is up at {url} ({time.monotonic() - started:.1f} s)
  clouds.yaml: {clouds} (clouds 'pocketstack' = demo, 'pocketstack-admin' = admin)
  openrc:      {layout.openrc}

Try:
  export OS_CLOUD=pocketstack
  openstack server create --image {IMAGE_NAME} --flavor m1.nano --network private{key_arg} --wait vm1
  openstack console log show vm1
  openstack floating ip create public        # then: openstack server add floating ip vm1 <ip>
  pocketstack ssh vm1                        # or: pocketstack exec vm1 -- ping -c1 {{ip}}
  pocketstack trace vm1
""")
    return 0


def delete_all_servers(admin, timeout=120):
    """Servers are deleted through the API so each one's disks and ports go with it."""
    servers = admin.get("compute", "/servers", all_tenants=1)["servers"]
    for server in servers:
        admin.delete("compute", f"/servers/{server['id']}")
    deadline = time.monotonic() + timeout
    while servers and time.monotonic() < deadline:
        servers = admin.get("compute", "/servers", all_tenants=1)["servers"]
        time.sleep(0.5)
    return not servers


def down(args):
    layout = Layout(args.config_dir, args.state_path)
    record = running(layout)
    if record is None and layout.lock.crashed():
        # Guests, ports and their daemons outlive a crash: start the cloud once more
        # so that deleting the servers through the API cleans them up as usual.
        _say("pocketstack did not stop cleanly; starting it to clean up")
        start_process(layout)
        record = running(layout)
    if record is None:
        _say("pocketstack is not running")
        return 0
    passwords = load_secrets(layout)
    try:
        admin = Api(api_url(layout), "admin", passwords["admin_password"], "admin")
        count = len(admin.get("compute", "/servers", all_tenants=1)["servers"])
        if count:
            _say(f"deleting {count} server(s)")
            if not delete_all_servers(admin):
                _say("some servers did not go away in time; the agent cleans up on exit")
    except (UpError, requests.RequestException) as exc:
        _say(f"could not delete servers through the API ({exc}); stopping anyway")
    clean = stop_process(record)
    layout.lock.forget()
    pocketstack_cli(layout, "l3-cleanup")
    _say("pocketstack stopped" + ("" if clean else " (killed after a timeout)"))
    return 0


def status(args):
    layout = Layout(args.config_dir, args.state_path)
    record = running(layout)
    if record is None:
        crashed = layout.lock.crashed()
        _say("pocketstack is not running" + (
            f" (pid {crashed.pid} did not stop cleanly: 'pocketstack down' cleans up)"
            if crashed else ""))
        return 3
    url = api_url(layout)
    _say(f"pocketstack is running (pid {record.pid}) at {url}")
    passwords = load_secrets(layout)
    try:
        admin = Api(url, "admin", passwords["admin_password"], "admin")
    except (UpError, requests.RequestException) as exc:
        _say(f"  the APIs do not answer: {exc}")
        return 1
    for service in admin.get("compute", "/os-services")["services"]:
        _say(f"  {service['binary']:<24} {service['host']:<24} {service['status']:<9} "
             f"{service['state']}")
    servers = admin.get("compute", "/servers", all_tenants=1)["servers"]
    _say(f"  servers: {len(servers)}")
    return 0


def parser():
    p = argparse.ArgumentParser(prog="pocketstack", description=__doc__.split("\n")[0])
    p.add_argument("--config-dir", default=os.environ.get("POCKETSTACK_CONFIG_DIR",
                                                          DEFAULT_CONFIG_DIR))
    p.add_argument("--state-path", help=f"state directory (default {DEFAULT_STATE_PATH})")
    return p


def _run(function, argv, extra=None):
    p = parser()
    if extra:
        extra(p)
    args = p.parse_args(argv)
    try:
        return function(args)
    except UpError as exc:
        print(f"pocketstack: {exc}", file=sys.stderr)
        return 1
    except requests.RequestException as exc:
        print(f"pocketstack: the APIs did not answer: {exc}", file=sys.stderr)
        return 1


def _up_options(p):
    p.add_argument("--bind-host", default="127.0.0.1",
                   help="address the APIs listen on (0.0.0.0 to reach them from elsewhere)")
    p.add_argument("--public-host", help="host name or address written into the catalog")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--host", help="the agent's host name (default: this machine's); a "
                                  "second cloud on one machine needs its own, as an agent "
                                  "removes the guests of its host that its cloud lacks")
    p.add_argument("--virt-type", choices=("auto", "kvm", "qemu"), default="auto",
                   help="auto: kvm when a guest really boots under KVM here, else qemu")
    p.add_argument("--ssh-key", help="SSH public key to import as keypair 'default' "
                                     "(default: ~/.ssh/id_*.pub of the invoking user)")
    p.add_argument("--clouds-yaml", help="write the clouds.yaml entries here instead of "
                                         "~/.config/openstack/clouds.yaml")


def main_up(argv):
    return _run(up, argv, _up_options)


def main_down(argv):
    return _run(down, argv)


def main_status(argv):
    return _run(status, argv)


if __name__ == "__main__":
    sys.exit(main_up(sys.argv[1:]))
