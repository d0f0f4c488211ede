"""The all-in-one's one background process: start it and wait until its APIs answer,
find it through its lock, stop it (and only it), and run ``pocketstack`` sub-commands
against its configuration."""
import os
import signal
import subprocess
import sys
import time

import requests

from controller.cmd import process_lock
from controller.cmd.allinone_files import api_url


class UpError(Exception):
    """A step of ``up`` failed; the message says which and why."""


def running(layout):
    """The live all-in-one process (a process_lock.Record), or None."""
    return layout.lock.holder()


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
