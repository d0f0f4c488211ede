"""A hypervisor simulated in memory, so the control plane can be exercised with hundreds
of hosts in one process (tests, benchmarks) through the same interface as libvirt.

Failures are injected per request: a flavor extra spec or image property
``fake:fail_on_host`` listing host names (comma-separated, or ``*`` for every host)
makes spawn fail on those hosts, which is how reschedules are tested; a flavor extra spec
``fake:fail_attach`` ("true") makes every volume attach of its servers fail, and
``fake:fail_snapshot`` ("true") every snapshot of them, ``fake:fail_resize`` ("true") on
the flavor a server moves to every move to it. A snapshot uploads a small raw disk
naming its guest.

Live migration moves the guest's record: the destination keeps an incoming one from
``pre_live_migration``, the source copies for ``fake:live_migration_seconds`` (a
flavor extra spec; 0 by default), reporting progress, unless aborted or forced to
complete; ``fake:fail_live_migration`` ("true") makes the copy fail, and
``fake:refuse_live_migration_to`` (host names) makes those hosts refuse the guest.

A guest's console, once asked for, is a real TCP listener on loopback: its serial port
sends the console log and echoes what it gets; its VNC server greets with the RFB
protocol version, as a real one does, so the console proxy can be tested end to end.
"""
import os
import socket
import string
import tempfile
import threading
import time

from agent.virt import driver, power_state
from contract import exception

FAIL_ON_HOST = "fake:fail_on_host"
FAIL_ATTACH = "fake:fail_attach"
FAIL_SNAPSHOT = "fake:fail_snapshot"
FAIL_RESIZE = "fake:fail_resize"
FAIL_LIVE_MIGRATION = "fake:fail_live_migration"
LIVE_MIGRATION_SECONDS = "fake:live_migration_seconds"
PRE_LIVE_MIGRATION_SECONDS = "fake:pre_live_migration_seconds"
REFUSE_LIVE_MIGRATION = "fake:refuse_live_migration_to"
MiB = 1024 * 1024
SNAPSHOT_SIZE = 64 * 1024


def _flag(instance, name, flavor=None):
    flavor = flavor or instance["flavor"]
    return str(flavor.get("extra_specs", {}).get(name)).lower() == "true"


def _fail_hosts(instance, image_meta):
    value = (instance.get("flavor", {}).get("extra_specs", {}).get(FAIL_ON_HOST)
             or (image_meta or {}).get("properties", {}).get(FAIL_ON_HOST) or "")
    return {name.strip() for name in value.split(",") if name.strip()}


