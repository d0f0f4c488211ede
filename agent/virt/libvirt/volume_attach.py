"""Volumes on a libvirt guest: NBD exports the volume service gave this host, as disks
at boot (``disk_of_volume``) or attached to and detached from a defined guest."""
import logging
import time

import libvirt

from agent.storage import ROOT, VOLUME, Disk
from agent.virt import driver
from agent.virt.libvirt import domain as domain_xml
from agent.virt.libvirt.lifecycle import POLL_SECONDS
from agent.volume import nbd

LOG = logging.getLogger(__name__)

# A guest may miss an unplug request (e.g. while it boots): ask again this often.
DETACH_RETRY_SECONDS = 5


def disk_of_volume(bdm):
    """The Disk of a volume BDM whose export this host was given."""
    data = bdm["connection_info"].get("data", {})
    return Disk(role=ROOT if bdm["boot_index"] == 0 else VOLUME,
                path=f"nbd://{data.get('host')}:{data.get('port')}/{data.get('export_name')}",
                format="raw", source_type="network", serial=bdm["volume_id"],
                connection_info=bdm["connection_info"])


class GuestVolumes:
    """Mixed into ``LibvirtDriver`` (``conf``, ``_domain``)."""

    def attach_volume(self, instance, connection_info, volume_id, device_name):
        dom = self._domain(instance)
        flags = libvirt.VIR_DOMAIN_AFFECT_CONFIG
        used = domain_xml.disk_targets(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        if dom.isActive():
            flags |= libvirt.VIR_DOMAIN_AFFECT_LIVE
            used |= domain_xml.disk_targets(dom.XMLDesc(0))
        target = domain_xml.volume_target(device_name, used)
        if target is None:
            raise driver.VirtError(f"Instance {instance['uuid']} has no free disk name "
                                   f"left for volume {volume_id}.")
        try:
            dom.attachDeviceFlags(nbd.disk_xml(connection_info, target, serial=volume_id),
                                  flags)
        except (libvirt.libvirtError, nbd.UnsupportedVolume) as exc:
            raise driver.VirtError(f"Attaching volume {volume_id} failed: {exc}") from exc
        LOG.info("Attached volume %s to %s as %s", volume_id, dom.name(), target)
        return "/dev/" + target

    def detach_volume(self, instance, volume_id):
        """From the persistent definition first (the volume must not come back at the
        next start), then from the running guest, which has to let go of it."""
        dom = self._domain(instance)
        try:
            disk = domain_xml.volume_disk(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE),
                                          volume_id)
            if disk is not None:
                dom.detachDeviceFlags(disk, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        except libvirt.libvirtError as exc:
            raise driver.VirtError(f"Detaching volume {volume_id} failed: {exc}") from exc
        self._detach_live(dom, volume_id)
        LOG.info("Detached volume %s from %s", volume_id, dom.name())

    def _detach_live(self, dom, volume_id):
        timeout = self.conf.libvirt.volume_detach_timeout
        deadline = time.monotonic() + timeout
        asked_at = None
        while dom.isActive():
            disk = domain_xml.volume_disk(dom.XMLDesc(0), volume_id)
            if disk is None:
                return
            now = time.monotonic()
            if now > deadline:
                raise driver.VirtError(f"The guest did not release volume {volume_id} "
                                       f"within {timeout} s.")
            if asked_at is None or now - asked_at > DETACH_RETRY_SECONDS:
                asked_at = now
                try:
                    dom.detachDeviceFlags(disk, libvirt.VIR_DOMAIN_AFFECT_LIVE)
                except libvirt.libvirtError as exc:
                    # Typically "already in the process of unplug": keep waiting.
                    LOG.debug("Unplug request for volume %s: %s", volume_id, exc)
            time.sleep(POLL_SECONDS)
