"""The one interface between the agent's manager and a hypervisor.

The manager owns the flow (state updates, action events, claims, retries); a driver only
makes the host match what it is told. Every driver — ``fake`` for simulations, ``libvirt``
for real guests — implements all of these methods.

``instance`` is the dict the conductor hands out (``instance_get``): ``uuid``, ``name``,
``hostname``, ``project_id``, ``user_id``, ``flavor`` (``vcpus``, ``memory_mb``,
``root_gb``, ``ephemeral_gb``, ``swap``, ``extra_specs``), ``image_ref``, ``key_data``,
``user_data`` (base64), ``metadata``, ``availability_zone``, ``launch_index``,
``config_drive``, ``block_device_mappings``.

``image_meta`` is the image as the image service described it (``id``, ``name``,
``disk_format``, ``container_format``, ``size``, ``checksum``/``os_hash_*``,
``min_disk``, ``min_ram``, ``properties``); the driver fetches the data itself with
``context.auth_token``.

``network_info`` is a list of virtual NICs: ``{"id": port id, "address": MAC,
"devname": tap device, "preserve_on_delete": whether the user brought the port,
"network": {"id", "label", "bridge", "mtu", "subnets": [{"id", "cidr", "gateway",
"ips": [{"address", "version"}], "dns"}]}}``. The manager makes it from the ports it
creates and from what the host network (``agent.network.host.HostNetwork.plug``) built
for them: a driver only puts the guest's NIC on that bridge, as that tap, and has no
network code of its own.

``config_drive_meta`` is None (no config drive) or the arguments of
``agent.virt.configdrive.build_config_drive``: ``{"meta_data", "user_data": bytes | None,
"network_data", "vendor_data"}``, made by ``contract.guest_metadata.config_drive``.

``block_device_info`` is the instance's ``block_device_mappings`` (``id``,
``source_type``, ``destination_type``, ``boot_index``, ``volume_id``, ``device_name``,
...) where every volume (``destination_type`` "volume") carries the
``connection_info`` the volume service gave this host (see ``agent.volume.nbd``). A
volume with boot_index 0 is the root disk: the guest then has no local root disk and
the image is not fetched.

``step(name)`` returns a context manager that records the work inside it as an action
event (``openstack server event show``) — drivers use it for slow sub-steps such as
fetching the image, so operators see where a build spends its time.
"""
import abc
import datetime
import dataclasses
import subprocess


class VirtError(Exception):
    """The hypervisor could not do what was asked; the message is shown as the fault."""


class InstanceNotOnHost(VirtError):
    """The guest does not exist on this host (already destroyed, or never created)."""


class MigrationCancelled(VirtError):
    """A live migration was aborted: the guest runs on where it was."""


@dataclasses.dataclass(frozen=True)
class LifecycleEvent:
    """A guest changed power state without being asked (crash, shutdown from inside)."""

    instance_uuid: str
    power_state: int


