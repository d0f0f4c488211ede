"""Resizing or cold-migrating a libvirt guest, as Nova's libvirt driver does: the
guest's directory is kept as ``<uuid>_resize`` (with its domain XML) until the move is
confirmed (removed) or reverted (put back and the old domain defined again, exactly as
it was); the new guest gets a copy of the root overlay, grown to the new flavor's size,
fresh ephemeral and swap disks, and the config drive it had. A move to another host
copies the kept directory there first (``disk_copy``, over SSH), and the destination
fetches the base image into its cache before it uses the copy. Volumes are not copied:
the agent gives the destination's connections (``block_device_info`` with their
``connection_info``) to the new guest, and on a revert the kept domain's network disks
are pointed at the volumes' exports again.
"""
import json
import logging
import os
import shutil
import xml.etree.ElementTree as ET

import libvirt
from oslo_concurrency import processutils

from agent.storage import CONFIG_DRIVE, ROOT, Disk, ephemeral
from agent.virt import driver
from agent.virt.libvirt import disk_copy
from agent.virt.libvirt import domain as domain_xml
from agent.virt.libvirt.volume_attach import disk_of_volume
from contract.clients.image import ImageError

LOG = logging.getLogger(__name__)

KEPT_SUFFIX = "_resize"
KEPT_DOMAIN_XML = "domain.xml"
CONFIG_DRIVE_FILE = "disk.config"
CONSOLE_LOG = "console.log"
GiB = 1024 ** 3


def virtual_size(path):
    """A disk's virtual size in bytes (its header's, read while the guest may run)."""
    out, _ = processutils.execute("qemu-img", "info", "--output=json", "-U", path)
    return json.loads(out)["virtual-size"]


def with_volume_sources(xml, block_device_info):
    """``xml`` with each volume's network disk (found by its serial, the volume id)
    pointed at the export in the BDM's ``connection_info``: a volume re-exported while
    its server moved may listen on another port."""
    connections = {bdm["volume_id"]: bdm["connection_info"]["data"]
                   for bdm in block_device_info or () if bdm.get("connection_info")}
    if not connections:
        return xml
    root = ET.fromstring(xml)
    for disk in root.iter("disk"):
        serial = disk.findtext("serial")
        source = disk.find("source")
        if disk.get("type") != "network" or serial not in connections or source is None:
            continue
        data = connections[serial]
        source.set("name", data["export_name"])
        for host in source.findall("host"):
            source.remove(host)
        ET.SubElement(source, "host", name=str(data["host"]), port=str(data["port"]))
    return ET.tostring(root, encoding="unicode")


def _volumes(block_device_info):
    return [bdm for bdm in block_device_info or () if bdm.get("connection_info")]


