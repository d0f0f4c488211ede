"""Volumes in the libvirt domain: an NBD root disk for a server booted from a volume, and
how hot-plugged volumes are named and found again."""
import xml.etree.ElementTree as ET

from agent.storage import CONFIG_DRIVE, ROOT, VOLUME, Disk
from agent.virt.libvirt import domain
from agent.virt.libvirt.moves import with_volume_sources
from agent.virt.libvirt.volume_attach import disk_of_volume
from tests.unit.test_libvirt_domain import build

ROOT_VOLUME = "3a1e5c2d-0000-4000-8000-00000000000a"
DATA_VOLUME = "3a1e5c2d-0000-4000-8000-00000000000b"


def connection_info(volume_id, port):
    return {"driver_volume_type": "nbd", "data": {
        "host": "127.0.0.1", "port": port, "export_name": volume_id, "access_mode": "rw"}}


def volume_bdm(volume_id, boot_index, port):
    return {"volume_id": volume_id, "boot_index": boot_index,
            "connection_info": connection_info(volume_id, port)}


def test_a_volume_bdm_becomes_a_network_disk_record():
    root = disk_of_volume(volume_bdm(ROOT_VOLUME, 0, 10810))
    data = disk_of_volume(volume_bdm(DATA_VOLUME, None, 10811))
    assert (root.role, root.source_type, root.serial) == (ROOT, "network", ROOT_VOLUME)
    assert root.path == f"nbd://127.0.0.1:10810/{ROOT_VOLUME}"
    assert data.role == VOLUME


def test_a_server_booted_from_a_volume_has_it_as_its_first_disk():
    disks = [disk_of_volume(volume_bdm(ROOT_VOLUME, 0, 10810)),
             Disk(CONFIG_DRIVE, "/inst/disk.config", format="raw", read_only=True),
             disk_of_volume(volume_bdm(DATA_VOLUME, None, 10811))]
    devices = build(disks=disks).find("devices")
    first, config, data = devices.findall("disk")
    assert (first.get("type"), first.find("target").get("dev")) == ("network", "vda")
    source = first.find("source")
    assert (source.get("protocol"), source.get("name")) == ("nbd", ROOT_VOLUME)
    assert source.find("host").attrib == {"name": "127.0.0.1", "port": "10810"}
    assert first.findtext("serial") == ROOT_VOLUME
    assert first.find("driver").get("type") == "raw"
    assert config.find("target").get("dev") == "vdb"
    assert data.find("target").get("dev") == "vdc"


def test_volumes_follow_the_images_disk_bus():
    disks = [disk_of_volume(volume_bdm(ROOT_VOLUME, 0, 10810))]
    target = build(disks=disks, properties={"hw_disk_bus": "scsi"}).find(
        "devices/disk/target")
    assert target.attrib == {"dev": "sda", "bus": "scsi"}


def test_hot_plugged_volumes_are_found_by_serial_and_named_after_the_others():
    disks = [disk_of_volume(volume_bdm(ROOT_VOLUME, 0, 10810)),
             disk_of_volume(volume_bdm(DATA_VOLUME, None, 10811))]
    xml = ET.tostring(build(disks=disks), encoding="unicode")
    assert domain.disk_targets(xml) == {"vda", "vdb"}
    found = ET.fromstring(domain.volume_disk(xml, DATA_VOLUME))
    assert found.find("target").get("dev") == "vdb"
    assert domain.volume_disk(xml, "no-such-volume") is None

    assert domain.volume_target("/dev/vdd", {"vda", "vdb"}) == "vdd"
    assert domain.volume_target("/dev/vdb", {"vda", "vdb"}) == "vdc"
    assert domain.volume_target("/dev/sdb", {"vda"}) == "vdb"
    assert domain.volume_target(None, {f"vd{chr(c)}" for c in range(97, 123)}) is None


def test_a_reverted_guest_finds_its_volumes_at_their_new_exports():
    disks = [disk_of_volume(volume_bdm(ROOT_VOLUME, 0, 10810)),
             Disk(CONFIG_DRIVE, "/inst/disk.config", format="raw", read_only=True),
             disk_of_volume(volume_bdm(DATA_VOLUME, None, 10811))]
    kept = ET.tostring(build(disks=disks), encoding="unicode")
    moved = {"volume_id": DATA_VOLUME, "connection_info": connection_info(DATA_VOLUME,
                                                                          10899)}
    untouched = {"volume_id": ROOT_VOLUME, "connection_info": None}
    devices = ET.fromstring(with_volume_sources(kept, [untouched, moved])).find("devices")
    root, _, data = devices.findall("disk")
    assert [(h.get("name"), h.get("port")) for h in data.find("source").findall("host")] \
        == [("127.0.0.1", "10899")]
    assert root.find("source/host").get("port") == "10810"
    assert with_volume_sources(kept, [untouched]) == kept
