"""The libvirt domain XML of a guest, from its flavor, image properties, disks and NICs.

Pure: builds and reads XML, touches nothing, so every rule here is unit-tested.
The domain is named ``pocketstack-<uuid>``, has the instance's UUID as its own, and
records in ``<metadata>`` the agent host that owns it: several agents may share one
libvirtd (simulated multi-host setups), and each must reconcile only its own guests.
"""
import string
import uuid
import xml.etree.ElementTree as ET

from agent.storage import CONFIG_DRIVE
from agent.volume import nbd

NAME_PREFIX = "pocketstack-"
METADATA_NS = "https://pocketstack.dev/xmlns/libvirt/instance/1.0"

# hw_disk_bus → (device name prefix, whether a disk on that bus can be read-only)
DISK_BUSES = {"virtio": ("vd", True), "scsi": ("sd", True), "sata": ("sd", False),
              "ide": ("hd", False)}
VIF_MODELS = ("virtio", "e1000", "e1000e", "rtl8139", "ne2k_pci", "pcnet")
FIRMWARE_TYPES = ("bios", "uefi")

ET.register_namespace("pocketstack", METADATA_NS)


class InvalidImageProperty(ValueError):
    """An image property asks for hardware this driver does not offer."""


def domain_name(instance_uuid):
    return NAME_PREFIX + instance_uuid


def is_uuid(text):
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def instance_uuid_of(name):
    """The instance UUID of a pocketstack domain name, or None for other domains."""
    if name.startswith(NAME_PREFIX):
        return name[len(NAME_PREFIX):]
    return None


def tap_name(port_id):
    """The tap device of a port, as Nova and Neutron's Linux bridge agent name it."""
    return "tap" + port_id[:11]


def _choice(properties, key, allowed, default):
    value = properties.get(key) or default
    if value not in allowed:
        raise InvalidImageProperty(
            f"Image property {key}={value!r} is not supported; use one of "
            f"{', '.join(allowed)}.")
    return value


def _device_names(prefix):
    for letter in string.ascii_lowercase:
        yield prefix + letter


def _sub(parent, tag, text=None, **attrs):
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = str(text)
    return element


def build_domain_xml(*, instance, host, virt_type, arch, disks, network_info,
                     console_log, image_properties, disk_cache="none", consoles=None):
    """The domain XML (a string) for ``instance`` (the conductor's instance dict) on
    agent ``host``.

    ``disks`` are ``agent.storage.Disk`` records in guest order (root first);
    ``network_info`` is the manager's list of VIFs; ``console_log`` the file the
    serial console is logged to; ``disk_cache`` the qemu cache mode of file disks
    (``none`` needs O_DIRECT from the instance file system).
    """
    properties = image_properties or {}
    disk_bus = _choice(properties, "hw_disk_bus", tuple(DISK_BUSES), "virtio")
    vif_model = _choice(properties, "hw_vif_model", VIF_MODELS, "virtio")
    firmware = _choice(properties, "hw_firmware_type", FIRMWARE_TYPES, "bios")
    flavor = instance["flavor"]

    domain = ET.Element("domain", type=virt_type)
    _sub(domain, "name", domain_name(instance["uuid"]))
    _sub(domain, "uuid", instance["uuid"])
    metadata = _sub(_sub(domain, "metadata"), f"{{{METADATA_NS}}}instance")
    _sub(metadata, f"{{{METADATA_NS}}}host", host)
    for key in ("name", "project_id", "user_id", "image_ref"):
        if instance.get(key):
            _sub(metadata, f"{{{METADATA_NS}}}{key}", instance[key])
    if flavor.get("name"):
        _sub(metadata, f"{{{METADATA_NS}}}flavor", flavor["name"])
    _sub(domain, "memory", flavor["memory_mb"], unit="MiB")
    _sub(domain, "vcpu", flavor["vcpus"])

    os_element = _sub(domain, "os")
    if firmware == "uefi":
        os_element.set("firmware", "efi")
    os_type = _sub(os_element, "type", "hvm", arch=arch)
    if properties.get("hw_machine_type"):
        os_type.set("machine", properties["hw_machine_type"])
    _sub(os_element, "boot", dev="hd")

    features = _sub(domain, "features")
    _sub(features, "acpi")
    _sub(features, "apic")
    if virt_type == "kvm":
        _sub(domain, "cpu", mode="host-model")
    _sub(domain, "clock", offset="utc")
    _sub(domain, "on_poweroff", "destroy")
    _sub(domain, "on_reboot", "restart")
    _sub(domain, "on_crash", "destroy")

    devices = _sub(domain, "devices")
    _add_disks(devices, disks, disk_bus, disk_cache)
    for vif in network_info or ():
        interface = _sub(devices, "interface", type="bridge")
        _sub(interface, "mac", address=vif["address"])
        _sub(interface, "source", bridge=vif["network"]["bridge"])
        _sub(interface, "target", dev=vif.get("devname") or tap_name(vif["id"]))
        _sub(interface, "model", type=vif_model)
        if vif["network"].get("mtu"):
            _sub(interface, "mtu", size=vif["network"]["mtu"])
    _add_consoles(devices, console_log, consoles)
    rng = _sub(devices, "rng", model="virtio")
    _sub(rng, "backend", "/dev/urandom", model="random")
    _sub(devices, "memballoon", model="virtio")
    _sub(devices, "controller", type="usb", model="none")

    return ET.tostring(domain, encoding="unicode")


