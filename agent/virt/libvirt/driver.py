"""Real guests through libvirt (QEMU/KVM): the ``libvirt`` value of ``[agent] virt_driver``.

A guest is a persistent domain ``pocketstack-<uuid>`` plus the directory
``<instances_path>/<uuid>/`` (disks, config drive, console log); its root disk is an
overlay on the base image in the shared image cache. ``destroy`` removes both, and works
on whatever part of them exists, so the manager can reconcile after a crash.
"""
import logging
import os
import shutil
import threading
import time

import libvirt

from agent.image.cache import ImageCache
from agent.storage import CONFIG_DRIVE, ROOT, VOLUME, Disk, ephemeral
from agent.virt import configdrive, driver
from agent.virt.libvirt import domain as domain_xml
from agent.virt.libvirt import consoles, diagnostics, events, host_checks, power, snapshot
from agent.virt.libvirt.live_migration import GuestLiveMigration
from agent.virt.libvirt.moves import GuestMoves, disk_of_volume
from agent.virt.libvirt.rescue import GuestRescue
from agent.volume import nbd
from conf import libvirt as libvirt_conf
from contract.clients.image import ImageClient, ImageError, image_endpoint
from contract.exception import ComputeError, InstanceNotReady

LOG = logging.getLogger(__name__)

CONFIG_DRIVE_FILE = "disk.config"
CONSOLE_LOG = "console.log"
POLL_SECONDS = 0.5
# A guest may miss an unplug request (e.g. while it boots): ask again this often.
DETACH_RETRY_SECONDS = 5
GiB = 1024 ** 3


def _is_error(exc, *codes):
    return isinstance(exc, libvirt.libvirtError) and exc.get_error_code() in codes


