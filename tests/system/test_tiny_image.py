"""The pocketstack-tiny guest boots under libvirt, reads its config drive,
prints its banner and powers off on an ACPI shutdown request."""
import base64
import hashlib
import secrets
import time
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from agent.virt.configdrive import build_config_drive

pytestmark = pytest.mark.system

BANNER_END = r"^#+ end of banner #+"
BOOT_TIMEOUT = 60
SHUTDOWN_TIMEOUT = 20


def _public_key(comment):
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    openssh = key.public_bytes(serialization.Encoding.OpenSSH,
                               serialization.PublicFormat.OpenSSH).decode()
    return f"{openssh} {comment}"


def _fingerprint(public_key):
    blob = base64.b64decode(public_key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _banner(guest):
    """The banner block as {field: [values]}."""
    end = guest.wait_for_console(BANNER_END, BOOT_TIMEOUT)
    text = guest.console()[:end.start()]
    block = text[text.rindex("pocketstack-tiny login banner"):]
    fields = {}
    for line in block.splitlines()[1:]:
        key, _, value = line.partition(": ")
        fields.setdefault(key.strip(), []).append(value.strip())
    return fields


def _assert_acpi_shutdown(guest):
    guest.dom.shutdown()
    deadline = time.monotonic() + SHUTDOWN_TIMEOUT
    while guest.is_running():
        assert time.monotonic() < deadline, (
            f"guest still running {SHUTDOWN_TIMEOUT} s after ACPI shutdown;"
            f" console:\n{guest.console()[-2000:]}")
        time.sleep(0.2)
    assert "power button pressed" in guest.console()


@pytest.mark.parametrize("bus", ["virtio", "cdrom"])
def test_boot_from_config_drive(boot_tiny, bus):
    hostname = f"tiny-test-{secrets.token_hex(3)}"
    instance_id = str(uuid.uuid4())
    key = _public_key("pstest@pocketstack")
    marker = f"user-data-ran-{secrets.token_hex(4)}"
    meta_data = {
        "uuid": instance_id,
        "name": hostname,
        "hostname": f"{hostname}.novalocal",
        "public_keys": {"pstest": key + "\n"},
        "keys": [{"name": "pstest", "type": "ssh", "data": key + "\n"}],
        "availability_zone": "nova",
        "launch_index": 0,
        "meta": {},
    }
    user_data = f"#!/bin/sh\necho {marker}\n".encode()

    guest = boot_tiny(lambda path: build_config_drive(path, meta_data, user_data),
                      config_drive_bus=bus)

    banner = _banner(guest)
    assert banner["hostname"] == [hostname]
    assert banner["instance-id"] == [instance_id]
    assert banner["datasource"][0].startswith("config-drive /dev/")
    assert banner["address"] == ["none"]
    assert banner["ssh-key"] == [f"ssh-ed25519 {_fingerprint(key)} pstest@pocketstack"]
    # not anchored: the console prompt may precede it on the same line
    guest.wait_for_console(rf"user-data: {marker}$", 30)
    _assert_acpi_shutdown(guest)


def test_boot_without_config_drive(boot_tiny):
    guest = boot_tiny()

    banner = _banner(guest)
    assert banner["hostname"] == ["pocketstack-tiny"]
    assert banner["datasource"] == ["none"]
    assert banner["instance-id"] == ["none"]
    assert "ssh-key" not in banner
    # no network: the metadata lookup must not hold the boot up
    modules_loaded = float(guest.wait_for_console(
        r"^pocketstack-tiny: \[([0-9.]+)\] kernel modules loaded", 1).group(1))
    assert float(banner["uptime"][0]) - modules_loaded < 10
    _assert_acpi_shutdown(guest)