class ComputeDriver(abc.ABC):
    """What the agent needs from a hypervisor; see the module docstring for the shapes."""

    @abc.abstractmethod
    def init_host(self, host):
        """Connect to the hypervisor and get ready to serve ``host``; called once."""

    @abc.abstractmethod
    def get_available_resource(self):
        """The host's capacity: ``{"hypervisor_type", "hypervisor_hostname",
        "cpu_arch", "vcpus", "memory_mb", "local_gb"}``."""

    @abc.abstractmethod
    def list_instance_uuids(self):
        """UUIDs of the guests that exist on this host."""

    @abc.abstractmethod
    def spawn(self, context, instance, image_meta, network_info, block_device_info,
              config_drive_meta, step):
        """Create and start the guest; return when it is running. Raise VirtError."""

    @abc.abstractmethod
    def destroy(self, context, instance, network_info, block_device_info=None):
        """Stop the guest and delete everything it had on this host. Idempotent."""

    @abc.abstractmethod
    def power_off(self, instance, timeout=0):
        """Stop the guest: ask it to shut down for up to ``timeout`` seconds, then
        pull the plug."""

    @abc.abstractmethod
    def power_on(self, context, instance, network_info, block_device_info=None):
        """Start a stopped guest."""

    @abc.abstractmethod
    def reboot(self, context, instance, network_info, hard):
        """Restart the guest: ask it (soft) or reset it (hard)."""

    @abc.abstractmethod
    def pause(self, instance):
        """Freeze the running guest in memory: its vCPUs stop, its process stays."""

    @abc.abstractmethod
    def unpause(self, instance):
        """Let a paused guest run on."""

    @abc.abstractmethod
    def suspend(self, instance):
        """Save the running guest's memory to disk and end its process; ``resume``
        restores it. Deleting a suspended guest removes the saved memory too."""

    @abc.abstractmethod
    def resume(self, instance):
        """Restore a suspended guest where it was."""

    @abc.abstractmethod
    def snapshot(self, context, instance, upload):
        """Make a consistent copy of the guest's local root disk that stands on its own
        (no backing file), and hand it to ``upload(path, disk_format)`` before removing
        it. The guest ends in the power state it was in. Raise VirtError."""

    # --- moving a guest between hosts (resize, cold migration) -------------------------
    # The source host keeps the guest's disks until the move is confirmed or reverted;
    # on the same host (a resize there) source and destination are the same driver.

    @abc.abstractmethod
    def migrate_disk_and_power_off(self, context, instance, dest_host, flavor,
                                   network_info, block_device_info=None, timeout=0):
        """Stop the guest (asking it for up to ``timeout`` seconds), keep its disks
        aside for a revert and hand a copy to ``dest_host`` for ``flavor``; returns the
        ``disk_info`` (JSON-able) ``finish_migration`` there reads. On failure the guest
        is as it was (running if it was) and VirtError is raised."""

    @abc.abstractmethod
    def finish_migration(self, context, migration, instance, disk_info, network_info,
                         image_meta, block_device_info=None, power_on=True):
        """On the destination: make the guest of ``instance`` (its new flavor) from the
        disks ``disk_info`` describes, the root disk grown to the flavor's size, and
        start it if ``power_on``. ``migration``: ``contract.objects.Migration``."""

    @abc.abstractmethod
    def confirm_migration(self, context, migration, instance):
        """On the source, once the move is confirmed: remove the guest and disks kept
        for a revert. Idempotent (also when the server is gone)."""

    @abc.abstractmethod
    def finish_revert_migration(self, context, instance, network_info,
                                block_device_info=None, power_on=True):
        """On the source, once the move is reverted (or failed): the guest as it was
        before the move, from the disks kept aside, started if ``power_on``."""

    # --- rescue -------------------------------------------------------------------------

    @abc.abstractmethod
    def rescue(self, context, instance, network_info, image_meta):
        """Restart the guest from a fresh disk of the rescue image ``image_meta`` (the
        first disk), its own root disk attached as the second; ``unrescue`` undoes it
        exactly. Raise VirtError (the guest as it was)."""

    @abc.abstractmethod
    def unrescue(self, context, instance, network_info):
        """Restart the guest from its own disks again; the rescue disk goes."""

    @abc.abstractmethod
    def get_power_state(self, instance):
        """The guest's power state (``agent.virt.power_state``); raises
        InstanceNotOnHost if there is no such guest."""

    @abc.abstractmethod
    def get_console_output(self, instance):
        """The guest's serial console log so far, as text."""

    @abc.abstractmethod
    def get_diagnostics(self, instance):
        """The guest's diagnostics in Nova's standard form (2.48): ``state``, ``driver``,
        ``hypervisor``, ``hypervisor_os``, ``uptime`` (seconds since its server
        launched, ``uptime_of``), ``config_drive``, ``num_cpus``, ``num_nics``,
        ``num_disks``, ``memory_details`` (MiB), ``cpu_details``, ``nic_details``,
        ``disk_details`` (each NIC and disk with its ``device`` name too); raises
        InstanceNotOnHost if there is no such guest."""

    def get_host_uptime(self):
        """The host's ``uptime`` line, as Nova's libvirt driver answers it (every driver
        here runs on a Linux host)."""
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True,
                              timeout=10).stdout.strip()

    @abc.abstractmethod
    def get_console_connect_info(self, instance, console_kind):
        """Where the running guest's ``console_kind`` console ("vnc": its VNC server,
        "serial": its first serial port, raw TCP) listens on this host's management
        address: ``{"host", "port", "internal_access_path"}``. Raises
        ``contract.exception.InstanceNotReady`` when the guest is not running,
        ``ConsoleTypeUnavailable`` when it has no such console."""

    @abc.abstractmethod
    def register_event_listener(self, callback):
        """Call ``callback(LifecycleEvent)`` whenever a guest changes state on its own."""

    # --- volumes ----------------------------------------------------------------------
    # A volume is known in the guest by its id (the disk's serial).

    @abc.abstractmethod
    def attach_volume(self, instance, connection_info, volume_id, device_name):
        """Plug the volume into the guest, running or stopped, for good (it stays across
        power cycles), as ``device_name`` (``/dev/vdX``) unless the guest has that one,
        then as the next free name; returns the device name used. Raise VirtError."""

    @abc.abstractmethod
    def detach_volume(self, instance, volume_id):
        """Unplug the volume; return once the guest has let go of it (VirtError if it
        does not). A volume the guest does not have is detached already."""

    @abc.abstractmethod
    def manage_image_cache(self):
        """Periodic: drop cached images no guest here has used for long; returns the
        IDs removed."""

    # --- live migration --------------------------------------------------------------
    # ``migrate_data`` (JSON-able) gathers what each step learns: the destination's
    # check, the source's decision (``block_migration``, ``shared_storage``), then
    # ``pre_live_migration``'s answer and ``network_info`` on the destination.

    @abc.abstractmethod
    def check_can_live_migrate_destination(self, instance):
        """On the destination: what the source needs to know of this host (where its
        hypervisor receives the guest, how to tell whether storage is shared); raise
        VirtError (with the reason) when it cannot take the guest."""

    @abc.abstractmethod
    def shares_storage_with(self, dest_check):
        """On the source: whether the destination ``dest_check`` describes sees this
        host's instance storage."""

    @abc.abstractmethod
    def check_can_live_migrate_source(self, instance, block_migration):
        """On the source: what the destination must make ready for the guest (e.g. the
        sizes of the disks a block migration copies into); raise VirtError when the
        guest cannot move."""

    @abc.abstractmethod
    def pre_live_migration(self, context, instance, network_info, image_meta,
                           config_drive_meta, migrate_data):
        """On the destination, its ports wired: make the guest's disks ready (unless
        shared) and choose what it gets here (console ports); returns a dict merged
        into ``migrate_data``."""

    @abc.abstractmethod
    def live_migration(self, context, instance, migrate_data, progress):
        """On the source: move the running guest to the destination and return once
        it runs there (the source's domain gone); ``progress(stats)`` is called as the
        copy goes on (bytes of memory and disk: total, processed, remaining). Raise
        MigrationCancelled when aborted, VirtError when it failed: the guest then runs
        on here, as it was."""

    @abc.abstractmethod
    def live_migration_force_complete(self, instance):
        """Make the running migration of ``instance`` converge now (pause the guest)."""

    @abc.abstractmethod
    def live_migration_abort(self, instance):
        """Cancel the running migration of ``instance``."""

    @abc.abstractmethod
    def post_live_migration_at_destination(self, instance):
        """On the destination, the guest running here: anything left to make it this
        host's guest."""

    @abc.abstractmethod
    def post_live_migration_at_source(self, instance, migrate_data):
        """On the source, the guest gone: remove its disks here (not shared ones)."""

    @abc.abstractmethod
    def rollback_live_migration_at_destination(self, instance, migrate_data):
        """On the destination, after a failure: remove whatever was made here for the
        guest (not shared disks). Idempotent."""

def uptime_of(instance):
    """Whole seconds since the instance launched (``launched_at``), or None."""
    if not instance.get("launched_at"):
        return None
    launched = datetime.datetime.fromisoformat(instance["launched_at"].replace("Z", "+00:00"))
    if launched.tzinfo is None:
        launched = launched.replace(tzinfo=datetime.timezone.utc)
    return int((datetime.datetime.now(datetime.timezone.utc) - launched).total_seconds())
