"""NBD volumes on a compute host: the connector and the libvirt disk.

The volume service exports each attached volume over NBD (qemu-storage-daemon on the
storage host), so the compute host needs nothing but QEMU's built-in NBD client: libvirt
attaches ``<disk type='network'><source protocol='nbd' .../>`` and QEMU connects to the
export itself. Pure: builds dicts and XML only.
"""
import xml.etree.ElementTree as ET

DRIVER_VOLUME_TYPE = "nbd"


class UnsupportedVolume(ValueError):
    """connection_info names a transport this host does not attach."""


def connector(host, ip=None):
    """What this compute host sends with an attachment (Cinder's connector properties);
    the volume API records ``host`` as where the volume is attached."""
    properties = {"host": host, "multipath": False, "platform": "x86_64",
                  "os_type": "linux"}
    if ip:
        properties["ip"] = ip
    return properties


def disk_xml(connection_info, target_dev, serial=None, bus="virtio"):
    """The ``<disk>`` element (a string) for libvirt's attachDeviceFlags and
    detachDeviceFlags; ``serial`` (the volume id, as Nova sets it) names the disk in the
    guest under /dev/disk/by-id."""
    if connection_info.get("driver_volume_type") != DRIVER_VOLUME_TYPE:
        raise UnsupportedVolume(f"Volume transport {connection_info.get('driver_volume_type')!r}"
                                f" is not supported; only {DRIVER_VOLUME_TYPE!r}.")
    data = connection_info["data"]
    disk = ET.Element("disk", type="network", device="disk")
    ET.SubElement(disk, "driver", name="qemu", type="raw", cache="none", discard="unmap")
    source = ET.SubElement(disk, "source", protocol="nbd", name=data["export_name"])
    ET.SubElement(source, "host", name=str(data["host"]), port=str(data["port"]))
    ET.SubElement(disk, "target", dev=target_dev, bus=bus)
    if serial:
        ET.SubElement(disk, "serial").text = serial
    if data.get("access_mode") == "ro":
        ET.SubElement(disk, "readonly")
    return ET.tostring(disk, encoding="unicode")
