"""Fixtures for real-system tests: the tiny guest image, libvirtd, guests.

Guests are transient libvirt domains named ``pstest-<pid>-<hex>`` with no
network interface at all; every fixture cleans up what it made, even when
the test fails. PS_TEST_VIRT_TYPE (default ``qemu``: KVM guests hang on
these machines) and PS_TEST_GUEST_MIB (default 96) tune the guests.
"""
import fcntl
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import boots_guests

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "images" / "build.sh"
LIBVIRT_URI = "qemu:///system"
LIBVIRT_SOCKET = "/run/libvirt/libvirt-sock"
VIRTLOGD_SOCKET = "/run/libvirt/virtlogd-sock"
DOMAIN_PREFIX = "pstest-"
VIRT_TYPE = os.environ.get("PS_TEST_VIRT_TYPE", "qemu")
GUEST_MIB = int(os.environ.get("PS_TEST_GUEST_MIB", "96"))


@pytest.fixture(scope="session")
def tiny_image():
    """Path of pocketstack-tiny.qcow2, built (or found up to date) once."""
    subprocess.run([str(BUILD_SCRIPT)], check=True, timeout=1200)
    return REPO / "images" / "build" / "pocketstack-tiny.qcow2"


def _socket_answers(path):
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(path)
        except OSError:
            return False
    return True


def _ensure_daemon(binary, sock_path):
    """Start ``binary -d`` (there is no systemd here) unless its socket answers."""
    if _socket_answers(sock_path):
        return
    subprocess.run([binary, "-d"], check=True, timeout=30)
    deadline = time.monotonic() + 30
    while not _socket_answers(sock_path):
        if time.monotonic() > deadline:
            pytest.fail(f"{binary} started but {sock_path} does not answer")
        time.sleep(0.2)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep_orphans(conn):
    """Destroy pstest- domains left behind by test processes that died."""
    for dom in conn.listAllDomains():
        match = re.fullmatch(DOMAIN_PREFIX + r"(\d+)-[0-9a-f]+", dom.name())
        if match and not _pid_alive(int(match.group(1))):
            _drop_domain(dom)


def _drop_domain(dom):
    import libvirt

    try:
        if dom.isActive():
            dom.destroy()
    except libvirt.libvirtError:
        pass
    try:
        dom.undefine()
    except libvirt.libvirtError:
        pass            # transient domains are gone once destroyed


@pytest.fixture(scope="session")
def libvirt_conn():
    """A qemu:///system connection; libvirtd/virtlogd are started if needed."""
    libvirt = pytest.importorskip("libvirt")
    if os.geteuid() != 0:
        pytest.skip("system tests need root")
    _ensure_daemon("virtlogd", VIRTLOGD_SOCKET)
    _ensure_daemon("libvirtd", LIBVIRT_SOCKET)
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)  # we raise
    conn = libvirt.open(LIBVIRT_URI)
    _sweep_orphans(conn)
    try:
        yield conn
    finally:
        conn.close()


class Guest:
    """A booted transient domain and its serial console log."""

    def __init__(self, dom, console_log):
        self.dom = dom
        self.console_log = console_log

    def console(self):
        try:
            return self.console_log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for_console(self, pattern, timeout):
        """Return the re.Match of ``pattern`` (multiline) in the console log."""
        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.console())
            if match:
                return match
            if time.monotonic() > deadline:
                tail = "\n".join(self.console().splitlines()[-40:])
                pytest.fail(f"{pattern!r} not on the console after {timeout} s;"
                            f" last lines:\n{tail}")
            time.sleep(0.2)

    def is_running(self):
        import libvirt

        try:
            return bool(self.dom.isActive())
        except libvirt.libvirtError:
            return False        # a transient domain vanishes when it stops


def domain_xml(name, overlay, console_log, config_drive=None,
               config_drive_bus="virtio"):
    """Libvirt XML: no NIC, overlay as vda, optional config drive, serial log."""
    drive = ""
    if config_drive and config_drive_bus == "virtio":
        drive = f"""
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='{config_drive}'/>
      <target dev='vdb' bus='virtio'/>
      <readonly/>
    </disk>"""
    elif config_drive:
        drive = f"""
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='{config_drive}'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>"""
    return f"""<domain type='{VIRT_TYPE}'>
  <name>{name}</name>
  <memory unit='MiB'>{GUEST_MIB}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='{overlay}'/>
      <target dev='vda' bus='virtio'/>
    </disk>{drive}
    <serial type='file'>
      <source path='{console_log}'/>
      <target port='0'/>
    </serial>
    <console type='file'>
      <source path='{console_log}'/>
      <target type='serial' port='0'/>
    </console>
    <memballoon model='none'/>
  </devices>
</domain>"""


@pytest.fixture
def boot_tiny(libvirt_conn, tiny_image):
    """Factory: boot_tiny(config_drive_builder=None, bus="virtio") -> Guest.

    ``config_drive_builder(path)`` writes the config drive image to ``path``.
    """
    made = []
    workdirs = []

    def boot(config_drive_builder=None, config_drive_bus="virtio"):
        # qemu runs as libvirt-qemu: the directory must be traversable
        workdir = Path(tempfile.mkdtemp(prefix=DOMAIN_PREFIX))
        workdirs.append(workdir)
        workdir.chmod(0o755)
        overlay = workdir / "disk.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
                        "-b", str(tiny_image), str(overlay)], check=True)
        config_drive = None
        if config_drive_builder is not None:
            config_drive = workdir / "config-drive.iso"
            config_drive_builder(config_drive)
        console_log = workdir / "console.log"
        name = f"{DOMAIN_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        xml = domain_xml(name, overlay, console_log, config_drive,
                         config_drive_bus)
        dom = libvirt_conn.createXML(xml, 0)
        made.append(dom)
        return Guest(dom, console_log)

    try:
        yield boot
    finally:
        for dom in made:
            _drop_domain(dom)
        for workdir in workdirs:
            shutil.rmtree(workdir, ignore_errors=True)


# At most this many modules that boot guests run at once across the xdist workers of one
# run: TCG guests need the cores, and tools/test.sh runs two workers per core so that the
# other workers' waiting tests fill the gaps.
GUEST_SLOTS = int(os.environ.get("PS_TEST_GUEST_SLOTS", str(os.cpu_count() or 2)))


@pytest.fixture(scope="module", autouse=True)
def guest_slot(request):
    """Holds one of GUEST_SLOTS slots (a file lock shared by the run's workers) while a
    module whose tests boot guests runs; other modules pass straight through."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    prefix = request.node.nodeid + "::"
    if run is None or not boots_guests([item for item in request.session.items
                                        if item.nodeid.startswith(prefix)]):
        yield
        return
    slots = Path(tempfile.gettempdir()) / f"pocketstack-guest-slots-{run}"
    slots.mkdir(exist_ok=True)
    while True:
        for index in range(GUEST_SLOTS):
            lock = open(slots / str(index), "w")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            try:
                yield
            finally:
                lock.close()
            return
        time.sleep(0.2)
