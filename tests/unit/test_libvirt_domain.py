"""Domain XML of the libvirt driver, parsed back and checked element by element."""
import xml.etree.ElementTree as ET

import pytest

from agent.storage import CONFIG_DRIVE, EPHEMERAL, ROOT, SWAP, VOLUME, Disk
from agent.virt.libvirt import domain

UUID = "6f1d3c8e-2a47-4b8e-9d1a-0c5b7e9f1a23"
PORT = "a1b2c3d4-e5f6-4711-8899-aabbccddeeff"


def instance(**flavor):
    return {"uuid": UUID, "name": "web-1", "project_id": "p1", "user_id": "u1",
            "image_ref": "img-1",
            "flavor": {"name": "m1.tiny", "vcpus": 2, "memory_mb": 96, **flavor}}


def vif(mtu=None):
    return {"id": PORT, "address": "fa:16:3e:00:00:01",
            "network": {"id": "net-1", "bridge": "brq12345678-9a", "mtu": mtu,
                        "subnets": []}}


def build(properties=None, disks=None, network_info=(), virt_type="qemu", **kwargs):
    disks = disks or [Disk(ROOT, "/inst/disk"), Disk(CONFIG_DRIVE, "/inst/disk.config",
                                                     format="raw", read_only=True)]
    xml = domain.build_domain_xml(
        instance=kwargs.pop("instance", instance()), host="compute-7",
        virt_type=virt_type, arch="x86_64", disks=disks, network_info=list(network_info),
        console_log="/inst/console.log", image_properties=properties or {}, **kwargs)
    return ET.fromstring(xml)


def test_identity_resources_and_power_behaviour():
    root = build()
    assert root.get("type") == "qemu"
    assert root.findtext("name") == f"pocketstack-{UUID}"
    assert root.findtext("uuid") == UUID
    assert root.findtext("vcpu") == "2"
    memory = root.find("memory")
    assert (memory.text, memory.get("unit")) == ("96", "MiB")
    assert root.find("features/acpi") is not None
    assert root.findtext("on_poweroff") == "destroy"
    assert root.findtext("on_reboot") == "restart"
    assert root.find("os/type").get("arch") == "x86_64"
    assert root.find("os/type").get("machine") is None
    assert root.find("os").get("firmware") is None
    assert root.find("cpu") is None  # qemu emulation: libvirt's default CPU model


def test_kvm_uses_the_host_cpu_model():
    root = build(virt_type="kvm")
    assert root.get("type") == "kvm"
    assert root.find("cpu").get("mode") == "host-model"


def test_metadata_records_the_owning_host():
    root = build()
    ns = {"ps": domain.METADATA_NS}
    meta = root.find("metadata/ps:instance", ns)
    assert meta.findtext("ps:host", namespaces=ns) == "compute-7"
    assert meta.findtext("ps:name", namespaces=ns) == "web-1"
    assert meta.findtext("ps:flavor", namespaces=ns) == "m1.tiny"
    # libvirt hands the element back without the prefix
    assert domain.owner_host("<instance><host>compute-7</host></instance>") == "compute-7"


def test_virtio_disks_in_order_with_read_only_config_drive():
    disks = [Disk(ROOT, "/i/disk"), Disk(EPHEMERAL, "/i/disk.eph0"),
             Disk(SWAP, "/i/disk.swap", format="raw"),
             Disk(CONFIG_DRIVE, "/i/disk.config", format="raw", read_only=True)]
    found = build(disks=disks, disk_cache="writeback").findall("devices/disk")
    assert [d.find("target").get("dev") for d in found] == ["vda", "vdb", "vdc", "vdd"]
    assert {d.find("target").get("bus") for d in found} == {"virtio"}
    assert [d.find("source").get("file") for d in found] == [d.path for d in disks]
    assert [d.find("driver").get("type") for d in found] == ["qcow2", "qcow2", "raw", "raw"]
    assert {d.find("driver").get("cache") for d in found} == {"writeback"}
    assert [d.get("device") for d in found] == ["disk"] * 4
    assert [d.find("readonly") is not None for d in found] == [False, False, False, True]


def test_ide_bus_puts_the_config_drive_on_a_cdrom():
    found = build({"hw_disk_bus": "ide"}).findall("devices/disk")
    assert [d.find("target").get("dev") for d in found] == ["hda", "hdb"]
    assert [d.get("device") for d in found] == ["disk", "cdrom"]


def test_scsi_bus_adds_a_virtio_scsi_controller():
    root = build({"hw_disk_bus": "scsi"})
    assert root.find("devices/controller[@type='scsi']").get("model") == "virtio-scsi"
    assert root.find("devices/disk/target").get("dev") == "sda"


def test_block_volume_disk_uses_a_device_source_and_serial():
    disks = [Disk(ROOT, "/i/disk"),
             Disk(VOLUME, "/dev/mapper/vol", format="raw", source_type="block",
                  serial="vol-1")]
    volume = build(disks=disks).findall("devices/disk")[1]
    assert volume.get("type") == "block"
    assert volume.find("source").get("dev") == "/dev/mapper/vol"
    assert volume.findtext("serial") == "vol-1"


def test_bridge_nic_from_network_info():
    root = build(network_info=[vif(mtu=1450)], properties={"hw_vif_model": "e1000"})
    (nic,) = root.findall("devices/interface")
    assert nic.get("type") == "bridge"
    assert nic.find("source").get("bridge") == "brq12345678-9a"
    assert nic.find("mac").get("address") == "fa:16:3e:00:00:01"
    assert nic.find("target").get("dev") == "tapa1b2c3d4-e5"
    assert nic.find("model").get("type") == "e1000"
    assert nic.find("mtu").get("size") == "1450"


def test_no_nic_without_network_info():
    assert build().findall("devices/interface") == []


def test_serial_console_is_logged_to_the_instance_file():
    root = build()
    serial = root.find("devices/serial")
    assert serial.find("log").get("file") == "/inst/console.log"
    assert serial.find("log").get("append") == "on"
    assert root.find("devices/console/target").get("type") == "serial"


def test_machine_type_and_uefi_firmware_from_image_properties():
    root = build({"hw_machine_type": "q35", "hw_firmware_type": "uefi"})
    assert root.find("os/type").get("machine") == "q35"
    assert root.find("os").get("firmware") == "efi"


@pytest.mark.parametrize("key, value", [("hw_disk_bus", "floppy"),
                                        ("hw_vif_model", "fancy"),
                                        ("hw_firmware_type", "coreboot")])
def test_unsupported_image_properties_are_refused(key, value):
    with pytest.raises(domain.InvalidImageProperty, match=key):
        build({key: value})


def test_domain_names_map_back_to_instances():
    assert domain.instance_uuid_of(domain.domain_name(UUID)) == UUID
    assert domain.instance_uuid_of("some-other-vm") is None
    assert domain.is_uuid(UUID)
    assert not domain.is_uuid("lost+found")
