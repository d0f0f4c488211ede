"""How the conductor and the compute API talk to one host's agent — the only way they do.

Messages go to topic ``AGENT_TOPIC`` with server = the host's name, so only that host's
agent receives them.

Versions (an agent serves every version up to its own; a sender asks for the one that
brought the method):

- 1.0: build, stop, start, reboot, terminate, console output
- 1.1: attach_volume, detach_volume
- 1.2: pause_instance, unpause_instance, suspend_instance, resume_instance,
  snapshot_instance, rebuild_instance
- 1.3: moving servers (resize, cold migration): resize_instance and
  finish_revert_resize, confirm_resize on the source host; finish_resize and
  revert_resize on the destination; shelve_instance, shelve_offload_instance,
  unshelve_instance; rescue_instance, unrescue_instance; evacuate_instance
- 1.4: get_console_connect_info (where the proxy reaches a guest's VNC or serial
  console)
- 1.5: live migration: check_can_live_migrate_destination and pre_live_migration,
  post_live_migration_at_destination and rollback_live_migration_at_destination on the
  destination; check_can_live_migrate_source, live_migration,
  live_migration_force_complete and live_migration_abort on the source
- 1.6: get_diagnostics (a guest's diagnostics, Nova's standard form), get_host_uptime,
  backup_instance (a snapshot, then the rotation of the server's backups)
- 1.7: abort_queued_live_migration (an admin's abort of a live migration still being
  prepared, API 2.65; one already running is aborted too); resize_instance,
  finish_resize, revert_resize and finish_revert_resize move the server's volume
  attachments with it (``check_can_move_volumes``)

While some agents run an older release, ``[upgrade_levels] agent`` caps what is sent: a
method newer than the cap is refused (``oslo_messaging.RPCVersionCapError``) rather
than sent to an agent that could not serve it. The compute API asks ``check_can_send``
first, as Nova's asks ``can_send_version``, so that it refuses the action (409) before
it changes anything.
"""
from conf import CONF
from contract import exception, rpc

BASE_VERSION = "1.0"
LATEST_VERSION = "1.7"
MOVES_VERSION = "1.3"
LIVE_MIGRATION_VERSION = "1.5"
VOLUME_MOVES_VERSION = "1.7"

# method → the version that brought it (the list above, as the methods send it).
METHOD_VERSIONS = {
    "build_and_run_instance": "1.0", "stop_instance": "1.0", "start_instance": "1.0",
    "reboot_instance": "1.0", "terminate_instance": "1.0", "get_console_output": "1.0",
    "attach_volume": "1.1", "detach_volume": "1.1",
    "pause_instance": "1.2", "unpause_instance": "1.2", "suspend_instance": "1.2",
    "resume_instance": "1.2", "snapshot_instance": "1.2", "rebuild_instance": "1.2",
    **dict.fromkeys((
        "resize_instance", "finish_resize", "confirm_resize", "revert_resize",
        "finish_revert_resize", "shelve_instance", "shelve_offload_instance",
        "unshelve_instance", "rescue_instance", "unrescue_instance", "evacuate_instance"),
        MOVES_VERSION),
    "get_console_connect_info": "1.4",
    **dict.fromkeys((
        "check_can_live_migrate_destination", "check_can_live_migrate_source",
        "pre_live_migration", "live_migration", "post_live_migration_at_destination",
        "rollback_live_migration_at_destination", "live_migration_force_complete",
        "live_migration_abort"), LIVE_MIGRATION_VERSION),
    "get_diagnostics": "1.6", "get_host_uptime": "1.6", "backup_instance": "1.6",
    "abort_queued_live_migration": "1.7",
}


