"""A real pocketstack cloud for tests: the controller as a subprocess on a free port,
bootstrapped, driven over HTTP by the stock clients from their own venv."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import requests

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADMIN_PASSWORD = "admin-secret"
SERVICE_PASSWORD = "agent-secret"


def clients_venv():
    """The separate venv holding python-openstackclient and python-glanceclient."""
    return os.environ.get("POCKETSTACK_CLIENTS_VENV", os.path.join(REPO, ".venv-clients"))


def client_bin(name):
    path = os.path.join(clients_venv(), "bin", name)
    if not os.path.exists(path):
        raise RuntimeError(f"stock client {path} is missing: run tools/install.sh "
                           f"(or set POCKETSTACK_CLIENTS_VENV)")
    return path


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cloud:
    """One controller process (plus, by default, an in-process agent with the fake driver).

    ``conf`` is a dict of INI sections merged over the defaults, e.g.
    ``{"agent": {"virt_driver": "libvirt"}}``.
    """

    def __init__(self, workdir, conf=None, roles=None, with_agent=True):
        self.workdir = str(workdir)
        self.port = free_port()
        self.console_port = free_port()
        self.roles = roles
        self.with_agent = with_agent
        self.sections = {
            "DEFAULT": {"host": "aio-" + os.path.basename(self.workdir),
                        "state_path": os.path.join(self.workdir, "state"),
                        "transport_url": "fake://",
                        "debug": "true",
                        "log_file": os.path.join(self.workdir, "controller.log")},
            "api": {"bind_host": "127.0.0.1", "bind_port": str(self.port)},
            # The console proxy of this cloud alone, on loopback.
            "console_proxy": {"host": "127.0.0.1", "port": str(self.console_port)},
            "vnc": {"novncproxy_base_url":
                    f"http://127.0.0.1:{self.console_port}/vnc_lite.html"},
            "serial_console": {"base_url": f"ws://127.0.0.1:{self.console_port}/"},
            # The agent's service user; bootstrap creates it with this password.
            "service_credentials": {"username": "pocketstack-agent",
                                    "password": SERVICE_PASSWORD},
            # The cheapest Argon2id (as Keystone's tests lower password_hash_rounds):
            # every token the tests and stock CLIs ask for checks a password, 40 ms of
            # CPU each at the production cost.
            "identity": {"argon2_time_cost": "1", "argon2_memory_cost": "8"},
        }
        for section, values in (conf or {}).items():
            self.sections.setdefault(section, {}).update(values)
        self.config_file = os.path.join(self.workdir, "pocketstack.conf")
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth_url(self):
        return self.url + "/identity/v3"

    def write_config(self):
        os.makedirs(self.workdir, exist_ok=True)
        with open(self.config_file, "w") as f:
            for section, values in self.sections.items():
                f.write(f"[{section}]\n")
                for key, value in values.items():
                    f.write(f"{key} = {value}\n")
                f.write("\n")

    def pocketstack(self, *args, check=True):
        """Run the operator CLI against this cloud's configuration."""
        return subprocess.run(
            [sys.executable, "-m", "controller.cmd.cli", *args, "--config-file", self.config_file],
            cwd=REPO, capture_output=True, text=True, check=check, timeout=120)

    def start(self, timeout=60):
        self.write_config()
        self.pocketstack("bootstrap", "--admin-password", ADMIN_PASSWORD)
        cmd = [sys.executable, "-m", "controller.cmd.controller", "--config-file", self.config_file]
        if self.roles:
            cmd += ["--roles", ",".join(self.roles)]
        if self.with_agent:
            cmd.append("--with-agent")
        self.process = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL,
                                        stderr=open(os.path.join(self.workdir, "stderr.log"), "w"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"controller exited with {self.process.returncode}:\n"
                                   + self.log_tail())
            try:
                if requests.get(self.auth_url, timeout=1).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass            # not listening yet, or too busy starting to answer
            time.sleep(0.1)
        else:
            raise RuntimeError("controller did not start in time:\n" + self.log_tail())
        if self.with_agent:
            self.wait_for_agent(deadline)
        return self

    def admin_token(self):
        return self.user_token()

    def user_token(self, user="admin", password=ADMIN_PASSWORD, project="admin"):
        """A token of ``user`` scoped to ``project`` (both in the default domain), from
        the identity API: what ``openstack token issue`` gives, without a CLI run."""
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
        resp = requests.post(self.auth_url + "/auth/tokens", json=body, timeout=30)
        resp.raise_for_status()
        return resp.headers["X-Subject-Token"]

    def wait_for_agent(self, deadline):
        """Until an agent has reported for duty: before that, no server has a host."""
        headers = {"X-Auth-Token": self.admin_token()}
        url = self.url + "/compute/v2.1/os-services?binary=nova-compute"
        while time.monotonic() < deadline:
            services = requests.get(url, headers=headers, timeout=10).json()["services"]
            if any(service["state"] == "up" for service in services):
                return
            time.sleep(0.2)
        raise RuntimeError("no agent reported in time:\n" + self.log_tail())

    def log_tail(self, lines=60):
        out = []
        for name in ("stderr.log", "controller.log"):
            path = os.path.join(self.workdir, name)
            if os.path.exists(path):
                with open(path) as f:
                    out.append(f"--- {name}\n" + "".join(f.readlines()[-lines:]))
        return "\n".join(out)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def env(self, user="admin", password=ADMIN_PASSWORD, project="admin"):
        """OS_* variables for the stock clients."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env.update({"OS_AUTH_URL": self.auth_url, "OS_IDENTITY_API_VERSION": "3",
                    "OS_USERNAME": user, "OS_PASSWORD": password,
                    "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
                    "OS_INTERFACE": "public", "OS_REGION_NAME": "RegionOne"})
        if project:
            env["OS_PROJECT_NAME"] = project
        return env

    def add_member_project(self, name, password):
        """A project ``name`` with a user ``name`` holding only the member role, made
        through the identity API (quicker than three CLI runs)."""
        identity = requests.Session()
        identity.headers["X-Auth-Token"] = self.admin_token()

        def post(path, key, value):
            response = identity.post(self.auth_url + path, json={key: value}, timeout=30)
            assert response.status_code == 201, response.text
            return response.json()[key]["id"]

        project_id = post("/projects", "project", {"name": name, "domain_id": "default"})
        user_id = post("/users", "user", {"name": name, "domain_id": "default",
                                          "password": password,
                                          "default_project_id": project_id})
        role_id = identity.get(self.auth_url + "/roles", params={"name": "member"},
                               timeout=30).json()["roles"][0]["id"]
        granted = identity.put(f"{self.auth_url}/projects/{project_id}/users/{user_id}/"
                               f"roles/{role_id}", timeout=30)
        assert granted.status_code == 204, granted.text
        return project_id

    def blank_image(self, name, *options):
        """Register a blank 10 MiB qcow2 (enough for the fake driver, which boots
        nothing) with the stock CLI; ``options`` go to ``image create``. Returns it."""
        path = os.path.join(self.workdir, f"{name}.qcow2")
        subprocess.run(["qemu-img", "create", "-f", "qcow2", path, "10M"], check=True,
                       capture_output=True, timeout=60)
        return self.openstack("image", "create", "--file", path, "--disk-format", "qcow2",
                              "--container-format", "bare", *options, name)

    def openstack(self, *args, user="admin", password=ADMIN_PASSWORD, project="admin",
                  check=True, parse=True, timeout=120):
        """Run the stock ``openstack`` CLI; returns parsed JSON output when ``parse``."""
        cmd = [client_bin("openstack"), *args]
        if parse:
            cmd += ["-f", "json"]
        result = subprocess.run(cmd, env=self.env(user, password, project),
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"openstack {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}\n{self.log_tail(30)}")
        if parse and result.returncode == 0:
            return json.loads(result.stdout) if result.stdout.strip() else None
        return result
