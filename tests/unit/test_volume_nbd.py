"""The compute-host side of NBD volumes: connector and libvirt disk XML."""
import xml.etree.ElementTree as ET

import pytest

from agent.volume import nbd

INFO = {"driver_volume_type": "nbd",
        "data": {"host": "192.0.2.5", "port": 10811, "export_name": "vol-uuid",
                 "access_mode": "rw"}}


def test_disk_xml_is_an_nbd_network_disk():
    disk = ET.fromstring(nbd.disk_xml(INFO, "vdb", serial="vol-uuid"))
    assert disk.tag == "disk" and disk.get("type") == "network"
    assert disk.get("device") == "disk"
    source = disk.find("source")
    assert source.get("protocol") == "nbd" and source.get("name") == "vol-uuid"
    assert source.find("host").attrib == {"name": "192.0.2.5", "port": "10811"}
    assert disk.find("target").attrib == {"dev": "vdb", "bus": "virtio"}
    assert disk.find("driver").get("type") == "raw"
    assert disk.find("serial").text == "vol-uuid"
    assert disk.find("readonly") is None


def test_read_only_volume():
    info = {**INFO, "data": {**INFO["data"], "access_mode": "ro"}}
    assert ET.fromstring(nbd.disk_xml(info, "vdc")).find("readonly") is not None


def test_other_transports_are_refused():
    with pytest.raises(nbd.UnsupportedVolume, match="'iscsi' is not supported"):
        nbd.disk_xml({"driver_volume_type": "iscsi", "data": {}}, "vdb")


def test_connector_names_the_host():
    assert nbd.connector("compute-1")["host"] == "compute-1"
    assert nbd.connector("compute-1", ip="192.0.2.9")["ip"] == "192.0.2.9"