class AgentAPI:
    def __init__(self, timeout=None, version_cap=None):
        """``version_cap``: the highest version to send; by default
        ``[upgrade_levels] agent``, else the newest."""
        self.timeout = timeout
        self.version_cap = version_cap or CONF.upgrade_levels.agent or LATEST_VERSION

    def _client(self, host, timeout=None):
        return rpc.get_client(rpc.AGENT_TOPIC, BASE_VERSION, server=host,
                              timeout=timeout or self.timeout, version_cap=self.version_cap)

    def _for(self, host, method):
        """The client of ``host``, sending ``method`` in the version that brought it."""
        return self._client(host).prepare(version=METHOD_VERSIONS[method])

    def check_can_send(self, method):
        """Refuse (``AgentTooOld``, a 409) what the version cap cannot carry, before the
        caller changes any state for it."""
        self._check_version(METHOD_VERSIONS[method], method)

    def check_can_move_volumes(self):
        """Refuse (409) a resize or cold migration of a server with volumes while the
        cap keeps agents that cannot move them (before 1.7)."""
        self._check_version(VOLUME_MOVES_VERSION, "moving volumes")

    def _check_version(self, version, what):
        if not self._client(None).can_send_version(version):
            raise exception.AgentTooOld(
                f"This action is not available yet: it needs version {version} of the "
                f"agents' RPC API ({what}), and [upgrade_levels] agent caps messages "
                f"to agents at {self.version_cap} until every agent is upgraded.")

    def build_and_run_instance(self, ctxt, host, instance_uuid):
        """Build the (claimed) instance on ``host``; progress and the result come back
        through the conductor."""
        self._client(host).cast(ctxt, "build_and_run_instance", instance_uuid=instance_uuid)

    def stop_instance(self, ctxt, host, instance_uuid):
        self._client(host).cast(ctxt, "stop_instance", instance_uuid=instance_uuid)

    def start_instance(self, ctxt, host, instance_uuid):
        self._client(host).cast(ctxt, "start_instance", instance_uuid=instance_uuid)

    def reboot_instance(self, ctxt, host, instance_uuid, hard):
        self._client(host).cast(ctxt, "reboot_instance", instance_uuid=instance_uuid,
                                hard=hard)

    def terminate_instance(self, ctxt, host, instance_uuid):
        self._client(host).cast(ctxt, "terminate_instance", instance_uuid=instance_uuid)

    def get_console_output(self, ctxt, host, instance_uuid, timeout=None):
        """The guest's console log (a call: the API waits for the text)."""
        return self._client(host, timeout).call(ctxt, "get_console_output",
                                                instance_uuid=instance_uuid)

    def attach_volume(self, ctxt, host, instance_uuid, volume_id):
        """Plug into the server the volume its BDM has reserved; the outcome is the
        action's event (and the volume's status)."""
        self._for(host, "attach_volume").cast(
            ctxt, "attach_volume", instance_uuid=instance_uuid, volume_id=volume_id)

    def detach_volume(self, ctxt, host, instance_uuid, volume_id):
        """Unplug the volume from the server and end its attachment."""
        self._for(host, "detach_volume").cast(
            ctxt, "detach_volume", instance_uuid=instance_uuid, volume_id=volume_id)

    def pause_instance(self, ctxt, host, instance_uuid):
        """Freeze the guest in memory (its vCPUs stop; nothing is written out)."""
        self._for(host, "pause_instance").cast(
            ctxt, "pause_instance", instance_uuid=instance_uuid)

    def unpause_instance(self, ctxt, host, instance_uuid):
        self._for(host, "unpause_instance").cast(
            ctxt, "unpause_instance", instance_uuid=instance_uuid)

    def suspend_instance(self, ctxt, host, instance_uuid):
        """Save the guest's memory to disk and end its process (resume restores it)."""
        self._for(host, "suspend_instance").cast(
            ctxt, "suspend_instance", instance_uuid=instance_uuid)

    def resume_instance(self, ctxt, host, instance_uuid):
        self._for(host, "resume_instance").cast(
            ctxt, "resume_instance", instance_uuid=instance_uuid)

    def snapshot_instance(self, ctxt, host, instance_uuid, image_id):
        """Copy the server's root disk into the queued image ``image_id`` (uploaded with
        the caller's token)."""
        self._for(host, "snapshot_instance").cast(
            ctxt, "snapshot_instance", instance_uuid=instance_uuid, image_id=image_id)

    def rebuild_instance(self, ctxt, host, instance_uuid):
        """Replace the guest by a new one from the image the API recorded, on the same
        ports."""
        self._for(host, "rebuild_instance").cast(
            ctxt, "rebuild_instance", instance_uuid=instance_uuid)

    def get_console_connect_info(self, ctxt, host, instance_uuid, console_kind,
                                 timeout=None):
        """Where the server's ``console_kind`` ("vnc" or "serial") console listens on
        its host: ``{"host", "port", "internal_access_path"}`` (a call). Raises
        ``InstanceNotReady`` when the guest is not running."""
        return self._client(host, timeout).prepare(
            version=METHOD_VERSIONS["get_console_connect_info"]).call(
            ctxt, "get_console_connect_info", instance_uuid=instance_uuid,
            console_kind=console_kind)

    def get_diagnostics(self, ctxt, host, instance_uuid, timeout=None):
        """The server's diagnostics (``agent.virt.driver.ComputeDriver.get_diagnostics``;
        a call)."""
        return self._for(host, "get_diagnostics").call(ctxt, "get_diagnostics",
                                                       instance_uuid=instance_uuid)

    def backup_instance(self, ctxt, host, instance_uuid, image_id, backup_type, rotation):
        """Fill the queued backup image, then rotate the server's backups (a cast)."""
        self._for(host, "backup_instance").cast(
            ctxt, "backup_instance", instance_uuid=instance_uuid, image_id=image_id,
            backup_type=backup_type, rotation=rotation)

    def get_host_uptime(self, ctxt, host, timeout=None):
        """The host's ``uptime`` line (a call)."""
        return self._client(host, timeout).prepare(
            version=METHOD_VERSIONS["get_host_uptime"]).call(ctxt, "get_host_uptime")

    # --- moving servers (1.3) ------------------------------------------------------------

    def _moves(self, host):
        return self._client(host).prepare(version=MOVES_VERSION)

    def resize_instance(self, ctxt, host, instance_uuid, migration_uuid):
        """On the source ``host``: stop the guest, hand its disks to the migration's
        destination, and tell that host's agent to finish the move."""
        self._moves(host).cast(ctxt, "resize_instance", instance_uuid=instance_uuid,
                               migration_uuid=migration_uuid)

    def finish_resize(self, ctxt, host, instance_uuid, migration_uuid, disk_info):
        """On the destination ``host``: wire the ports here and start the guest with
        the new flavor from the disks ``disk_info`` describes."""
        self._moves(host).cast(ctxt, "finish_resize", instance_uuid=instance_uuid,
                               migration_uuid=migration_uuid, disk_info=disk_info)

    def confirm_resize(self, ctxt, host, instance_uuid, migration_uuid):
        """On the source ``host``: remove what the server left there."""
        self._moves(host).cast(ctxt, "confirm_resize", instance_uuid=instance_uuid,
                               migration_uuid=migration_uuid)

    def revert_resize(self, ctxt, host, instance_uuid, migration_uuid):
        """On the destination ``host``: remove the moved guest, then tell the source
        host's agent to take the server back."""
        self._moves(host).cast(ctxt, "revert_resize", instance_uuid=instance_uuid,
                               migration_uuid=migration_uuid)

    def finish_revert_resize(self, ctxt, host, instance_uuid, migration_uuid):
        """On the source ``host``: start the guest it kept, as it was."""
        self._moves(host).cast(ctxt, "finish_revert_resize", instance_uuid=instance_uuid,
                               migration_uuid=migration_uuid)

    def shelve_instance(self, ctxt, host, instance_uuid, image_id, offload):
        """Stop the guest and fill the queued image ``image_id`` with its root disk;
        ``offload``: then free the host."""
        self._moves(host).cast(ctxt, "shelve_instance", instance_uuid=instance_uuid,
                               image_id=image_id, offload=offload)

    def shelve_offload_instance(self, ctxt, host, instance_uuid):
        """Remove the shelved server's guest, unwire its ports, give back its claim."""
        self._moves(host).cast(ctxt, "shelve_offload_instance", instance_uuid=instance_uuid)

    def unshelve_instance(self, ctxt, host, instance_uuid, image_id, image_meta=None):
        """Start the shelved server here: its guest if this host kept it, else one built
        from the snapshot ``image_id`` (``image_meta``: the image service's document)
        on ports bound here. The snapshot is deleted once the server runs."""
        self._moves(host).cast(ctxt, "unshelve_instance", instance_uuid=instance_uuid,
                               image_id=image_id, image_meta=image_meta)

    def rescue_instance(self, ctxt, host, instance_uuid, image_meta):
        """Boot the guest from a fresh disk of the rescue image ``image_meta``, its own
        disk attached second."""
        self._moves(host).cast(ctxt, "rescue_instance", instance_uuid=instance_uuid,
                               image_meta=image_meta)

    def unrescue_instance(self, ctxt, host, instance_uuid):
        self._moves(host).cast(ctxt, "unrescue_instance", instance_uuid=instance_uuid)

    def evacuate_instance(self, ctxt, host, instance_uuid, migration_uuid):
        """Build here, from its image and on its ports, a server whose host is down."""
        self._moves(host).cast(ctxt, "evacuate_instance", instance_uuid=instance_uuid,
                               migration_uuid=migration_uuid)

    # --- live migration (1.5) ------------------------------------------------------------

    def check_can_live_migrate_destination(self, ctxt, host, instance_uuid,
                                           block_migration, timeout=None):
        """On the destination ``host``: whether it can take the running guest; returns
        what the source needs to know of it (``dest_check``). Raises InvalidRequest
        with the reason."""
        return self._client(host, timeout).prepare(version=LIVE_MIGRATION_VERSION).call(
            ctxt, "check_can_live_migrate_destination", instance_uuid=instance_uuid,
            block_migration=block_migration)

    def check_can_live_migrate_source(self, ctxt, host, instance_uuid, dest_check,
                                      timeout=None):
        """On the source ``host``: whether the guest can go where ``dest_check``
        describes; returns the ``migrate_data`` (block migration decided, disks to
        make). Raises InvalidRequest with the reason."""
        return self._client(host, timeout).prepare(version=LIVE_MIGRATION_VERSION).call(
            ctxt, "check_can_live_migrate_source", instance_uuid=instance_uuid,
            dest_check=dest_check)

    def pre_live_migration(self, ctxt, host, instance_uuid, migration_uuid, migrate_data,
                           timeout=None):
        """On the destination ``host``: wire the server's ports and make its disks
        ready; returns ``migrate_data`` with what the guest gets there (consoles)."""
        return self._client(host, timeout).prepare(version=LIVE_MIGRATION_VERSION).call(
            ctxt, "pre_live_migration", instance_uuid=instance_uuid,
            migration_uuid=migration_uuid, migrate_data=migrate_data)

    def live_migration(self, ctxt, host, instance_uuid, migration_uuid, migrate_data):
        """On the source ``host``: prepare the destination, move the running guest
        there, and clean up after it (or roll back)."""
        self._for(host, "live_migration").cast(
            ctxt, "live_migration", instance_uuid=instance_uuid,
            migration_uuid=migration_uuid, migrate_data=migrate_data)

    def post_live_migration_at_destination(self, ctxt, host, instance_uuid,
                                           migration_uuid, timeout=None):
        """On the destination ``host``, once the guest runs there: the guest as the
        server says (paused if it was). Returns the guest's power state there."""
        return self._client(host, timeout).prepare(version=LIVE_MIGRATION_VERSION).call(
            ctxt, "post_live_migration_at_destination", instance_uuid=instance_uuid,
            migration_uuid=migration_uuid)

    def rollback_live_migration_at_destination(self, ctxt, host, instance_uuid,
                                               migration_uuid, migrate_data,
                                               timeout=None):
        """On the destination ``host``, after a failed or aborted live migration: remove
        what was made for the guest here."""
        self._client(host, timeout).prepare(version=LIVE_MIGRATION_VERSION).call(
            ctxt, "rollback_live_migration_at_destination", instance_uuid=instance_uuid,
            migration_uuid=migration_uuid, migrate_data=migrate_data)

    def live_migration_force_complete(self, ctxt, host, instance_uuid, migration_uuid):
        """On the source ``host``: pause the guest so that its migration completes."""
        self._for(host, "live_migration_force_complete").cast(
            ctxt, "live_migration_force_complete", instance_uuid=instance_uuid,
            migration_uuid=migration_uuid)

    def live_migration_abort(self, ctxt, host, instance_uuid, migration_uuid):
        """On the source ``host``: cancel the running migration; the guest stays."""
        self._for(host, "live_migration_abort").cast(
            ctxt, "live_migration_abort", instance_uuid=instance_uuid,
            migration_uuid=migration_uuid)

    def abort_queued_live_migration(self, ctxt, host, instance_uuid, migration_uuid):
        """On the source ``host``: cancel the migration, whether it is still being
        prepared or already copies the guest; the guest stays (1.7)."""
        self._for(host, "abort_queued_live_migration").cast(
            ctxt, "abort_queued_live_migration", instance_uuid=instance_uuid,
            migration_uuid=migration_uuid)
