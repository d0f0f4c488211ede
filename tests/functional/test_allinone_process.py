"""``pocketstack up/down/status`` after a crash: the controller holds the lock file, so
``kill -9`` then a new start within a second works, ``status`` tells a crash from a
clean stop and ``down`` cleans up after a crash, all without a traceback."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from controller.cmd import allinone_files, allinone_process
from tests.lib.cloud import ADMIN_PASSWORD, REPO, Cloud

pytestmark = pytest.mark.slow


@pytest.fixture
def layout(tmp_path):
    cloud = Cloud(tmp_path)      # its configuration (fake virt driver), not its process
    cloud.write_config()
    cloud.pocketstack("bootstrap", "--admin-password", ADMIN_PASSWORD)
    with open(tmp_path / "secrets.json", "w") as f:
        json.dump({"admin_password": ADMIN_PASSWORD, "demo_password": "x",
                   "service_password": "y"}, f)
    layout = allinone_files.Layout(str(tmp_path))
    yield layout
    record = layout.lock.holder()
    if record is not None and record.pid:
        os.kill(record.pid, signal.SIGKILL)


def cli(layout, command):
    result = subprocess.run([sys.executable, "-m", "controller.cmd.cli", command,
                             "--config-dir", layout.config_dir], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def test_kill_9_then_start_within_a_second_then_down_cleans_up(layout):
    pid = allinone_process.start_process(layout)
    status = cli(layout, "status")
    assert status.returncode == 0 and f"running (pid {pid})" in status.stdout

    os.kill(pid, signal.SIGKILL)          # our child stays a zombie: the pid "exists"
    time.sleep(0.3)
    os.kill(pid, 0)
    assert layout.lock.holder() is None   # what "up" asks: nothing runs, start afresh
    second = allinone_process.start_process(layout)
    assert second != pid and layout.lock.holder().pid == second

    os.kill(second, signal.SIGKILL)
    status = cli(layout, "status")
    assert status.returncode == 3 and "did not stop cleanly" in status.stdout
    down = cli(layout, "down")
    assert down.returncode == 0, down.stderr
    assert "did not stop cleanly; starting it to clean up" in down.stdout
    assert "pocketstack stopped" in down.stdout
    status = cli(layout, "status")
    assert status.returncode == 3 and status.stdout.strip() == "pocketstack is not running", (
        down.stdout, open(layout.lock.path).read())
    assert not os.path.exists(layout.lock.path)