def _add_consoles(devices, console_log, consoles):
    """The serial port, logged by virtlogd to the file the API reads: raw TCP on the
    management address when the console proxy is to reach it, else a pty (``virsh
    console``); and VNC graphics on the management address (autoport)."""
    if consoles is not None and consoles.serial_port is not None:
        for tag, extra in (("serial", {}), ("console", {"type": "serial"})):
            chardev = _sub(devices, tag, type="tcp")
            _sub(chardev, "source", mode="bind", host=consoles.serial_host,
                 service=consoles.serial_port)
            _sub(chardev, "protocol", type="raw")
            if tag == "serial":
                _sub(chardev, "log", file=console_log, append="on")
            _sub(chardev, "target", port="0", **extra)
    else:
        serial = _sub(devices, "serial", type="pty")
        _sub(serial, "log", file=console_log, append="on")
        _sub(serial, "target", port="0")
        console = _sub(devices, "console", type="pty")
        _sub(console, "target", type="serial", port="0")
    if consoles is not None and consoles.vnc_listen:
        graphics = _sub(devices, "graphics", type="vnc", autoport="yes",
                        listen=consoles.vnc_listen)
        _sub(graphics, "listen", type="address", address=consoles.vnc_listen)


def _add_disks(devices, disks, bus, cache):
    prefix, read_only_ok = DISK_BUSES[bus]
    if bus == "scsi":
        _sub(devices, "controller", type="scsi", model="virtio-scsi", index="0")
    names = _device_names(prefix)
    for disk in disks:
        try:
            target = next(names)
        except StopIteration:
            raise InvalidImageProperty(f"Too many disks on the {bus} bus.") from None
        if disk.connection_info is not None:
            # A volume: the same <disk> that is hot-plugged (nbd.disk_xml).
            devices.append(ET.fromstring(nbd.disk_xml(disk.connection_info, target,
                                                      serial=disk.serial, bus=bus)))
            continue
        # A read-only disk on IDE/SATA must be a CD-ROM: qemu refuses read-only disks there.
        device = "cdrom" if disk.role == CONFIG_DRIVE and not read_only_ok else "disk"
        element = _sub(devices, "disk", type=disk.source_type, device=device)
        _sub(element, "driver", name="qemu", type=disk.format, cache=cache)
        source_key = "dev" if disk.source_type == "block" else "file"
        _sub(element, "source", **{source_key: disk.path})
        _sub(element, "target", dev=target, bus=bus)
        if disk.read_only or disk.role == CONFIG_DRIVE:
            _sub(element, "readonly")
        if disk.serial:
            _sub(element, "serial", disk.serial)


def disk_targets(xml):
    """The target device names (``vda``, ``hdc`` ...) of a domain's disks."""
    return {target.get("dev") for target in ET.fromstring(xml).findall("devices/disk/target")}


def volume_disk(xml, volume_id):
    """The ``<disk>`` (a string) of volume ``volume_id`` (its serial) in a domain's XML,
    as detachDeviceFlags takes it, or None."""
    for disk in ET.fromstring(xml).findall("devices/disk"):
        if disk.findtext("serial") == volume_id:
            return ET.tostring(disk, encoding="unicode")
    return None


def volume_target(requested, used):
    """The target of a volume plugged into a running guest: ``requested``
    (``/dev/vdX``) if it is a free virtio name, else the first free ``vdX``; None when
    all are taken."""
    wanted = (requested or "").rsplit("/", 1)[-1]
    if wanted.startswith("vd") and wanted not in used:
        return wanted
    return next((name for name in _device_names("vd") if name not in used), None)


def owner_host(metadata_xml):
    """The agent host recorded in a domain's pocketstack metadata element (the XML that
    ``virDomain.metadata(VIR_DOMAIN_METADATA_ELEMENT, METADATA_NS)`` returns)."""
    element = ET.fromstring(metadata_xml).find("host")
    return element.text if element is not None else None