class GuestMoves:
    """Mixed into ``LibvirtDriver`` (``self.host``, ``_instance_dir``, ``_lookup``,
    ``_domain``, ``_connection``, ``_shut_down``, ``_hard_stop``, ``_remove_guest``)."""

    def _kept_dir(self, uuid):
        return self._instance_dir(uuid) + KEPT_SUFFIX

    def migrate_disk_and_power_off(self, context, instance, dest_host, flavor,
                                   network_info, block_device_info=None, timeout=0):
        uuid = instance["uuid"]
        remote = dest_host != self.host
        if remote:
            disk_copy.check_configured(self.conf, dest_host)
        dom = self._domain(instance)
        root = os.path.join(self._instance_dir(uuid), ephemeral.ROOT_DISK)
        if (flavor.get("root_gb") and os.path.exists(root)       # not a root volume
                and flavor["root_gb"] * GiB < virtual_size(root)):
            raise driver.VirtError("A root disk cannot shrink.")
        was_running = dom.isActive()
        kept = self._kept_dir(uuid)
        shutil.rmtree(kept, ignore_errors=True)
        try:
            if was_running and not (timeout and self._shut_down(dom, timeout)):
                self._hard_stop(dom)
            xml = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
            os.rename(self._instance_dir(uuid), kept)
            with open(os.path.join(kept, KEPT_DOMAIN_XML), "w") as f:
                f.write(xml)
            dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM
                              | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
            if remote:
                disk_copy.send(self.conf, kept, dest_host)
        except (OSError, libvirt.libvirtError, driver.VirtError) as exc:
            self._put_back(uuid, power_on=was_running)
            raise driver.VirtError(f"Could not stop {uuid} for its move: {exc}") from exc
        LOG.info("Guest %s stopped and kept in %s for its move", uuid, kept)
        return {"source_host": self.host, "kept_dir": kept}

    def finish_migration(self, context, migration, instance, disk_info, network_info,
                         image_meta, block_device_info=None, power_on=True):
        uuid = instance["uuid"]
        kept = disk_info["kept_dir"]
        copied_here = disk_info["source_host"] != self.host
        instance_dir = self._instance_dir(uuid)
        shutil.rmtree(instance_dir, ignore_errors=True)
        volumes = _volumes(block_device_info)
        root_volume = next((bdm for bdm in volumes if bdm["boot_index"] == 0), None)
        try:
            os.makedirs(instance_dir, mode=0o755)
            if root_volume is None:
                if copied_here:  # the overlay's base image must be in this host's cache
                    self.image_cache.fetch(context.auth_token, image_meta)
                root = os.path.join(instance_dir, ephemeral.ROOT_DISK)
                shutil.copyfile(os.path.join(kept, ephemeral.ROOT_DISK), root)
                size = instance["flavor"].get("root_gb", 0) * GiB
                if size > virtual_size(root):
                    ephemeral.resize_disk(root, size)
                disks = [Disk(role=ROOT, path=root, format="qcow2")]
            else:
                disks = [disk_of_volume(root_volume)]
            disks += ephemeral.create_extra_disks(instance_dir, instance["flavor"])
            drive = os.path.join(kept, CONFIG_DRIVE_FILE)
            if os.path.exists(drive):
                shutil.copyfile(drive, os.path.join(instance_dir, CONFIG_DRIVE_FILE))
                disks.append(Disk(role=CONFIG_DRIVE, format="raw", read_only=True,
                                  path=os.path.join(instance_dir, CONFIG_DRIVE_FILE)))
            disks += [disk_of_volume(bdm) for bdm in volumes if bdm is not root_volume]
            xml = domain_xml.build_domain_xml(
                instance=instance, host=self.host, virt_type=self.virt_type,
                arch=self.arch, disks=disks, network_info=network_info,
                console_log=os.path.join(instance_dir, CONSOLE_LOG),
                image_properties=(image_meta or {}).get("properties"),
                disk_cache=self.disk_cache)
            dom = self._connection().defineXML(xml)
            if power_on:
                dom.create()
        except (OSError, ephemeral.StorageError, domain_xml.InvalidImageProperty,
                libvirt.libvirtError, ImageError) as exc:
            self._remove_guest(uuid)
            raise driver.VirtError(f"Could not start {uuid} after its move: {exc}") from exc
        finally:
            if copied_here:
                shutil.rmtree(kept, ignore_errors=True)
        LOG.info("Guest %s moved here with flavor %s", uuid, instance["flavor"].get("name"))

    def confirm_migration(self, context, migration, instance):
        shutil.rmtree(self._kept_dir(instance["uuid"]), ignore_errors=True)

    def finish_revert_migration(self, context, instance, network_info,
                                block_device_info=None, power_on=True):
        try:
            self._put_back(instance["uuid"], power_on, block_device_info)
        except (OSError, libvirt.libvirtError) as exc:
            raise driver.VirtError(f"Could not revert {instance['uuid']}: {exc}") from exc

    def _put_back(self, uuid, power_on, block_device_info=None):
        """The guest as it was before its move: its kept directory and domain (its
        volumes at the exports ``block_device_info`` gives, if any)."""
        kept = self._kept_dir(uuid)
        xml_path = os.path.join(kept, KEPT_DOMAIN_XML)
        if os.path.exists(xml_path):
            with open(xml_path) as f:
                xml = with_volume_sources(f.read(), block_device_info)
            os.unlink(xml_path)
            if self._lookup(uuid) is not None:
                self._remove_guest(uuid)
            shutil.rmtree(self._instance_dir(uuid), ignore_errors=True)
            os.rename(kept, self._instance_dir(uuid))
            dom = self._connection().defineXML(xml)
        else:
            # Stopped before its directory was moved: only to start again.
            if os.path.isdir(kept) and not os.path.isdir(self._instance_dir(uuid)):
                os.rename(kept, self._instance_dir(uuid))
            dom = self._lookup(uuid)
        if power_on and dom is not None and not dom.isActive():
            dom.create()
