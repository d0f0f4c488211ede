"""A volume exported over NBD is hot-plugged into a real tiny guest, which reads what
the storage host wrote, writes its own data, and finds it again after a detach and a
second attach: the whole path compute will take (attachments API → connection_info →
libvirt network disk)."""
import os
import time
import uuid

import pytest

from agent.virt.configdrive import build_config_drive
from agent.volume import nbd
from contract.clients.volume import VolumeClient
from controller.volume.backend.exports import ExportDaemons
from tests.lib.cloud import Cloud

pytestmark = [pytest.mark.system, pytest.mark.slow]

BOOT_TIMEOUT = 120
DEVICE_TIMEOUT = 60

# Runs in the guest at boot: waits for the volume to come, go and come back, reporting
# what it reads and writing its own mark at byte 4096. Reports go straight to the
# console: the boot script's prefixing sed holds back the last line it has read.
GUEST_SCRIPT = b"""#!/bin/sh
say() { echo "volume-test: $*" >/dev/console; }
until [ -b /dev/vdb ]; do sleep 0.2; done
say "sees vdb, $(cat /sys/block/vdb/size) sectors, serial $(cat /sys/block/vdb/serial)"
say "reads $(dd if=/dev/vdb bs=13 count=1 2>/dev/null)"
printf 'guest-was-here' >/tmp/mark
dd if=/tmp/mark of=/dev/vdb bs=512 seek=8 conv=fsync 2>/dev/null && say "wrote"
while [ -b /dev/vdb ]; do sleep 0.2; done
say "gone"
until [ -b /dev/vdb ]; do sleep 0.2; done
say "reads again $(dd if=/dev/vdb bs=512 skip=8 count=1 2>/dev/null | head -c 14)"
"""


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    instance = Cloud(tmp_path_factory.mktemp("volume-attach"), roles=["api"],
                     with_agent=False)
    try:
        yield instance.start()
    finally:
        instance.stop()
        # The exports outlive the service on purpose; a failed test must not leave any.
        ExportDaemons(os.path.join(instance.workdir, "state", "volumes", "exports")).stop_all()


def wait_available(client, token, volume_id):
    deadline = time.monotonic() + 30
    while client.get_volume(token, volume_id)["status"] != "available":
        assert time.monotonic() < deadline
        time.sleep(0.1)


def attach(client, token, dom, volume_id):
    """What compute does: reserve, export to this host, plug the disk, complete."""
    import libvirt

    attachment_id = client.reserve(token, volume_id, str(uuid.uuid4()))
    info = client.connect(token, attachment_id, nbd.connector("system-test"))
    disk = nbd.disk_xml(info, "vdb", serial=volume_id)
    dom.attachDeviceFlags(disk, libvirt.VIR_DOMAIN_AFFECT_LIVE)
    client.complete(token, attachment_id)
    return attachment_id, disk


def detach(client, token, dom, attachment_id, disk, volume_id):
    """Unplug the disk (the guest lets go of it), then end the attachment."""
    import libvirt

    dom.detachDeviceFlags(disk, libvirt.VIR_DOMAIN_AFFECT_LIVE)
    deadline = time.monotonic() + DEVICE_TIMEOUT
    while volume_id in dom.XMLDesc(0):
        assert time.monotonic() < deadline, "the guest did not release the disk"
        time.sleep(0.2)
    client.detach(token, attachment_id)


def test_guest_uses_an_nbd_volume_across_detach_and_attach(cloud, boot_tiny):
    token = cloud.openstack("token", "issue")["id"]
    client = VolumeClient(cloud.url + "/volume/v3")
    volume_id = cloud.openstack("volume", "create", "--size", "1", "guest-disk")["id"]
    wait_available(client, token, volume_id)
    path = os.path.join(cloud.workdir, "state", "volumes", f"volume-{volume_id}")
    with open(path, "r+b") as f:
        f.write(b"from-the-host")

    meta_data = {"uuid": str(uuid.uuid4()), "name": "volume-test", "public_keys": {},
                 "availability_zone": "nova", "launch_index": 0, "meta": {}}
    guest = boot_tiny(lambda drive: build_config_drive(drive, meta_data, GUEST_SCRIPT),
                      config_drive_bus="cdrom")
    guest.wait_for_console(r"pocketstack-tiny: \[[0-9.]+\] user-data: start", BOOT_TIMEOUT)

    attachment_id, disk = attach(client, token, guest.dom, volume_id)
    assert client.get_volume(token, volume_id)["status"] == "in-use"
    guest.wait_for_console(rf"volume-test: sees vdb, 2097152 sectors, serial {volume_id[:20]}",
                           DEVICE_TIMEOUT)
    guest.wait_for_console(r"volume-test: reads from-the-host\r?$", DEVICE_TIMEOUT)
    guest.wait_for_console(r"volume-test: wrote\r?$", DEVICE_TIMEOUT)

    detach(client, token, guest.dom, attachment_id, disk, volume_id)
    guest.wait_for_console(r"volume-test: gone\r?$", DEVICE_TIMEOUT)
    assert client.get_volume(token, volume_id)["status"] == "available"
    with open(path, "rb") as f:
        f.seek(4096)
        assert f.read(14) == b"guest-was-here"

    attachment_id, disk = attach(client, token, guest.dom, volume_id)
    guest.wait_for_console(r"volume-test: reads again guest-was-here\r?$", DEVICE_TIMEOUT)
    detach(client, token, guest.dom, attachment_id, disk, volume_id)
    cloud.openstack("volume", "delete", volume_id, parse=False)
    assert not os.path.exists(path)
