"""pocketstack deployed into a lab by ansible/site.yml, and driven by the stock clients."""
import json
import os
import subprocess
import time
from pathlib import Path

from tests.lab import playbook
from tests.lib.cloud import client_bin
from tests.system.conftest import VIRT_TYPE


def lab_settings(workdir, source):
    """Extra variables (``-e @file``) of every lab deployment."""
    return {
        "pocketstack_cluster_name": "lab",
        "pocketstack_source_dir": str(source),
        "pocketstack_credentials_dir": str(Path(workdir) / "credentials"),
        # Lab hosts share /etc/passwd with the machine: a user made there would outlive
        # the lab, so the controller runs as root.
        "pocketstack_user": "root",
        "pocketstack_virt_type": VIRT_TYPE,
        # Heartbeats every 2 s, down after 10 s without one: a stopped agent shows soon.
        "pocketstack_report_interval": 2,
        "pocketstack_service_down_time": 10,
        "pocketstack_debug": True,
    }


class Deployment:
    """``ansible/site.yml`` run against lab hosts; ``openstack(...)`` as the admin.

    The code deployed is a snapshot of the checkout taken first, its wheels built.
    ``groups`` maps site.yml's groups (database, messaging, controller, compute) to lab
    host names; ``host_vars``: host name → its inventory variables. ``local_host``: run
    Ansible inside that lab host against itself (``connection: local``, the all-in-one)
    instead of over SSH from this machine.
    """

    def __init__(self, lab, groups, workdir, local_host=None, host_vars=None):
        self.lab = lab
        self.groups = groups
        self.workdir = Path(workdir)
        self.local_host = local_host
        source = playbook.snapshot_source(self.workdir)
        build = playbook.build_wheels(self.workdir, source)
        if build.returncode != 0:
            raise RuntimeError("build.yml failed:\n" + build.tail())
        self.settings = playbook.write_yaml(self.workdir / "settings.yml",
                                            lab_settings(self.workdir, source))
        if local_host is None:
            inventory = lab.inventory(groups, host_vars)
        else:
            host = lab.hosts[local_host]
            inventory = {"all": {
                "hosts": {"localhost": {"ansible_connection": "local",
                                        "ansible_python_interpreter": "/usr/bin/python3",
                                        "pocketstack_host": host.name,
                                        "pocketstack_management_ip": host.address}},
                "children": {group: {"hosts": {"localhost": None}} for group in groups}}}
        self.inventory = playbook.write_yaml(self.workdir / "inventory.yml", inventory)
        self.controller = lab.hosts[groups["controller"][0]]

    def run(self, log_name, limit=None):
        """One ansible-playbook run of site.yml; returns the PlaybookRun."""
        cmd = playbook.playbook_command("site.yml", self.inventory, self.settings, limit)
        if self.local_host is not None:
            cmd = self.lab.hosts[self.local_host].enter(*cmd)
        return playbook.run_playbook(cmd, self.workdir, log_name)

    @property
    def admin_password(self):
        return (self.workdir / "credentials" / "admin_password").read_text().strip()

    @property
    def auth_url(self):
        return f"http://{self.controller.address}:5000/identity/v3"

    def openstack(self, *args, parse=True, check=True, timeout=300):
        """The stock ``openstack`` CLI as the admin; parsed JSON when ``parse``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env.update(OS_AUTH_URL=self.auth_url, OS_IDENTITY_API_VERSION="3",
                   OS_USERNAME="admin", OS_PASSWORD=self.admin_password,
                   OS_PROJECT_NAME="admin", OS_USER_DOMAIN_NAME="Default",
                   OS_PROJECT_DOMAIN_NAME="Default", OS_REGION_NAME="RegionOne",
                   OS_INTERFACE="public")
        cmd = [str(client_bin("openstack")), *args, *(["-f", "json"] if parse else [])]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"openstack {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}\n{self.log_tail()}")
        if not parse or result.returncode != 0:
            return result
        return json.loads(result.stdout) if result.stdout.strip() else None

    def log_tail(self, lines=40):
        """The last lines of the controller's log, for failure messages."""
        path = self.controller.dir / "fs" / "var_log_pocketstack" / "controller.log"
        if not path.exists():
            return ""
        return "--- controller.log\n" + "\n".join(
            path.read_text(errors="replace").splitlines()[-lines:])

    def compute_states(self):
        """{host: "up" | "down"} of the compute agents, as the stock CLI lists them."""
        return {service["Host"]: service["State"]
                for service in self.openstack("compute", "service", "list")
                if service["Binary"] == "nova-compute"}

    def wait_for(self, predicate, timeout, what, interval=2.0):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}\n"
                                     + self.log_tail())
            time.sleep(interval)

    def upload_image(self, path, name="pocketstack-tiny"):
        return self.openstack("image", "create", "--file", str(path), "--disk-format",
                              "qcow2", "--container-format", "bare", "--public", name)

    def console(self, server):
        return self.openstack("console", "log", "show", server, parse=False).stdout
