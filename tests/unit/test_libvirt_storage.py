"""Instance disks: sizing rules, and the files qemu-img makes of them."""
import json
import shutil
import subprocess

import pytest

from agent.storage import EPHEMERAL, ROOT, SWAP, ephemeral

GiB = 1024 ** 3
needs_qemu_img = pytest.mark.skipif(shutil.which("qemu-img") is None,
                                    reason="qemu-img is not installed")


def test_root_disk_takes_the_flavor_size():
    assert ephemeral.root_disk_size(2, 20 * 1024 ** 2) == 2 * GiB


def test_root_disk_of_a_zero_disk_flavor_is_the_image_size():
    assert ephemeral.root_disk_size(0, 20 * 1024 ** 2) == 20 * 1024 ** 2


def test_root_disk_is_never_smaller_than_the_image():
    assert ephemeral.root_disk_size(1, GiB) == GiB
    with pytest.raises(ephemeral.FlavorDiskTooSmall, match="too small"):
        ephemeral.root_disk_size(1, GiB + 512)


def qemu_img_info(path):
    return json.loads(subprocess.run(["qemu-img", "info", "--output=json", path],
                                     check=True, capture_output=True).stdout)


@needs_qemu_img
def test_flavor_disks_are_created(tmp_path):
    base = tmp_path / "base"
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(base), "16M"], check=True)
    disks = ephemeral.create_instance_disks(
        str(tmp_path), str(base), "raw", 16 * 1024 ** 2,
        {"root_gb": 1, "ephemeral_gb": 1, "swap": 32})
    assert [(d.role, d.format) for d in disks] == [(ROOT, "qcow2"), (EPHEMERAL, "qcow2"),
                                                   (SWAP, "raw")]
    root = qemu_img_info(disks[0].path)
    assert root["virtual-size"] == GiB
    assert root["backing-filename"] == str(base)
    assert root["backing-filename-format"] == "raw"
    assert ephemeral.backing_file(disks[0].path) == str(base)
    assert qemu_img_info(disks[1].path)["virtual-size"] == GiB
    with open(disks[2].path, "rb") as f:
        assert b"SWAPSPACE2" in f.read(4096)
    assert ephemeral.backing_file(disks[1].path) is None  # qcow2 without backing file
    assert ephemeral.backing_file(disks[2].path) is None  # not qcow2
    assert ephemeral.backing_file(str(tmp_path / "missing")) is None


@needs_qemu_img
def test_zero_disk_flavor_without_extra_disks(tmp_path):
    base = tmp_path / "base"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(base), "20M"],
                   check=True)
    disks = ephemeral.create_instance_disks(str(tmp_path), str(base), "qcow2",
                                            20 * 1024 ** 2, {"root_gb": 0})
    assert [d.role for d in disks] == [ROOT]
    assert qemu_img_info(disks[0].path)["virtual-size"] == 20 * 1024 ** 2
