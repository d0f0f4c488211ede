"""Volumes on real guests, driven by the stock CLI: ``server add volume`` hot-plugs an
NBD volume into a running tiny guest, which sees it, reads what the storage host wrote
and writes its own mark; after ``server remove volume`` a second server gets the volume
and finds the mark; ``server create --boot-from-volume`` boots the tiny image from a
volume exported over NBD, with no local root disk."""
import os
import shutil
import tempfile
import time

import pytest
import requests

from controller.volume.backend.exports import ExportDaemons
from tests.conftest import ComputeSession
from tests.lib.cloud import Cloud
from tests.system.conftest import LIBVIRT_URI, VIRT_TYPE

pytestmark = [pytest.mark.system, pytest.mark.slow]

BOOT_TIMEOUT = 300       # three TCG guests boot at once on a shared 2-core machine
DEVICE_TIMEOUT = 90
GUEST_MIB = 128

# Runs in each guest at boot: reports every disk with a serial (a volume) as it comes
# and goes — its first bytes and the 14 at offset 4096 — and, with WRITE set, writes its
# mark at 4096. Reports go straight to the console (the boot script's prefixing sed
# holds back the last line it has read).
GUEST_SCRIPT = """#!/bin/sh
WRITE={write}
say() {{ echo "volume-test: $*" >/dev/console; }}
seen=""
while true; do
    now=""
    for dev in /sys/block/vd*; do
        serial=$(cat "$dev/serial" 2>/dev/null)
        [ -n "$serial" ] || continue
        name=${{dev##*/}}
        now="$now $name:$serial"
        case " $seen " in *" $name:$serial "*) continue;; esac
        say "$name serial $serial reads $(dd if=/dev/$name bs=13 count=1 2>/dev/null)" \\
            "mark $(dd if=/dev/$name bs=512 skip=8 count=1 2>/dev/null | head -c 14)"
        if [ -n "$WRITE" ]; then
            printf 'guest-was-here' >/tmp/mark
            dd if=/tmp/mark of=/dev/$name bs=512 seek=8 conv=fsync 2>/dev/null &&
                say "$name written"
        fi
    done
    for old in $seen; do
        case " $now " in *" $old "*) ;; *) say "${{old%%:*}} gone";; esac
    done
    seen="$now"
    sleep 0.5
done
"""


def _remove_guests_of(conn, host):
    """Guests a failed test left behind (the agent removes those of deleted servers)."""
    import libvirt

    for dom in conn.listAllDomains():
        if not dom.name().startswith("pocketstack-") or f">{host}<" not in dom.XMLDesc(0):
            continue
        try:
            if dom.isActive():
                dom.destroy()
            dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
        except libvirt.libvirtError:
            pass


@pytest.fixture(scope="module")
def cloud(libvirt_conn, tiny_image):
    # Not pytest's tmp_path: QEMU runs as its own user and must reach the state dir.
    workdir = tempfile.mkdtemp(prefix="pstest-volumes-", dir="/var/tmp")
    os.chmod(workdir, 0o755)
    instance = Cloud(workdir, conf={
        "agent": {"virt_driver": "libvirt"},
        "libvirt": {"virt_type": VIRT_TYPE, "connection_uri": LIBVIRT_URI}})
    try:
        instance.start()
        instance.openstack("image", "create", "--file", str(tiny_image), "--disk-format",
                           "qcow2", "--container-format", "bare", "tiny")
        instance.openstack("flavor", "create", "--vcpus", "1", "--ram", str(GUEST_MIB),
                           "--disk", "1", "m1.nano")
        yield instance
    finally:
        instance.stop()
        _remove_guests_of(libvirt_conn, instance.sections["DEFAULT"]["host"])
        ExportDaemons(os.path.join(workdir, "state", "volumes", "exports")).stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.5)


