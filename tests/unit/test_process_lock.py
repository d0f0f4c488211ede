"""The all-in-one's lock file tells a live cloud from a crashed one, even when the dead
process's pid lingers (a zombie nobody reaps) or belongs to another process by now."""
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from controller.cmd import process_lock

HOLD = ("import sys, time\n"
        "from controller.cmd.process_lock import ProcessLock\n"
        "lock = ProcessLock(sys.argv[1])\n"
        "print(lock.acquire(), flush=True)\n"
        "if sys.argv[2] == 'clean':\n"
        "    lock.release()\n"
        "else:\n"
        "    time.sleep(60)\n")


def _hold(path, how="hold"):
    process = subprocess.Popen([sys.executable, "-c", HOLD, path, how],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "True"
    return process


def test_a_live_holder_is_running_with_its_pid_and_start_time(tmp_path):
    lock = process_lock.ProcessLock(str(tmp_path / "state" / "pocketstack.lock"))
    assert lock.holder() is None and lock.crashed() is None
    process = _hold(lock.path)
    try:
        record = lock.holder()
        assert record.pid == process.pid
        assert record.start_time == process_lock.start_time(process.pid)
        assert lock.crashed() is None
        assert not process_lock.ProcessLock(lock.path).acquire()
    finally:
        process.kill()
        process.wait()


def test_kill_9_frees_the_lock_at_once_even_while_the_pid_is_a_zombie(tmp_path):
    lock = process_lock.ProcessLock(str(tmp_path / "pocketstack.lock"))
    process = _hold(lock.path)
    os.kill(process.pid, signal.SIGKILL)
    time.sleep(0.2)           # not reaped: the pid is a zombie that os.kill(pid, 0) finds
    os.kill(process.pid, 0)
    assert process_lock.start_time(process.pid) is None
    assert lock.holder() is None
    assert lock.crashed().pid == process.pid
    again = process_lock.ProcessLock(lock.path)
    assert again.acquire()            # "up" within a second starts cleanly
    assert lock.holder().pid == os.getpid()
    again.release()
    process.wait()


def test_a_clean_exit_leaves_no_crash_record(tmp_path):
    lock = process_lock.ProcessLock(str(tmp_path / "pocketstack.lock"))
    process = _hold(lock.path, "clean")
    process.wait()
    assert lock.holder() is None and lock.crashed() is None
    lock.forget()
    assert not os.path.exists(lock.path)


def test_a_recycled_pid_is_not_taken_for_the_holder(tmp_path):
    path = tmp_path / "pocketstack.lock"
    # Our own pid, but a start time that is not ours: the record of a dead process.
    path.write_text(f"{os.getpid()} {process_lock.start_time(os.getpid()) - 1}\n")
    lock = process_lock.ProcessLock(str(path))
    assert lock.holder() is None
    assert lock.crashed().pid == os.getpid()


@pytest.mark.parametrize("name", ["a b", "x) (y", "))"])
def test_start_time_reads_stat_whatever_the_command_name(tmp_path, name):
    program = tmp_path / name          # the command name /proc/<pid>/stat shows
    shutil.copy(shutil.which("sleep"), program)
    process = subprocess.Popen([str(program), "30"])
    try:
        time.sleep(0.1)
        with open(f"/proc/{process.pid}/stat") as f:
            assert f"({name})" in f.read()
        assert process_lock.start_time(process.pid) > 0
    finally:
        process.kill()
        process.wait()
