"""Running the project's playbooks (ansible/) from tests, with the Ansible of
``.venv-ansible`` (tools/install.sh --multi-host or tools/test.sh makes it;
POCKETSTACK_ANSIBLE_VENV points elsewhere), and reading the PLAY RECAP."""
import fcntl
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "ansible"
RECAP = re.compile(r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+"
                   r"unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)", re.MULTILINE)


def ansible_venv():
    return Path(os.environ.get("POCKETSTACK_ANSIBLE_VENV", REPO / ".venv-ansible"))


def ansible_bin(name):
    path = ansible_venv() / "bin" / name
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run tools/install.sh --multi-host "
                           f"(or set POCKETSTACK_ANSIBLE_VENV)")
    return path


@dataclass
class PlaybookRun:
    returncode: int
    output: str
    recap: dict      # host → {"ok": n, "changed": n, "unreachable": n, "failed": n}

    def tail(self, lines=80):
        return "\n".join(self.output.splitlines()[-lines:])

    def changed_tasks(self):
        """"task: changed: [host]" for every change, to say what was not idempotent."""
        changes, task = [], None
        for line in self.output.splitlines():
            if line.startswith(("TASK [", "RUNNING HANDLER [")):
                task = line[line.index("[") + 1:line.rindex("]")]
            elif line.startswith("changed: "):
                changes.append(f"{task}: {line}")
        return changes


def write_yaml(path, data):
    Path(path).write_text(yaml.safe_dump(data, default_flow_style=False, sort_keys=False))
    return Path(path)


def ansible_env(workdir):
    """Environment of ansible-playbook: the repo's ansible.cfg, and its SSH control
    sockets and temporary files in ``workdir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(ANSIBLE_DIR / "ansible.cfg"),
               ANSIBLE_SSH_CONTROL_PATH_DIR=str(Path(workdir) / "ansible-cp"),
               ANSIBLE_LOCAL_TEMP=str(Path(workdir) / "ansible-tmp"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks")
    return env


def playbook_command(playbook, inventory, extra_vars=None, limit=None):
    cmd = [str(ansible_bin("ansible-playbook")), "-i", str(inventory),
           str(ANSIBLE_DIR / playbook)]
    if extra_vars:
        cmd += ["-e", f"@{extra_vars}"]
    if limit:
        cmd += ["--limit", limit]
    return cmd


def run_playbook(cmd, workdir, log_name, timeout=900):
    """Run an ansible-playbook argv (perhaps wrapped, e.g. in nsenter); its whole output
    goes to ``workdir/log_name``."""
    log = Path(workdir) / log_name
    with open(log, "w") as out:
        result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, text=True,
                                env=ansible_env(workdir), cwd=ANSIBLE_DIR, timeout=timeout)
    output = log.read_text(errors="replace")
    recap = {m["host"]: {key: int(m[key]) for key in ("ok", "changed", "unreachable", "failed")}
             for m in RECAP.finditer(output)}
    return PlaybookRun(result.returncode, output, recap)


def snapshot_source(workdir):
    """A copy of what pocketstack's wheels are built from, for pocketstack_source_dir:
    every run of a test deploys the same code, whatever is edited in the checkout
    meanwhile."""
    target = Path(workdir) / "source"
    target.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, target / name)
    for name in ("controller", "agent", "conf", "contract"):
        shutil.copytree(REPO / name, target / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return target


def build_wheels(workdir, source):
    """Run build.yml, one at a time on this machine: the dependency wheels are then
    cached for the deployments, which build only pocketstack's own wheel."""
    lock_path = ANSIBLE_DIR / "build" / ".lock"
    lock_path.parent.mkdir(exist_ok=True)
    extra_vars = write_yaml(Path(workdir) / "build-settings.yml",
                            {"pocketstack_source_dir": str(source)})
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return run_playbook(playbook_command("build.yml", "localhost,", extra_vars),
                            workdir, "build.log", timeout=1800)
