"""Block device mappings of a create request, and the device names volumes get."""
import types

import pytest

from contract import exception
from controller.compute import block_devices
from controller.compute.exception import RequestConflict

IMAGE = "7d2b6f0e-1111-4111-8111-111111111111"
VOLUME = "7d2b6f0e-2222-4222-8222-222222222222"


def test_an_image_alone_boots_from_a_local_root_disk():
    disks = block_devices.plan({"imageRef": f"http://x/images/{IMAGE}"})
    assert (disks.image_id, disks.root_volume_id, disks.volume_backed) == (IMAGE, None,
                                                                           False)
    assert disks.specs == ({"source_type": "image", "destination_type": "local",
                            "boot_index": 0, "image_id": IMAGE,
                            "delete_on_termination": True},)


def test_boot_from_a_new_volume_made_from_the_image():
    disks = block_devices.plan({"imageRef": "", "block_device_mapping_v2": [{
        "uuid": IMAGE, "boot_index": "0", "source_type": "image",
        "destination_type": "volume", "volume_size": "2", "delete_on_termination": False}]})
    assert disks.volume_backed and disks.image_id == IMAGE and disks.volume_size == 2
    (root,) = disks.specs
    assert root == {"source_type": "image", "destination_type": "volume", "boot_index": 0,
                    "image_id": IMAGE, "volume_size": 2, "device_name": "/dev/vda",
                    "delete_on_termination": False}
    rows = disks.rows()
    assert rows[0].volume_id is None and rows is not disks.rows()  # one set per server


def test_boot_from_an_existing_volume_keeps_it_by_default():
    disks = block_devices.plan({"block_device_mapping_v2": [{
        "uuid": VOLUME, "boot_index": 0, "source_type": "volume",
        "destination_type": "volume"}]})
    assert disks.volume_backed and disks.root_volume_id == VOLUME and disks.image_id is None
    assert disks.specs[0]["delete_on_termination"] is False


def test_blank_local_disks_come_after_the_root():
    disks = block_devices.plan({"imageRef": IMAGE, "block_device_mapping_v2": [
        {"source_type": "blank", "destination_type": "local", "boot_index": -1,
         "volume_size": 1, "guest_format": "swap"}]})
    assert [spec["source_type"] for spec in disks.specs] == ["image", "blank"]
    assert not disks.volume_backed


@pytest.mark.parametrize("server, message", [
    ({}, r"An image \(imageRef\) is required"),
    ({"block_device_mapping_v2": [{"uuid": IMAGE, "boot_index": 0, "source_type": "image",
                                   "destination_type": "volume"}]}, "volume_size"),
    ({"block_device_mapping_v2": [{"boot_index": 0, "source_type": "volume",
                                   "destination_type": "volume"}]}, "volume's id"),
    ({"block_device_mapping_v2": [{"uuid": VOLUME, "boot_index": 0,
                                   "source_type": "volume", "destination_type": "local"}]},
     "destination_type 'volume'"),
    ({"block_device_mapping_v2": [{"uuid": VOLUME, "boot_index": 0,
                                   "source_type": "snapshot",
                                   "destination_type": "volume"}]}, "snapshot"),
    ({"block_device_mapping_v2": [{"boot_index": 0, "source_type": "blank",
                                   "destination_type": "local"}]}, "cannot be blank"),
    ({"imageRef": IMAGE, "block_device_mapping_v2": [
        {"uuid": VOLUME, "boot_index": 1, "source_type": "volume",
         "destination_type": "volume"}]}, "Only the boot disk can be a volume"),
    ({"block_device_mapping_v2": [
        {"uuid": IMAGE, "boot_index": 0, "source_type": "image"},
        {"uuid": VOLUME, "boot_index": "0", "source_type": "volume"}]}, "Only one"),
    ({"imageRef": IMAGE, "block_device_mapping_v2": [{"boot_index": "first"}]},
     "boot_index"),
])
def test_what_is_refused(server, message):
    with pytest.raises(exception.InvalidRequest, match=message):
        block_devices.plan(server)


def flavor(memory_mb=128, root_gb=1):
    return types.SimpleNamespace(memory_mb=memory_mb, root_gb=root_gb)


def test_the_image_must_fit_the_root_volume_not_the_flavor_disk():
    volume_backed = block_devices.plan({"block_device_mapping_v2": [{
        "uuid": IMAGE, "boot_index": 0, "source_type": "image",
        "destination_type": "volume", "volume_size": 2}]})
    needs_two = {"min_disk": 2, "min_ram": 0, "size": 10 ** 6}
    block_devices.check_image_fits(flavor(root_gb=1), needs_two, volume_backed)
    needs_three = dict(needs_two, min_disk=3)
    with pytest.raises(exception.InvalidRequest, match="Volume of 2 GiB"):
        block_devices.check_image_fits(flavor(root_gb=10), needs_three, volume_backed)
    local = block_devices.plan({"imageRef": IMAGE})
    with pytest.raises(exception.InvalidRequest, match="Flavor's disk"):
        block_devices.check_image_fits(flavor(root_gb=1), needs_two, local)
    with pytest.raises(exception.InvalidRequest, match="memory"):
        block_devices.check_image_fits(flavor(memory_mb=64), dict(needs_two, min_ram=96),
                                       volume_backed)


def test_a_volumes_image_meta_comes_from_its_image_metadata():
    meta = block_devices.volume_image_meta({"volume_image_metadata": {
        "image_id": IMAGE, "image_name": "tiny", "disk_format": "qcow2",
        "min_ram": "96", "size": "1024"}})
    assert (meta["id"], meta["name"], meta["min_ram"], meta["min_disk"], meta["size"]) == (
        IMAGE, "tiny", 96, 0, 1024)
    assert block_devices.volume_image_meta({})["id"] is None


def test_boot_devices_follow_the_drivers_order():
    assert block_devices.boot_device_names({"ephemeral_gb": 0, "swap": 0}, False) == [
        "/dev/vda"]
    assert block_devices.boot_device_names({"ephemeral_gb": 1, "swap": 512}, True) == [
        "/dev/vda", "/dev/vdb", "/dev/vdc", "/dev/vdd"]


def test_an_attached_volume_gets_the_next_free_device_or_the_one_asked_for():
    used = ["/dev/vda", "/dev/vdb", None, "/dev/vdd"]
    assert block_devices.device_for_attach(None, used) == "/dev/vdc"
    assert block_devices.device_for_attach("/dev/vdf", used) == "/dev/vdf"
    with pytest.raises(exception.InvalidRequest, match="in use"):
        block_devices.device_for_attach("/dev/vdb", used)
    with pytest.raises(exception.InvalidRequest, match="invalid"):
        block_devices.device_for_attach("vdb; rm", used)
    every = [f"/dev/vd{chr(c)}" for c in range(ord("a"), ord("z") + 1)]
    with pytest.raises(RequestConflict):
        block_devices.device_for_attach(None, every)
