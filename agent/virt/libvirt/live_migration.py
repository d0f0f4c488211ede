"""Live migration of a libvirt guest, peer to peer between the hosts' libvirtds (as
Nova's libvirt driver): the destination writes a token into its instance storage
(the source finds it there when the storage is shared), makes empty overlays on the
same base images for a block migration (``VIR_MIGRATE_NON_SHARED_INC`` copies the
writable disks into them), its config drive again and picks its consoles' ports; the
source then runs ``migrateToURI3`` in a thread and watches the job: progress, an
admin's abort (``abortJob``) or force-complete (the guest paused for the last copy),
and the completion timeout.

The hosts must use the same instances and image cache paths (as Nova assumes), and
the source's libvirtd must reach the destination's at ``[libvirt]
live_migration_uri``.
"""
import logging
import os
import secrets
import shutil
import threading
import time

import libvirt
from oslo_concurrency import processutils

from agent.storage import ephemeral
from agent.virt import driver
from agent.virt.libvirt import consoles, migration
from agent.virt.libvirt.moves import virtual_size

LOG = logging.getLogger(__name__)

STORAGE_TOKEN_PREFIX = ".pocketstack-storage-"
MONITOR_SECONDS = 0.5
PROGRESS_SECONDS = 2.0


class GuestLiveMigration:
    """Mixed into ``LibvirtDriver`` (``self.host``, ``self.conf``, ``_instance_dir``,
    ``_domain``, ``_lookup``, ``_connection``, ``_domain_xmls``, ``_remove_guest``,
    ``_build_config_drive``, ``image_cache``, ``_live_requests``: instance uuid → the
    admin's request about its migration under way, "abort" or "force_complete")."""

    # --- checks ---------------------------------------------------------------------

    def check_can_live_migrate_destination(self, instance):
        token = secrets.token_hex(16)
        path = os.path.join(self.instances_path, STORAGE_TOKEN_PREFIX + self.host)
        with open(path, "w") as f:
            f.write(token)
        return {"storage_token_file": os.path.basename(path), "storage_token": token,
                "inbound_addr": self.conf.libvirt.live_migration_inbound_addr}

    def shares_storage_with(self, dest_check):
        path = os.path.join(self.instances_path, dest_check["storage_token_file"])
        try:
            with open(path) as f:
                return f.read().strip() == dest_check["storage_token"]
        except FileNotFoundError:
            return False

    def check_can_live_migrate_source(self, instance, block_migration):
        uuid = instance["uuid"]
        dom = self._domain(instance)
        if not dom.isActive():
            raise driver.VirtError(f"Instance {uuid} is not running.")
        xml = dom.XMLDesc(0)    # volumes stay at their exports: not copied, only reached
        disks = [{"path": disk.path, "format": disk.format,
                  "size": virtual_size(disk.path),
                  "backing": ephemeral.backing_file(disk.path), "target": disk.target}
                 for disk in migration.local_disks(xml, self._instance_dir(uuid))]
        return {"disks": disks, "memory_mb": instance["flavor"]["memory_mb"]}

    # --- on the destination -----------------------------------------------------------

    def pre_live_migration(self, context, instance, network_info, image_meta,
                           config_drive_meta, migrate_data):
        uuid = instance["uuid"]
        instance_dir = self._instance_dir(uuid)
        if not migrate_data["shared_storage"]:
            shutil.rmtree(instance_dir, ignore_errors=True)
            try:
                os.makedirs(instance_dir, mode=0o755)
                for disk in migrate_data["disks"]:
                    self._empty_copy_of(context, disk, image_meta)
                if config_drive_meta is not None:
                    self._build_config_drive(instance_dir, config_drive_meta)
            except Exception as exc:
                shutil.rmtree(instance_dir, ignore_errors=True)
                raise driver.VirtError(f"Could not make the disks of {uuid} ready on "
                                       f"{self.host}: {exc}") from exc
        with consoles.PORT_LOCK:
            devices = consoles.devices_for(self.conf,
                                           self._domain_xmls(self._connection()))
        return {"dest_consoles": {"vnc_listen": devices.vnc_listen,
                                  "serial_host": devices.serial_host,
                                  "serial_port": devices.serial_port}}

    def _empty_copy_of(self, context, disk, image_meta):
        """The disk the copy goes into: an overlay on the same base image (fetched into
        this host's cache), or an empty disk of the same size."""
        if disk["backing"]:
            base, _ = self.image_cache.fetch(context.auth_token, image_meta)
            if base.path != disk["backing"]:
                raise driver.VirtError(
                    f"The disk's base image is {disk['backing']} at the source but "
                    f"{base.path} here: the hosts' image caches must have one path.")
            ephemeral.create_root_disk(disk["path"], base.path, base.disk_format,
                                       disk["size"])
        else:
            processutils.execute("qemu-img", "create", "-f", disk["format"], disk["path"],
                                 str(disk["size"]))

    def post_live_migration_at_destination(self, instance):
        """The guest runs as the server says: paused if it was paused."""
        dom = self._domain(instance)
        paused = dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED
        if instance["vm_state"] == "paused" and not paused:
            dom.suspend()
        elif instance["vm_state"] != "paused" and paused:
            dom.resume()

    def rollback_live_migration_at_destination(self, instance, migrate_data):
        uuid = instance["uuid"]
        dom = self._lookup(uuid)
        if dom is not None:
            self._hard_stop(dom)
            dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
        if not migrate_data.get("shared_storage", True):
            shutil.rmtree(self._instance_dir(uuid), ignore_errors=True)

    # --- on the source ----------------------------------------------------------------

    def live_migration(self, context, instance, migrate_data, progress):
        uuid = instance["uuid"]
        dom = self._domain(instance)
        # Only the local disks are copied, each named: without a list libvirt would copy
        # every writable disk, the volumes' NBD disks too (a guest booted from a volume
        # with no local disk copies nothing).
        block = migrate_data["block_migration"] and bool(migrate_data["disks"])
        dest_consoles = migrate_data.get("dest_consoles") or {}
        dest_xml = migration.destination_xml(
            dom.XMLDesc(libvirt.VIR_DOMAIN_XML_MIGRATABLE | libvirt.VIR_DOMAIN_XML_SECURE),
            migrate_data["dest_host"], **dest_consoles)
        disks = [disk["target"] for disk in migrate_data["disks"]] if block else []
        uri = migration.connection_uri(self.conf.libvirt.live_migration_uri,
                                       migrate_data["dest_host"])
        params = migration.params(dest_xml, migrate_data.get("inbound_addr"), disks,
                                  self.conf.libvirt.live_migration_bandwidth)
        disk_bytes = sum(disk["size"] for disk in migrate_data["disks"]) if block else 0
        timeout = migration.completion_timeout(
            self.conf.libvirt.live_migration_completion_timeout,
            migrate_data["memory_mb"], disk_bytes)
        outcome = {}
        done = set()
        self._live_requests[uuid] = None

        def migrate():
            try:
                dom.migrateToURI3(uri, params, migration.flags(block))
            except libvirt.libvirtError as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=migrate, name=f"live-migration-{uuid}",
                                  daemon=True)
        LOG.info("Live-migrating %s to %s over %s (block: %s, timeout %.0f s)", uuid,
                 migrate_data["dest_host"], uri, block, timeout)
        try:
            worker.start()
            self._watch(dom, worker, timeout, progress, done)
        finally:
            self._live_requests.pop(uuid, None)
        if "error" in outcome:
            self._resume_if_forced(dom, instance)
            if migration.ABORT in done:
                raise driver.MigrationCancelled(f"Live migration of {uuid} aborted.")
            raise driver.VirtError(f"Live migration of {uuid} to "
                                   f"{migrate_data['dest_host']} failed: "
                                   f"{outcome['error']}")

    def _watch(self, dom, worker, timeout, progress, done):
        """Until the copy ends: report progress, carry out the admin's request or the
        timeout action (each once; ``done`` collects them)."""
        started = last_report = time.monotonic()
        uuid = dom.UUIDString()
        try:
            dom.migrateSetMaxDowntime(self.conf.libvirt.live_migration_downtime, 0)
        except libvirt.libvirtError as exc:
            LOG.debug("Could not set the migration downtime of %s: %s", uuid, exc)
        while worker.is_alive():
            worker.join(MONITOR_SECONDS)
            now = time.monotonic()
            step = migration.next_step(
                now - started, timeout, self.conf.libvirt.live_migration_timeout_action,
                self._live_requests.get(uuid), done)
            if step is not None:
                done.add(step)
                self._take_step(dom, step)
            if now - last_report > PROGRESS_SECONDS and worker.is_alive():
                last_report = now
                try:
                    progress(migration.progress_of(dom.jobStats()))
                except libvirt.libvirtError:
                    pass       # the job ended meanwhile
                except Exception:
                    LOG.exception("Progress of the migration of %s not recorded", uuid)

    @staticmethod
    def _take_step(dom, step):
        LOG.info("Live migration of %s: %s", dom.name(), step)
        try:
            if step == migration.ABORT:
                dom.abortJob()
            else:
                dom.suspend()
        except libvirt.libvirtError as exc:
            LOG.warning("Live migration of %s: %s failed: %s", dom.name(), step, exc)

    def _resume_if_forced(self, dom, instance):
        """A forced completion paused the guest; the migration failed: let it run on."""
        try:
            if (instance["vm_state"] != "paused"
                    and dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED):
                dom.resume()
        except libvirt.libvirtError as exc:
            LOG.warning("Could not resume %s after its failed migration: %s",
                        dom.name(), exc)

    def _request(self, instance, request):
        uuid = instance["uuid"]
        if uuid not in self._live_requests:
            raise driver.VirtError(f"Instance {uuid} is not migrating from {self.host}.")
        self._live_requests[uuid] = request

    def live_migration_force_complete(self, instance):
        self._request(instance, migration.FORCE_COMPLETE)

    def live_migration_abort(self, instance):
        self._request(instance, migration.ABORT)

    def post_live_migration_at_source(self, instance, migrate_data):
        if not migrate_data["shared_storage"]:
            self._remove_guest(instance["uuid"])