class FakeDriver(driver.ComputeDriver):
    def __init__(self, conf):
        self.conf = conf.fake_driver
        self.host = None
        self._guests = {}          # uuid → {"power_state", "console": [lines], "volumes"}
        self._kept = {}            # uuid → the guest a move keeps here for its revert
        self._incoming = {}        # uuid → the guest a live migration brings here
        self._migrations = {}      # uuid → "running", "force_complete" or "abort"
        self._lock = threading.Lock()
        self._listeners = []

    def init_host(self, host):
        self.host = host

    def get_available_resource(self):
        return {"hypervisor_type": "fake", "hypervisor_hostname": self.host,
                "cpu_arch": self.conf.cpu_arch, "vcpus": self.conf.vcpus,
                "memory_mb": self.conf.memory_mb, "local_gb": self.conf.local_gb}

    def list_instance_uuids(self):
        with self._lock:
            return list(self._guests)

    def spawn(self, context, instance, image_meta, network_info, block_device_info,
              config_drive_meta, step):
        fail_hosts = _fail_hosts(instance, image_meta)
        if "*" in fail_hosts or self.host in fail_hosts:
            raise driver.VirtError(f"Injected failure: {FAIL_ON_HOST} includes {self.host}")
        if self.conf.spawn_seconds:
            time.sleep(self.conf.spawn_seconds)
        addresses = [ip["address"] for vif in network_info
                     for subnet in vif["network"].get("subnets", [])
                     for ip in subnet.get("ips", [])]
        with self._lock:
            self._guests[instance["uuid"]] = {
                "power_state": power_state.RUNNING,
                # volume id → device, the root volume included
                "volumes": {bdm["volume_id"]: bdm["device_name"]
                            for bdm in block_device_info or ()
                            if bdm.get("connection_info")},
                "console": [f"pocketstack fake guest {instance['hostname']} booted on "
                            f"{self.host}",
                            f"addresses: {' '.join(addresses) or 'none'}",
                            f"config drive: {'yes' if config_drive_meta else 'no'}"]}

    def _guest(self, instance):
        guest = self._guests.get(instance["uuid"])
        if guest is None:
            raise driver.InstanceNotOnHost(f"Instance {instance['uuid']} is not on "
                                           f"host {self.host}.")
        return guest

    def destroy(self, context, instance, network_info, block_device_info=None):
        with self._lock:
            guest = self._guests.pop(instance["uuid"], None)
        for listener in (guest or {}).get("listeners", {}).values():
            listener.close()

    def power_off(self, instance, timeout=0):
        with self._lock:
            guest = self._guest(instance)
            guest["power_state"] = power_state.SHUTDOWN
            guest["console"].append("reached target power-off")

    def power_on(self, context, instance, network_info, block_device_info=None):
        with self._lock:
            guest = self._guest(instance)
            guest["power_state"] = power_state.RUNNING
            guest["console"].append("booted")

    def reboot(self, context, instance, network_info, hard):
        with self._lock:
            guest = self._guest(instance)
            guest["power_state"] = power_state.RUNNING
            guest["console"].append("hard reset" if hard else "rebooting")

    def _set_power_state(self, instance, allowed_from, new_state, console_line):
        with self._lock:
            guest = self._guest(instance)
            if guest["power_state"] not in allowed_from:
                raise driver.VirtError(f"Guest {instance['uuid']} is in power state "
                                       f"{guest['power_state']}.")
            guest["power_state"] = new_state
            guest["console"].append(console_line)

    def pause(self, instance):
        self._set_power_state(instance, {power_state.RUNNING}, power_state.PAUSED,
                              "paused")

    def unpause(self, instance):
        self._set_power_state(instance, {power_state.PAUSED}, power_state.RUNNING,
                              "unpaused")

    def suspend(self, instance):
        self._set_power_state(instance, {power_state.RUNNING, power_state.PAUSED},
                              power_state.SUSPENDED, "memory saved")

    def resume(self, instance):
        self._set_power_state(instance, {power_state.SUSPENDED}, power_state.RUNNING,
                              "memory restored")

    def snapshot(self, context, instance, upload):
        if _flag(instance, FAIL_SNAPSHOT):
            raise driver.VirtError(f"Injected failure: {FAIL_SNAPSHOT} is set")
        with self._lock:
            self._guest(instance)
        fd, path = tempfile.mkstemp(prefix="fake-snapshot-")
        try:
            with os.fdopen(fd, "wb") as disk:
                label = f"pocketstack fake snapshot of {instance['uuid']}\n".encode()
                disk.write(label.ljust(SNAPSHOT_SIZE, b"\0"))
            upload(path, "raw")
        finally:
            os.unlink(path)

    def migrate_disk_and_power_off(self, context, instance, dest_host, flavor,
                                   network_info, block_device_info=None, timeout=0):
        if _flag(instance, FAIL_RESIZE, flavor):
            raise driver.VirtError(f"Injected failure: {FAIL_RESIZE} is set")
        with self._lock:
            guest = self._guests.pop(instance["uuid"], None)
            if guest is None:
                raise driver.InstanceNotOnHost(f"Instance {instance['uuid']} is not on "
                                               f"host {self.host}.")
            guest["console"].append(f"powered off to move to {dest_host}")
            guest["power_state"] = power_state.SHUTDOWN
            self._kept[instance["uuid"]] = guest
        return {"source": self.host, "root_gb": instance["flavor"]["root_gb"]}

    def finish_migration(self, context, migration, instance, disk_info, network_info,
                         image_meta, block_device_info=None, power_on=True):
        flavor = instance["flavor"]
        if flavor["root_gb"] < disk_info["root_gb"]:
            raise driver.VirtError("A root disk cannot shrink.")
        with self._lock:
            self._guests[instance["uuid"]] = {
                "power_state": power_state.RUNNING if power_on else power_state.SHUTDOWN,
                "volumes": {bdm["volume_id"]: bdm["device_name"]
                            for bdm in block_device_info or ()
                            if bdm.get("connection_info")},
                "flavor": flavor,
                "console": [f"pocketstack fake guest {instance['hostname']} moved from "
                            f"{disk_info['source']} to {self.host} with "
                            f"{flavor['vcpus']} vCPU {flavor['memory_mb']} MB "
                            f"{flavor['root_gb']} GB"]}

    def confirm_migration(self, context, migration, instance):
        with self._lock:
            self._kept.pop(instance["uuid"], None)

    def finish_revert_migration(self, context, instance, network_info,
                                block_device_info=None, power_on=True):
        with self._lock:
            guest = self._kept.pop(instance["uuid"])
            guest["power_state"] = power_state.RUNNING if power_on else power_state.SHUTDOWN
            guest["console"].append("move reverted")
            self._guests[instance["uuid"]] = guest

    def rescue(self, context, instance, network_info, image_meta):
        with self._lock:
            guest = self._guest(instance)
            guest["rescue_image"] = image_meta["id"]
            guest["power_state"] = power_state.RUNNING
            guest["console"].append(f"rescue boot from image {image_meta['id']}, own disk "
                                    f"as vdb")

    def unrescue(self, context, instance, network_info):
        with self._lock:
            guest = self._guest(instance)
            guest.pop("rescue_image", None)
            guest["power_state"] = power_state.RUNNING
            guest["console"].append("booted from its own disk again")

    def kept_uuids(self):
        """Guests a move keeps here for its revert (tests look at what is left)."""
        with self._lock:
            return list(self._kept)

    def get_power_state(self, instance):
        with self._lock:
            return self._guest(instance)["power_state"]

    def get_console_output(self, instance):
        with self._lock:
            return "\n".join(self._guest(instance)["console"]) + "\n"

    def get_diagnostics(self, instance):
        """A fake guest does no work: its counters stay at zero."""
        states = {power_state.RUNNING: "running", power_state.PAUSED: "paused",
                  power_state.SUSPENDED: "suspended", power_state.SHUTDOWN: "shutdown"}
        with self._lock:
            guest = self._guest(instance)
            state = states.get(guest["power_state"], "pending")
            disks = 1 + len(guest["volumes"])
        flavor = instance["flavor"]
        nics = [(vif.get("devname"), vif["address"])
                for vif in instance.get("network_info") or []]
        return {"state": state, "driver": "fake", "hypervisor": "fake",
                "hypervisor_os": "fake-os", "uptime": driver.uptime_of(instance),
                "config_drive": bool(instance.get("config_drive")),
                "num_cpus": flavor["vcpus"], "num_nics": len(nics), "num_disks": disks,
                "memory_details": {"maximum": flavor["memory_mb"], "used": 0},
                "cpu_details": [{"id": i, "time": 0, "utilisation": None}
                                for i in range(flavor["vcpus"])],
                "nic_details": [{**dict.fromkeys(("rx_octets", "rx_errors", "rx_drop",
                                                  "rx_packets", "tx_octets", "tx_errors",
                                                  "tx_drop", "tx_packets"), 0),
                                 "device": dev, "mac_address": mac, "rx_rate": None,
                                 "tx_rate": None}
                                for dev, mac in nics],
                "disk_details": [{**dict.fromkeys(("read_bytes", "read_requests",
                                                   "write_bytes", "write_requests",
                                                   "errors_count"), 0),
                                  "device": "vd" + chr(ord("a") + i)}
                                 for i in range(disks)]}

    def get_console_connect_info(self, instance, console_kind):
        with self._lock:
            guest = self._guest(instance)
            if guest["power_state"] != power_state.RUNNING:
                raise exception.InstanceNotReady(f"Instance {instance['uuid']} is not "
                                                 f"ready")
            listeners = guest.setdefault("listeners", {})
            if console_kind not in listeners:
                greeting = (b"RFB 003.008\n" if console_kind == "vnc" else
                            ("\r\n".join(guest["console"]) + "\r\n").encode())
                listeners[console_kind] = _ConsoleListener(greeting)
            port = listeners[console_kind].port
        return {"host": "127.0.0.1", "port": port, "internal_access_path": None}

    def register_event_listener(self, callback):
        self._listeners.append(callback)

    def attach_volume(self, instance, connection_info, volume_id, device_name):
        if _flag(instance, FAIL_ATTACH):
            raise driver.VirtError(f"Injected failure: {FAIL_ATTACH} is set")
        with self._lock:
            guest = self._guest(instance)
            used = set(guest["volumes"].values())
            if device_name in used:
                device_name = next(f"/dev/vd{letter}" for letter in string.ascii_lowercase
                                   if f"/dev/vd{letter}" not in used)
            guest["volumes"][volume_id] = device_name
            guest["console"].append(f"volume {volume_id} attached as {device_name}")
        return device_name

    def detach_volume(self, instance, volume_id):
        with self._lock:
            guest = self._guest(instance)
            if guest["volumes"].pop(volume_id, None):
                guest["console"].append(f"volume {volume_id} detached")

    def volumes_of(self, instance_uuid):
        """volume id → device of a guest (tests look at what the guest has)."""
        with self._lock:
            return dict(self._guests[instance_uuid]["volumes"])

    def manage_image_cache(self):
        return []

    def simulate_shutdown(self, instance_uuid):
        """The guest powers itself off (as a shutdown from inside would)."""
        with self._lock:
            self._guests[instance_uuid]["power_state"] = power_state.SHUTDOWN
        for callback in self._listeners:
            callback(driver.LifecycleEvent(instance_uuid, power_state.SHUTDOWN))


    # --- live migration ---------------------------------------------------------------

    def check_can_live_migrate_destination(self, instance):
        refused = instance["flavor"].get("extra_specs", {}).get(REFUSE_LIVE_MIGRATION, "")
        if self.host in {name.strip() for name in refused.split(",")}:
            raise driver.VirtError(f"Injected refusal: {REFUSE_LIVE_MIGRATION} includes "
                                   f"{self.host}")
        return {"storage": f"fake-{self.host}"}

    def shares_storage_with(self, dest_check):
        return dest_check.get("storage") == f"fake-{self.host}"

    def check_can_live_migrate_source(self, instance, block_migration):
        with self._lock:
            self._guest(instance)
        return {"memory_bytes": instance["flavor"]["memory_mb"] * MiB}

    def pre_live_migration(self, context, instance, network_info, image_meta,
                           config_drive_meta, migrate_data):
        with self._lock:
            self._incoming[instance["uuid"]] = {
                "power_state": power_state.NOSTATE,
                "volumes": {bdm["volume_id"]: bdm["device_name"]
                            for bdm in migrate_data.get("block_device_info") or ()
                            if bdm.get("connection_info")},
                "console": [f"pocketstack fake guest {instance['hostname']} arriving on "
                            f"{self.host}"]}
        # A destination slow to get ready (tests abort a migration meanwhile).
        time.sleep(float(instance["flavor"].get("extra_specs", {}).get(
            PRE_LIVE_MIGRATION_SECONDS) or 0))
        return {}

    def live_migration(self, context, instance, migrate_data, progress):
        uuid = instance["uuid"]
        specs = instance["flavor"].get("extra_specs", {})
        seconds = float(specs.get(LIVE_MIGRATION_SECONDS) or 0)
        total = migrate_data["memory_bytes"]
        with self._lock:
            self._guest(instance)
            self._migrations[uuid] = "running"
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                with self._lock:
                    request = self._migrations[uuid]
                if request == "abort":
                    raise driver.MigrationCancelled(f"Migration of {uuid} aborted.")
                if request == "force_complete":
                    break
                left = max(deadline - time.monotonic(), 0) / seconds
                progress({"memory_total_bytes": total,
                          "memory_remaining_bytes": int(total * left),
                          "memory_processed_bytes": int(total * (1 - left))})
                time.sleep(min(0.2, seconds))
            if _flag(instance, FAIL_LIVE_MIGRATION):
                raise driver.VirtError(f"Injected failure: {FAIL_LIVE_MIGRATION} is set")
        finally:
            with self._lock:
                self._migrations.pop(uuid, None)
        with self._lock:
            guest = self._guests.pop(uuid)
        for listener in guest.get("listeners", {}).values():
            listener.close()

    def _request_migration(self, instance, request):
        with self._lock:
            if instance["uuid"] not in self._migrations:
                raise driver.VirtError(f"Instance {instance['uuid']} is not migrating "
                                       f"from {self.host}.")
            self._migrations[instance["uuid"]] = request

    def live_migration_force_complete(self, instance):
        self._request_migration(instance, "force_complete")

    def live_migration_abort(self, instance):
        self._request_migration(instance, "abort")

    def post_live_migration_at_destination(self, instance):
        with self._lock:
            guest = self._incoming.pop(instance["uuid"])
            guest["power_state"] = (power_state.PAUSED
                                    if instance["vm_state"] == "paused"
                                    else power_state.RUNNING)
            guest["console"].append(f"live-migrated to {self.host}")
            self._guests[instance["uuid"]] = guest

    def post_live_migration_at_source(self, instance, migrate_data):
        """The record went with the guest: nothing is left here."""

    def rollback_live_migration_at_destination(self, instance, migrate_data):
        with self._lock:
            self._incoming.pop(instance["uuid"], None)


class _ConsoleListener:
    """A fake guest's console port on loopback: each connection gets ``greeting``,
    then an echo of what it sends."""

    def __init__(self, greeting):
        self.greeting = greeting
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn:
            try:
                conn.sendall(self.greeting)
                while data := conn.recv(4096):
                    conn.sendall(data)
            except OSError:
                pass

    def close(self):
        # shutdown() wakes the thread blocked in accept(); close() alone would not.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
