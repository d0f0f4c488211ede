"""A guest's diagnostics from libvirt, in Nova's standard form (microversion 2.48):
power state, CPU times, memory, and the counters of its NICs and disks (each NIC and disk
also named by its ``device``, which the API shows only in the older, per-device form)."""
import xml.etree.ElementTree as ET

import libvirt

# virDomainState → Nova's diagnostics state
_STATES = {libvirt.VIR_DOMAIN_NOSTATE: "pending", libvirt.VIR_DOMAIN_RUNNING: "running",
           libvirt.VIR_DOMAIN_BLOCKED: "running", libvirt.VIR_DOMAIN_PAUSED: "paused",
           libvirt.VIR_DOMAIN_SHUTDOWN: "shutdown", libvirt.VIR_DOMAIN_SHUTOFF: "shutdown",
           libvirt.VIR_DOMAIN_CRASHED: "crashed",
           libvirt.VIR_DOMAIN_PMSUSPENDED: "suspended"}


def _devices(xml):
    """(disk target names, [(NIC target name, MAC)]) of a domain's XML."""
    root = ET.fromstring(xml)
    disks = [target.get("dev") for target in root.findall("./devices/disk/target")]
    nics = [(iface.find("target").get("dev"), iface.find("mac").get("address"))
            for iface in root.findall("./devices/interface")
            if iface.find("target") is not None and iface.find("mac") is not None]
    return disks, nics


def of(dom, hypervisor, uptime, config_drive):
    """Nova's diagnostics of ``dom``; ``uptime``: seconds since its server launched."""
    state, max_kib, _, vcpus, _ = dom.info()
    active = dom.isActive()
    disks, nics = _devices(dom.XMLDesc(0))
    cpus = [{"id": vcpu[0], "time": vcpu[2], "utilisation": None}
            for vcpu in dom.vcpus()[0]] if active else []
    used = None
    if active:
        stats = dom.memoryStats()
        used = (stats.get("actual", 0) - stats.get("unused", 0)) // 1024 if (
            "unused" in stats) else stats.get("rss", 0) // 1024
    nic_details = []
    for dev, mac in nics:
        counters = dom.interfaceStats(dev) if active else (None,) * 8
        rx_bytes, rx_packets, rx_errs, rx_drop, tx_bytes, tx_packets, tx_errs, tx_drop = (
            counters)
        nic_details.append({"device": dev, "mac_address": mac, "rx_octets": rx_bytes,
                            "rx_errors": rx_errs, "rx_drop": rx_drop,
                            "rx_packets": rx_packets, "rx_rate": None,
                            "tx_octets": tx_bytes, "tx_errors": tx_errs,
                            "tx_drop": tx_drop, "tx_packets": tx_packets,
                            "tx_rate": None})
    disk_details = []
    for dev in disks:
        read_requests, read_bytes, write_requests, write_bytes, errors = (
            dom.blockStats(dev) if active else (None,) * 5)
        disk_details.append({"device": dev, "read_bytes": read_bytes,
                             "read_requests": read_requests,
                             "write_bytes": write_bytes, "write_requests": write_requests,
                             "errors_count": errors})
    return {"state": _STATES.get(state, "pending"), "driver": "libvirt",
            "hypervisor": hypervisor, "hypervisor_os": "linux", "uptime": uptime,
            "config_drive": config_drive, "num_cpus": vcpus, "num_nics": len(nics),
            "num_disks": len(disks),
            "memory_details": {"maximum": max_kib // 1024, "used": used},
            "cpu_details": cpus, "nic_details": nic_details, "disk_details": disk_details}
