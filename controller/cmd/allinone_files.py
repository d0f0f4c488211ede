"""Where the all-in-one keeps its configuration, secrets, state and logs, and the files
``pocketstack up`` writes once: ``pocketstack.conf``, the secrets, ``clouds.yaml`` and the
openrc files."""
import json
import os
import secrets
import socket

import yaml

import controller
from controller.cmd import process_lock

REPO = os.path.dirname(os.path.dirname(os.path.abspath(controller.__file__)))
DEFAULT_CONFIG_DIR = "/etc/pocketstack"
DEFAULT_STATE_PATH = "/var/lib/pocketstack"
# The console proxy listens next to the APIs: 6080 beside 5000, as in DevStack.
CONSOLE_PROXY_PORT_OFFSET = 1080
IMAGE_NAME = "pocketstack-tiny"
IMAGE_FILE = os.path.join(REPO, "images", "build", "pocketstack-tiny.qcow2")


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



def api_url(layout):
    url = _read_ini_value(layout.config_file, "api", "public_url")
    if url:
        return url.rstrip("/")
    port = _read_ini_value(layout.config_file, "api", "bind_port") or "5000"
    return f"http://127.0.0.1:{port}"


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
    public = f"http://{args.public_host or _public_host(args.bind_host)}"
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

[console_proxy]
host = {args.bind_host}
port = {args.port + CONSOLE_PROXY_PORT_OFFSET}

[vnc]
novncproxy_base_url = {public}:{args.port + CONSOLE_PROXY_PORT_OFFSET}/vnc_lite.html

[serial_console]
base_url = {public.replace("http", "ws", 1)}:{args.port + CONSOLE_PROXY_PORT_OFFSET}/
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
