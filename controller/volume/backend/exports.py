"""NBD exports of volume files: one ``qemu-storage-daemon`` per attached volume.

Why NBD from qemu-storage-daemon: the protocol is simple, it is QEMU's own (already on
every compute host, and libvirt attaches it as ``<disk type='network'>`` with no
host-side initiator), and it works across hosts over plain TCP. LVM with iSCSI would
need kernel targets and initiators on every host. One daemon per volume keeps each
export's life easy to see and manage: a pid file, a port, nothing shared. The daemons
are detached from the service (``--daemonize``), so restarting the service does not cut
the disks from under running guests; the service checks on them when it starts again.

NBD has no authentication: the export address must be on a network only compute hosts
reach (loopback in the all-in-one).
"""
import contextlib
import errno
import os
import signal
import time

from oslo_concurrency import processutils

STOP_TIMEOUT = 10


class ExportError(Exception):
    """The daemon could not start; ``port_in_use`` says whether another port may work."""

    def __init__(self, message, port_in_use=False):
        super().__init__(message)
        self.port_in_use = port_in_use


def _qemu_opt(value):
    """Escape a value for QEMU's key=value,... option syntax."""
    return str(value).replace(",", ",,")


class ExportDaemons:
    def __init__(self, run_dir, daemon="qemu-storage-daemon"):
        self.run_dir = run_dir
        self.daemon = daemon
        os.makedirs(run_dir, mode=0o700, exist_ok=True)

    def pid_path(self, name):
        return os.path.join(self.run_dir, f"{name}.pid")

    def command(self, path, name, host, port):
        return [
            self.daemon,
            "--blockdev", f"driver=file,node-name=file0,filename={_qemu_opt(path)}",
            "--blockdev", "driver=raw,node-name=disk0,file=file0",
            "--nbd-server", f"addr.type=inet,addr.host={_qemu_opt(host)},addr.port={port}",
            "--export", f"type=nbd,id=export0,node-name=disk0,name={_qemu_opt(name)},"
                        "writable=on",
            "--pidfile", self.pid_path(name),
            "--daemonize",
        ]

    def start(self, path, name, host, port):
        """Export ``path`` as NBD export ``name`` on ``host:port``; returns once the daemon
        listens (``--daemonize`` makes the parent wait for that)."""
        if self.running(name):
            return
        if not os.path.exists(path):
            raise ExportError(f"Volume file {path} is missing.")
        try:
            processutils.execute(*self.command(path, name, host, port))
        except processutils.ProcessExecutionError as exc:
            message = (exc.stderr or "").strip() or str(exc)
            raise ExportError(f"qemu-storage-daemon failed: {message}",
                              port_in_use="Address already in use" in message)

    def pid(self, name):
        """The pid of the daemon exporting ``name``, if it is alive."""
        try:
            with open(self.pid_path(name)) as f:
                pid = int(f.read().strip())
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().split(b"\0")
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return None
        # A pid is reused after its process ends: trust it only if it is our daemon.
        if self.pid_path(name).encode() not in cmdline:
            return None
        return pid

    def running(self, name):
        return self.pid(name) is not None

    def stop(self, name):
        """End the export; returns once the daemon has exited (file closed, data flushed)."""
        pid = self.pid(name)
        if pid is not None:
            _signal(pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT
            while self.pid(name) == pid and time.monotonic() < deadline:
                time.sleep(0.05)
            if self.pid(name) == pid:
                _signal(pid, signal.SIGKILL)
                while self.pid(name) == pid:
                    time.sleep(0.05)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.pid_path(name))

    def stop_all(self):
        """End every export under ``run_dir`` (taking the storage host down for good)."""
        for pid_file in os.listdir(self.run_dir):
            if pid_file.endswith(".pid"):
                self.stop(pid_file[:-len(".pid")])


def _signal(pid, signum):
    try:
        os.kill(pid, signum)
    except OSError as exc:
        if exc.errno != errno.ESRCH:
            raise
