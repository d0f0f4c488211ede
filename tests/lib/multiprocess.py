"""The multi-process deployment the multiprocess tests share: the API (a ``Cloud`` with
role ``api``), the conductor and the scheduler each in its own process with the API's
configuration, and fake agents whose configuration names no database, on a real
RabbitMQ and PostgreSQL."""
import os
import signal
import subprocess
import sys
import time

from tests.lib.cloud import REPO

AGENTS = ("agent-a", "agent-b")


def write_ini(path, sections):
    with open(path, "w") as f:
        for section, values in sections.items():
            f.write(f"[{section}]\n")
            f.writelines(f"{key} = {value}\n" for key, value in values.items())
            f.write("\n")


class Processes:
    """Background processes of one deployment, stopped (and reaped) together."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.running = {}

    def start(self, name, module, config_file, *args):
        stderr = open(os.path.join(self.workdir, f"{name}.stderr"), "w")
        self.running[name] = subprocess.Popen(
            [sys.executable, "-m", module, "--config-file", config_file, *args],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr)

    def kill(self, name):
        self.running[name].kill()
        self.running.pop(name).wait()

    def check_alive(self):
        for name, process in self.running.items():
            assert process.poll() is None, f"{name} exited:\n{self.log(name)}"

    def log(self, name):
        with open(os.path.join(self.workdir, f"{name}.log")) as f:
            return "".join(f.readlines()[-40:])

    def stop(self):
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_services(api, processes, root, rabbit, agent_conf=None):
    """Start the conductor and the scheduler (the API's configuration, each its own
    host) and the fake agents (``agent_conf``: more sections of their configuration);
    ``api`` is a started ``Cloud``."""
    for role in ("conductor", "scheduler"):
        sections = {section: dict(values) for section, values in api.sections.items()}
        sections["DEFAULT"].update(host=f"{role}-host", log_file=str(root / f"{role}.log"))
        write_ini(str(root / f"{role}.conf"), sections)
        processes.start(role, "controller.cmd.controller", str(root / f"{role}.conf"),
                        "--roles", role)
    for host in AGENTS:
        write_ini(str(root / f"{host}.conf"), {
            "DEFAULT": {"host": host, "transport_url": rabbit, "debug": "true",
                        "state_path": str(root / host),
                        "log_file": str(root / f"{host}.log")},
            "agent": {"virt_driver": "fake", "report_interval": "1"},
            **(agent_conf or {})})
        processes.start(host, "agent.cmd", str(root / f"{host}.conf"))


def wait_until_up(session, processes, timeout=90):
    """Until the conductor, the scheduler and every agent report up (``session``: a
    ComputeSession of the API)."""
    deadline = time.monotonic() + timeout
    up = set()
    while time.monotonic() < deadline:
        processes.check_alive()
        up = {(s["binary"], s["host"]) for s in
              session.get("/os-services").json()["services"] if s["state"] == "up"}
        if len(up) == len(AGENTS) + 2:
            return
        time.sleep(0.5)
    raise AssertionError(f"services not up: {up}")
