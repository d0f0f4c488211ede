"""What a libvirt live migration is made of, decided without libvirt: the flags and
parameters of ``virDomainMigrateToURI3``, the domain XML the destination gets (its own
host in the metadata, its consoles' addresses), the disks a block migration copies, the
progress read from the job's statistics, and when the monitor steps in (an admin's
abort or force-complete, or the completion timeout). Pure, so every rule is
unit-tested; ``live_migration`` does the libvirt calls."""
import dataclasses
import os
import xml.etree.ElementTree as ET

import libvirt

from agent.virt.libvirt import domain as domain_xml

ABORT = "abort"
FORCE_COMPLETE = "force_complete"
TIMEOUT_ACTIONS = (ABORT, FORCE_COMPLETE)
GiB = 1024 ** 3

# libvirt's job statistics → the migration's progress fields (Nova's names).
PROGRESS_KEYS = {"memory_total": "memory_total_bytes",
                 "memory_processed": "memory_processed_bytes",
                 "memory_remaining": "memory_remaining_bytes",
                 "disk_total": "disk_total_bytes",
                 "disk_processed": "disk_processed_bytes",
                 "disk_remaining": "disk_remaining_bytes"}


def flags(block_migration):
    """Peer to peer (the source's libvirtd talks to the destination's), live, the
    domain defined on the destination and undefined here once it runs there; with a
    block migration the writable disks are copied (on top of the same base image,
    which the destination has in its image cache)."""
    value = (libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER
             | libvirt.VIR_MIGRATE_PERSIST_DEST | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE)
    if block_migration:
        value |= libvirt.VIR_MIGRATE_NON_SHARED_INC
    return value


def params(dest_xml, inbound_addr, disks_to_copy, bandwidth_mib):
    """The typed parameters: the destination's XML, where QEMU sends the memory (and
    the disks' NBD streams), which disks to copy, and the bandwidth cap (0: none)."""
    values = {libvirt.VIR_MIGRATE_PARAM_DEST_XML: dest_xml,
              libvirt.VIR_MIGRATE_PARAM_PERSIST_XML: dest_xml}
    if inbound_addr:
        values[libvirt.VIR_MIGRATE_PARAM_URI] = f"tcp://{_uri_host(inbound_addr)}"
    if disks_to_copy:
        values[libvirt.VIR_MIGRATE_PARAM_MIGRATE_DISKS] = list(disks_to_copy)
    if bandwidth_mib:
        values[libvirt.VIR_MIGRATE_PARAM_BANDWIDTH] = int(bandwidth_mib)
    return values


def _uri_host(address):
    return f"[{address}]" if ":" in address else address


def connection_uri(template, dest_host):
    """The destination libvirtd's URI from ``[libvirt] live_migration_uri`` (``%s``:
    the destination host's name)."""
    return template % dest_host if "%s" in template else template


@dataclasses.dataclass(frozen=True)
class LocalDisk:
    """A writable disk file of the guest in its instance directory."""

    target: str          # vda, vdb ...
    path: str
    format: str


def local_disks(xml, instance_dir):
    """The guest's writable file disks in ``instance_dir``: what a block migration
    copies (a read-only config drive is made again on the destination; volumes are
    not local)."""
    found = []
    for disk in ET.fromstring(xml).findall("devices/disk"):
        source, target = disk.find("source"), disk.find("target")
        driver = disk.find("driver")
        if (disk.get("type") != "file" or source is None or target is None
                or disk.find("readonly") is not None):
            continue
        path = source.get("file", "")
        if os.path.dirname(path) != instance_dir.rstrip("/"):
            continue
        found.append(LocalDisk(target.get("dev"), path,
                               driver.get("type") if driver is not None else "raw"))
    return found


def destination_xml(xml, dest_host, vnc_listen=None, serial_host=None, serial_port=None):
    """The domain XML as the destination runs it: owned by ``dest_host``'s agent (its
    metadata), its VNC console listening on the destination's management address and
    its serial console on ``serial_host``:``serial_port`` there."""
    root = ET.fromstring(xml)
    host = root.find(f"metadata/{{{domain_xml.METADATA_NS}}}instance/"
                     f"{{{domain_xml.METADATA_NS}}}host")
    if host is not None:
        host.text = dest_host
    for graphics in root.findall("devices/graphics[@type='vnc']"):
        if vnc_listen:
            graphics.set("listen", vnc_listen)
            for listen in graphics.findall("listen[@type='address']"):
                listen.set("address", vnc_listen)
        if graphics.get("autoport") == "yes":
            graphics.attrib.pop("port", None)
    for tag in ("serial", "console"):
        for chardev in root.findall(f"devices/{tag}[@type='tcp']"):
            source = chardev.find("source")
            if source is not None and serial_host and serial_port:
                source.set("host", serial_host)
                source.set("service", str(serial_port))
    return ET.tostring(root, encoding="unicode")


def progress_of(job_stats):
    """The migration's progress fields from ``virDomainGetJobStats``."""
    return {field: int(job_stats[key]) for key, field in PROGRESS_KEYS.items()
            if key in job_stats}


def completion_timeout(seconds_per_gib, memory_mb, disk_bytes):
    """Seconds the copy may take, as Nova scales ``live_migration_completion_timeout``
    by the data to move (RAM, plus the disks of a block migration); 0: no limit."""
    if not seconds_per_gib:
        return 0
    gib = max((memory_mb * 1024 * 1024 + disk_bytes) / GiB, 1.0)
    return seconds_per_gib * gib


def next_step(elapsed, timeout, timeout_action, requested, done_already):
    """What the monitor does now: ``requested`` is the admin's (abort or
    force_complete, or None), ``done_already`` the steps already taken (each is taken
    once); past ``timeout`` seconds (0: never) the configured ``timeout_action``."""
    if requested and requested not in done_already:
        return requested
    if timeout and elapsed > timeout and timeout_action not in done_already:
        return timeout_action
    return None