class LibvirtDriver(GuestMoves, GuestLiveMigration, GuestRescue, driver.ComputeDriver):
    def __init__(self, conf):
        self.conf = conf
        self.host = None
        self.virt_type = conf.libvirt.virt_type
        self.instances_path = libvirt_conf.instances_path(conf)
        self.image_cache = ImageCache(libvirt_conf.image_cache_path(conf),
                                      ImageClient(image_endpoint(conf)))
        self.disk_cache = "none"
        self.arch = None
        self._conn = None
        self._conn_lock = threading.Lock()
        self._events = None
        self._live_requests = {}

    # --- connection ------------------------------------------------------------------

    def _connection(self):
        """The libvirt connection, reopened (and events re-registered) if it was lost,
        e.g. because libvirtd restarted."""
        with self._conn_lock:
            if self._conn is not None and self._conn.isAlive():
                return self._conn
            conn = libvirt.open(self.conf.libvirt.connection_uri)
            conn.setKeepAlive(5, 3)
            conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                        self._events.on_lifecycle, None)
            self._conn = conn
            return conn

    def init_host(self, host):
        self.host = host
        # Errors reach us as exceptions; without a handler libvirt also prints each one,
        # including the expected "domain not found" of every lookup.
        libvirt.registerErrorHandler(lambda _opaque, _error: None, None)
        events.start_event_loop()
        self._events = events.LifecycleEventDispatcher(owns=self._owns_domain_named)
        conn = self._connection()
        self.arch = conn.getInfo()[0]
        if self.virt_type == "kvm" and not host_checks.kvm_usable(conn, self.arch):
            LOG.warning("[libvirt] virt_type is kvm but KVM is not usable on this host; "
                        "guests run under qemu emulation (slow)")
            self.virt_type = "qemu"
        host_checks.check_qemu_can_reach(
            conn, (self.instances_path, self.image_cache.cache_dir))
        os.makedirs(self.instances_path, exist_ok=True)
        os.chmod(self.instances_path, 0o755)  # qemu runs as its own user
        if not host_checks.supports_direct_io(self.instances_path):
            LOG.info("%s does not support O_DIRECT; disks use cache mode writeback",
                     self.instances_path)
            self.disk_cache = "writeback"
        LOG.info("libvirt driver ready on %s: %s domains, instances in %s",
                 self.conf.libvirt.connection_uri, self.virt_type, self.instances_path)

    def register_event_listener(self, callback):
        self._events.add_listener(callback)

    # --- finding guests ---------------------------------------------------------------

    def _owns(self, dom):
        """Whether ``dom`` is a guest of this agent host (libvirtd may be shared)."""
        if domain_xml.instance_uuid_of(dom.name()) is None:
            return False
        try:
            metadata = dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT,
                                    domain_xml.METADATA_NS)
        except libvirt.libvirtError as exc:
            # NO_DOMAIN: deleted since it was looked up (a server deleted just after it
            # started): not a guest of ours any more.
            if _is_error(exc, libvirt.VIR_ERR_NO_DOMAIN_METADATA, libvirt.VIR_ERR_NO_DOMAIN):
                return False
            raise
        return domain_xml.owner_host(metadata) == self.host

    def _owns_domain_named(self, name):
        return self._owns(self._connection().lookupByName(name))

    def _lookup(self, uuid):
        """This host's domain of instance ``uuid``, or None."""
        try:
            dom = self._connection().lookupByUUIDString(uuid)
        except libvirt.libvirtError as exc:
            if _is_error(exc, libvirt.VIR_ERR_NO_DOMAIN):
                return None
            raise
        return dom if self._owns(dom) else None

    def _domain(self, instance):
        dom = self._lookup(instance["uuid"])
        if dom is None:
            raise driver.InstanceNotOnHost(
                f"Instance {instance['uuid']} has no guest on host {self.host}.")
        return dom

    def _instance_dir(self, uuid):
        return os.path.join(self.instances_path, uuid)

    def list_instance_uuids(self):
        """Instances with a domain or files here: a build that crashed may have left
        only files, and the manager's reconciliation must see those too."""
        uuids = {dom.UUIDString() for dom in self._connection().listAllDomains(0)
                 if self._owns(dom)}
        uuids.update(name for name in os.listdir(self.instances_path)
                     if domain_xml.is_uuid(name))
        return sorted(uuids)

    def get_available_resource(self):
        conn = self._connection()
        # The node's total memory as /proc/meminfo has it; getInfo() sums the NUMA cells,
        # which undercounts on some virtual machines (a third of it on our CI hosts).
        memory_kib = conn.getMemoryStats(libvirt.VIR_NODE_MEMORY_STATS_ALL_CELLS)["total"]
        disk = os.statvfs(self.instances_path)
        return {"hypervisor_type": "QEMU", "hypervisor_hostname": conn.getHostname(),
                "cpu_arch": self.arch, "vcpus": conn.getInfo()[2],
                "memory_mb": memory_kib // 1024,
                "local_gb": disk.f_blocks * disk.f_frsize // GiB}

    # --- building ---------------------------------------------------------------------

    def spawn(self, context, instance, image_meta, network_info, block_device_info,
              config_drive_meta, step):
        uuid = instance["uuid"]
        if self._lookup(uuid) is not None:
            raise driver.VirtError(f"Instance {uuid} already has a guest on {self.host}.")
        volumes = [bdm for bdm in block_device_info or () if bdm.get("connection_info")]
        root_volume = next((bdm for bdm in volumes if bdm["boot_index"] == 0), None)
        if root_volume is None and not (image_meta and image_meta.get("id")):
            raise driver.VirtError(f"Instance {uuid} has no image to boot from.")
        instance_dir = self._instance_dir(uuid)
        shutil.rmtree(instance_dir, ignore_errors=True)  # left by a build that crashed
        try:
            os.makedirs(instance_dir, mode=0o755)
            if root_volume is None:
                with step("image"):
                    base, cache_hit = self.image_cache.fetch(context.auth_token,
                                                             image_meta)
                LOG.info("Image %s for %s: %s", image_meta["id"], uuid,
                         "cached" if cache_hit else "downloaded")
            with step("storage"):
                if root_volume is None:
                    disks = ephemeral.create_instance_disks(
                        instance_dir, base.path, base.disk_format, base.virtual_size,
                        instance["flavor"])
                else:
                    disks = [disk_of_volume(root_volume)] + ephemeral.create_extra_disks(
                        instance_dir, instance["flavor"])
                if config_drive_meta is not None:
                    disks.append(self._build_config_drive(instance_dir, config_drive_meta))
                disks += [disk_of_volume(bdm) for bdm in volumes if bdm is not root_volume]
            with step("spawn"):
                conn = self._connection()
                with consoles.PORT_LOCK:
                    xml = domain_xml.build_domain_xml(
                        instance=instance, host=self.host, virt_type=self.virt_type,
                        arch=self.arch, disks=disks, network_info=network_info,
                        console_log=os.path.join(instance_dir, CONSOLE_LOG),
                        image_properties=image_meta.get("properties"),
                        disk_cache=self.disk_cache,
                        consoles=consoles.devices_for(
                            self.conf, self._domain_xmls(conn)))
                    dom = conn.defineXML(xml)
                dom.create()
        except (ImageError, ephemeral.StorageError, domain_xml.InvalidImageProperty,
                nbd.UnsupportedVolume, libvirt.libvirtError, ValueError,
                ComputeError) as exc:
            self._remove_after_failure(uuid)
            raise driver.VirtError(str(exc)) from exc
        except BaseException:
            self._remove_after_failure(uuid)
            raise
        LOG.info("Started guest %s (%s)", dom.name(), self.virt_type)

    @staticmethod
    def _domain_xmls(conn):
        """The XML of every domain on this libvirtd (one deleted meanwhile is left out)."""
        xmls = []
        for dom in conn.listAllDomains(0):
            try:
                xmls.append(dom.XMLDesc(0))
            except libvirt.libvirtError as exc:
                if not _is_error(exc, libvirt.VIR_ERR_NO_DOMAIN):
                    raise
        return xmls

    def _remove_after_failure(self, uuid):
        try:
            self._remove_guest(uuid)
        except Exception:
            LOG.exception("Could not clean up the failed spawn of %s", uuid)

    def _build_config_drive(self, instance_dir, config_drive_meta):
        path = os.path.join(instance_dir, CONFIG_DRIVE_FILE)
        configdrive.build_config_drive(
            path, config_drive_meta["meta_data"],
            user_data=config_drive_meta.get("user_data"),
            network_data=config_drive_meta.get("network_data"),
            vendor_data=config_drive_meta.get("vendor_data"))
        return Disk(role=CONFIG_DRIVE, path=path, format="raw", read_only=True)

    # --- deleting ---------------------------------------------------------------------

    def destroy(self, context, instance, network_info, block_device_info=None):
        self._remove_guest(instance["uuid"])

    def _remove_guest(self, uuid):
        """Remove the domain (with its NVRAM) and the instance directory, whichever of
        them exist."""
        dom = self._lookup(uuid)
        if dom is not None:
            self._hard_stop(dom)
            try:
                dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM
                                  | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                                  | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
            except libvirt.libvirtError as exc:
                if not _is_error(exc, libvirt.VIR_ERR_NO_DOMAIN):
                    raise
            LOG.info("Removed guest %s", dom.name())
        shutil.rmtree(self._instance_dir(uuid), ignore_errors=True)
        if os.path.exists(self._instance_dir(uuid)):
            raise driver.VirtError(f"Could not remove {self._instance_dir(uuid)}.")

    # --- power ------------------------------------------------------------------------

    @staticmethod
    def _hard_stop(dom):
        try:
            dom.destroy()
        except libvirt.libvirtError as exc:
            # Already off (or gone) is what we wanted.
            if not _is_error(exc, libvirt.VIR_ERR_OPERATION_INVALID,
                             libvirt.VIR_ERR_NO_DOMAIN):
                raise

    @staticmethod
    def _shut_down(dom, timeout):
        """Ask the guest to power off (ACPI) and wait up to ``timeout`` seconds; True if
        it did."""
        try:
            dom.shutdown()
        except libvirt.libvirtError as exc:
            if _is_error(exc, libvirt.VIR_ERR_OPERATION_INVALID):
                return not dom.isActive()
            raise
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not dom.isActive():
                return True
            time.sleep(POLL_SECONDS)
        return not dom.isActive()

    def power_off(self, instance, timeout=0):
        dom = self._domain(instance)
        if not dom.isActive():
            return
        if timeout and self._shut_down(dom, timeout):
            return
        self._hard_stop(dom)

    def power_on(self, context, instance, network_info, block_device_info=None):
        dom = self._domain(instance)
        if not dom.isActive():
            dom.create()

    def reboot(self, context, instance, network_info, hard):
        """Soft: ACPI power-off, then start again; a guest that ignores it for
        ``[agent] shutdown_timeout`` seconds is reset instead. Hard: reset."""
        dom = self._domain(instance)
        if dom.isActive():
            if hard or not self._shut_down(dom, self.conf.agent.shutdown_timeout):
                if not hard:
                    LOG.warning("Guest %s ignored the soft reboot; resetting it", dom.name())
                self._hard_stop(dom)
        dom.create()

    def pause(self, instance):
        dom = self._domain(instance)
        try:
            dom.suspend()
        except libvirt.libvirtError as exc:
            raise driver.VirtError(f"Pausing {dom.name()} failed: {exc}") from exc

    def unpause(self, instance):
        dom = self._domain(instance)
        try:
            dom.resume()
        except libvirt.libvirtError as exc:
            raise driver.VirtError(f"Unpausing {dom.name()} failed: {exc}") from exc

    def suspend(self, instance):
        """libvirt's managed save: the memory goes to a file libvirt keeps for the
        domain, QEMU exits; the next start restores it (``destroy`` removes the file
        with the domain)."""
        dom = self._domain(instance)
        try:
            dom.managedSave(0)
        except libvirt.libvirtError as exc:
            raise driver.VirtError(f"Suspending {dom.name()} failed: {exc}") from exc

    def resume(self, instance):
        dom = self._domain(instance)
        if dom.isActive():
            return
        try:
            dom.create()  # restores the managed save
        except libvirt.libvirtError as exc:
            raise driver.VirtError(f"Resuming {dom.name()} failed: {exc}") from exc

    def get_power_state(self, instance):
        try:
            return power.from_domain_state(*self._domain(instance).state())
        except libvirt.libvirtError as exc:
            if not _is_error(exc, libvirt.VIR_ERR_NO_DOMAIN):
                raise
            raise driver.InstanceNotOnHost(f"The guest of {instance['uuid']} is gone.") from exc

    # --- snapshots --------------------------------------------------------------------

    def snapshot(self, context, instance, upload):
        """Pause a running guest for as long as ``qemu-img convert`` flattens its root
        disk into a standalone qcow2 (see ``snapshot``), let it run on, then upload."""
        uuid = instance["uuid"]
        dom = self._domain(instance)
        root = os.path.join(self._instance_dir(uuid), ephemeral.ROOT_DISK)
        if not os.path.exists(root):
            raise driver.VirtError(f"Instance {uuid} has no local root disk to snapshot.")
        target = os.path.join(self._instance_dir(uuid), "snapshot." + snapshot.DISK_FORMAT)
        running = dom.isActive() and dom.state()[0] != libvirt.VIR_DOMAIN_PAUSED
        try:
            if running:
                dom.suspend()
            try:
                snapshot.flatten(root, target)
            finally:
                if running:
                    dom.resume()
            upload(target, snapshot.DISK_FORMAT)
        except libvirt.libvirtError as exc:
            raise driver.VirtError(f"Snapshot of {dom.name()} failed: {exc}") from exc
        finally:
            if os.path.exists(target):
                os.unlink(target)

    def get_console_output(self, instance):
        self._domain(instance)
        path = os.path.join(self._instance_dir(instance["uuid"]), CONSOLE_LOG)
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def get_diagnostics(self, instance):
        return diagnostics.of(self._domain(instance), self.virt_type,
                              driver.uptime_of(instance), bool(instance.get("config_drive")))

    def get_console_connect_info(self, instance, console_kind):
        dom = self._domain(instance)
        if not dom.isActive():
            raise InstanceNotReady(f"Instance {instance['uuid']} is not ready")
        return consoles.connect_info(self.conf, dom.XMLDesc(0), console_kind)

    # --- volumes ----------------------------------------------------------------------

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

    # --- image cache ------------------------------------------------------------------

    def images_in_use(self):
        """IDs of the cached images that this host's instance disks are overlays on."""
        in_use = set()
        for uuid in self.list_instance_uuids():
            root = os.path.join(self._instance_dir(uuid), ephemeral.ROOT_DISK)
            backing = ephemeral.backing_file(root)
            if backing and os.path.dirname(backing) == self.image_cache.cache_dir:
                in_use.add(os.path.basename(backing))
        return in_use

    def manage_image_cache(self):
        """Periodic: forget base images no instance here has used for
        ``[libvirt] image_cache_max_age`` seconds."""
        if not self.conf.libvirt.remove_unused_base_images:
            return []
        return self.image_cache.remove_unused(self.images_in_use(),
                                              self.conf.libvirt.image_cache_max_age)
