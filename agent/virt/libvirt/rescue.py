"""Rescuing a libvirt guest, as Nova's libvirt driver: the domain is redefined to boot a
fresh overlay of the rescue image (``disk.rescue``) with the guest's own root disk as
the second disk; the original domain XML is kept beside (``rescue-domain.xml``) and
defined again by ``unrescue``, exactly as it was."""
import logging
import os

import libvirt

from agent.storage import CONFIG_DRIVE, ROOT, Disk, ephemeral
from agent.virt import driver
from agent.virt.libvirt import consoles
from agent.virt.libvirt import domain as domain_xml
from contract.clients.image import ImageError

LOG = logging.getLogger(__name__)

RESCUE_DISK = "disk.rescue"
RESCUE_DOMAIN_XML = "rescue-domain.xml"
CONFIG_DRIVE_FILE = "disk.config"
CONSOLE_LOG = "console.log"


class GuestRescue:
    """Mixed into ``LibvirtDriver`` (``image_cache``, ``_instance_dir``, ``_domain``,
    ``_connection``, ``_hard_stop``)."""

    def rescue(self, context, instance, network_info, image_meta):
        uuid = instance["uuid"]
        instance_dir = self._instance_dir(uuid)
        dom = self._domain(instance)
        saved = os.path.join(instance_dir, RESCUE_DOMAIN_XML)
        rescue_disk = os.path.join(instance_dir, RESCUE_DISK)
        original = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        try:
            base, _ = self.image_cache.fetch(context.auth_token, image_meta)
            ephemeral.create_root_disk(rescue_disk, base.path, base.disk_format,
                                       ephemeral.root_disk_size(0, base.virtual_size))
            disks = [Disk(role=ROOT, path=rescue_disk, format="qcow2"),
                     Disk(role=ROOT, path=os.path.join(instance_dir, ephemeral.ROOT_DISK),
                          format="qcow2")]
            drive = os.path.join(instance_dir, CONFIG_DRIVE_FILE)
            if os.path.exists(drive):
                disks.append(Disk(role=CONFIG_DRIVE, path=drive, format="raw",
                                  read_only=True))
            xml = domain_xml.build_domain_xml(
                instance=instance, host=self.host, virt_type=self.virt_type,
                arch=self.arch, disks=disks, network_info=network_info,
                console_log=os.path.join(instance_dir, CONSOLE_LOG),
                image_properties=image_meta.get("properties"), disk_cache=self.disk_cache,
                # The rescue domain holds the guest's console ports, which no other
                # guest may take before unrescue defines the original domain again.
                consoles=consoles.devices_of(original))
            with open(saved, "w") as f:
                f.write(original)
            self._hard_stop(dom)
            self._connection().defineXML(xml).create()
        except (ImageError, ephemeral.StorageError, domain_xml.InvalidImageProperty,
                OSError, libvirt.libvirtError) as exc:
            self._restore_original(uuid, original)
            raise driver.VirtError(f"Could not rescue {uuid}: {exc}") from exc
        LOG.info("Guest %s rescued from image %s", uuid, image_meta.get("id"))

    def unrescue(self, context, instance, network_info):
        uuid = instance["uuid"]
        saved = os.path.join(self._instance_dir(uuid), RESCUE_DOMAIN_XML)
        try:
            with open(saved) as f:
                original = f.read()
            self._restore_original(uuid, original)
        except (OSError, libvirt.libvirtError) as exc:
            raise driver.VirtError(f"Could not unrescue {uuid}: {exc}") from exc

    def _restore_original(self, uuid, original):
        """The guest's own domain, running, and no rescue disk."""
        dom = self._domain({"uuid": uuid})
        self._hard_stop(dom)
        dom = self._connection().defineXML(original)
        for name in (RESCUE_DISK, RESCUE_DOMAIN_XML):
            path = os.path.join(self._instance_dir(uuid), name)
            if os.path.exists(path):
                os.unlink(path)
        dom.create()