class Guests:
    """Waits on the guests' consoles and, through the APIs, on their servers and volumes
    (a stock CLI run per poll would take a second of CPU from the booting guests)."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.compute = ComputeSession(cloud)

    def console(self, server_id):
        path = os.path.join(self.cloud.workdir, "state", "instances", server_id,
                            "console.log")
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_console(self, server_id, text, timeout=DEVICE_TIMEOUT):
        try:
            return wait_for(lambda: text in self.console(server_id), timeout,
                            f"{text!r} on the console of {server_id}")
        except AssertionError:
            tail = "\n".join(self.console(server_id).splitlines()[-30:])
            raise AssertionError(f"{text!r} not on the console of {server_id}:\n{tail}"
                                 f"\n{self.cloud.log_tail(40)}") from None

    def volume_status(self, volume_id, status):
        url = f"{self.cloud.url}/volume/v3/volumes/{volume_id}"
        headers = {"X-Auth-Token": self.compute.token}
        return wait_for(lambda: requests.get(url, headers=headers, timeout=30).json()[
            "volume"]["status"] == status, DEVICE_TIMEOUT, f"volume {volume_id} {status}")

    def wait_active(self, server_id):
        """Polls the compute API until the server is ACTIVE or ERROR; the stock CLI then
        shows it."""
        self.compute.wait_for_server(server_id, timeout=BOOT_TIMEOUT, interval=0.5)
        server = self.cloud.openstack("server", "show", server_id)
        assert server["status"] == "ACTIVE", server.get("fault")
        return server


def create_server(cloud, name, user_data_path, *args):
    return cloud.openstack("server", "create", "--flavor", "m1.nano", "--nic", "none",
                           "--user-data", str(user_data_path), *args, name)["id"]


def test_volumes_move_between_real_guests_and_a_guest_boots_from_one(cloud, tmp_path):
    guests = Guests(cloud)
    writer_script = tmp_path / "writer.sh"
    writer_script.write_text(GUEST_SCRIPT.format(write="yes"))
    reader_script = tmp_path / "reader.sh"
    reader_script.write_text(GUEST_SCRIPT.format(write=""))

    volume = cloud.openstack("volume", "create", "--size", "1", "shared")
    guests.volume_status(volume["id"], "available")
    path = os.path.join(cloud.workdir, "state", "volumes", f"volume-{volume['id']}")
    with open(path, "r+b") as f:
        f.write(b"from-the-host")

    started = time.monotonic()
    first = create_server(cloud, "first", writer_script, "--image", "tiny")
    second = create_server(cloud, "second", reader_script, "--image", "tiny")
    from_volume = create_server(cloud, "from-volume", reader_script, "--image", "tiny",
                                "--boot-from-volume", "1")
    for server_id in (first, second, from_volume):
        guests.wait_active(server_id)
    for server_id in (first, second, from_volume):
        guests.wait_console(server_id, "user-data: start", BOOT_TIMEOUT)
    boot_seconds = time.monotonic() - started

    # Booted from its volume: the root disk the guest sees is the volume (its serial).
    root = cloud.openstack("server", "show", "from-volume")["volumes_attached"][0]["id"]
    guests.wait_console(from_volume, f"volume-test: vda serial {root[:20]}")
    assert not os.path.exists(os.path.join(cloud.workdir, "state", "instances",
                                           from_volume, "disk"))

    serial = volume["id"][:20]
    started = time.monotonic()
    attached = cloud.openstack("server", "add", "volume", "first", "shared")
    assert attached["Device"] == "/dev/vdc"
    guests.volume_status(volume["id"], "in-use")
    guests.wait_console(first, f"volume-test: vdc serial {serial} reads from-the-host")
    guests.wait_console(first, "volume-test: vdc written")
    attach_seconds = time.monotonic() - started

    started = time.monotonic()
    cloud.openstack("server", "remove", "volume", "first", "shared", parse=False)
    guests.volume_status(volume["id"], "available")
    guests.wait_console(first, "volume-test: vdc gone")
    detach_seconds = time.monotonic() - started
    with open(path, "rb") as f:
        f.seek(4096)
        assert f.read(14) == b"guest-was-here"

    cloud.openstack("server", "add", "volume", "second", "shared")
    guests.wait_console(second, f"volume-test: vdc serial {serial} reads from-the-host "
                                f"mark guest-was-here")
    cloud.openstack("server", "remove", "volume", "second", "shared", parse=False)
    guests.volume_status(volume["id"], "available")

    print(f"\nboot of 3 guests {boot_seconds:.1f} s, attach {attach_seconds:.1f} s, "
          f"detach {detach_seconds:.1f} s")
    cloud.openstack("server", "delete", "--wait", "first", "second", "from-volume",
                    parse=False)
    guests.volume_status(root, "available")  # --boot-from-volume keeps the volume
    cloud.openstack("volume", "delete", root, volume["id"], parse=False)
