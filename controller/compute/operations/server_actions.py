"""What users do to a running server — power actions, snapshot, rebuild, lock, reading the
console — each checked against the state rules of ``states.ACTIONS`` before its
task_state is set, its action recorded, and the work cast to the server's agent."""
import oslo_messaging as messaging
from sqlalchemy import select

from contract import exception
from controller import policy
from controller.compute import (actions, block_devices, instances, models, quota,
                                snapshots, states)
from controller.compute.exception import InstanceInvalidState
from controller.compute.operations.external_events import refresh_network_info
from controller.compute.operations.servers import (apply_changes, authorized, public_key_of,
                                                   user_data_of)

# action → the agent's method that carries it out
AGENT_METHODS = {"stop": "stop_instance", "start": "start_instance",
                 "reboot": "reboot_instance", "reboot_hard": "reboot_instance",
                 "pause": "pause_instance", "unpause": "unpause_instance",
                 "suspend": "suspend_instance", "resume": "resume_instance",
                 "createImage": "snapshot_instance", "rebuild": "rebuild_instance",
                 "createBackup": "backup_instance"}


class ServerActions:
    def __init__(self, handles):
        """``handles``: the API's ``common.Handles`` (database, image, RPC)."""
        self.handles = handles
        self.conf = handles.conf
        self.db = handles.db

    # --- power actions --------------------------------------------------------------------

    def _begin(self, auth, request_id, instance_uuid, action, record_as, authorize=None):
        """Check the server against the rule of ``action`` and the agents' version cap
        (409 if either forbids it), set the action's task_state and record the action;
        returns the server's host. ``authorize``: the policy check, when not done yet."""
        with self.db.session() as session:
            if authorize is None:
                instance = instances.get(session, instance_uuid, lock=True)
            else:
                instance = authorized(session, auth, instance_uuid, authorize, lock=True)
            task_state = states.check_action(action, instance, auth.is_admin)
            self.handles.agents.check_can_send(AGENT_METHODS[action])
            instance.task_state = task_state
            actions.record(session, instance.uuid, record_as, request_id, auth.user_id,
                           auth.project_id)
            return instance.host

    def power_action(self, auth, request_id, instance_uuid, action, record_as, authorize):
        """Start stop/start/reboot/pause/unpause/suspend/resume: set the task_state,
        record the action, and tell the server's agent."""
        host = self._begin(auth, request_id, instance_uuid, action, record_as, authorize)
        ctxt = auth.rpc_context(request_id)
        agents = self.handles.agents
        if action in ("reboot", "reboot_hard"):
            agents.reboot_instance(ctxt, host, instance_uuid, hard=action == "reboot_hard")
        else:
            getattr(agents, AGENT_METHODS[action])(ctxt, host, instance_uuid)

    # --- snapshot and rebuild -------------------------------------------------------------

    def _check_local_disks(self, instance, action):
        """Snapshot and rebuild work on a local root disk from an image, alone."""
        if not instance.image_ref:
            raise exception.InvalidRequest(
                f"Cannot '{action}' instance {instance.uuid}: it boots from a volume, "
                f"which this cloud does not support for {action}.")
        if action == "rebuild" and any(bdm.volume_id
                                       for bdm in instance.block_device_mappings):
            raise exception.InvalidRequest(
                f"Cannot 'rebuild' instance {instance.uuid} while volumes are attached: "
                f"detach them first.")

    def create_image(self, auth, request_id, instance_uuid, name, metadata, authorize):
        """Snapshot the server: a queued image owned by the server's project, which the
        server's agent fills with a copy of the root disk. Returns the image's id."""
        image_id, host = self._queue_image(auth, request_id, instance_uuid, name, metadata,
                                           authorize, actions.CREATE_IMAGE)
        self.handles.agents.snapshot_instance(auth.rpc_context(request_id), host,
                                              instance_uuid, image_id)
        return image_id

    def create_backup(self, auth, request_id, instance_uuid, name, backup_type, rotation,
                      metadata, authorize):
        """A snapshot marked as a ``backup_type`` backup (``image_type`` backup); once
        it is uploaded the agent keeps only the newest ``rotation`` of the server's
        backups of that type. Returns the image's id."""
        image_id, host = self._queue_image(
            auth, request_id, instance_uuid, name, metadata, authorize,
            actions.CREATE_BACKUP, {"image_type": "backup", "backup_type": backup_type})
        self.handles.agents.backup_instance(auth.rpc_context(request_id), host,
                                            instance_uuid, image_id, backup_type, rotation)
        return image_id

    def _queue_image(self, auth, request_id, instance_uuid, name, metadata, authorize,
                     action, marks=None):
        """The queued image a snapshot or backup will fill (``marks``: properties over
        the snapshot's), once the action started; (image id, the server's host)."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize)
            # The host is checked as the action starts, once the image exists.
            states.check_action(action, instance, auth.is_admin, skip=(states.HOST,))
            self._check_local_disks(instance, action)
            self.handles.agents.check_can_send(AGENT_METHODS[action])
            document = snapshots.image_document(instance, name, metadata, auth.user_id,
                                                auth.project_id)
        document.update(marks or {})
        image_id = self.handles.image.create_queued(auth.token, document)
        try:
            host = self._begin(auth, request_id, instance_uuid, action, action)
        except exception.ComputeError:
            self.handles.image.delete(auth.token, image_id)
            raise
        return image_id, host

    def rebuild(self, auth, request_id, instance_uuid, rebuild, authorize):
        """Rebuild the server from ``rebuild["imageRef"]`` (checked as for a create),
        optionally renamed, re-described, with new metadata or key pair; its agent
        replaces the guest on the same ports. Returns the server as it now is and the
        uuids of its server groups."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize)
            disks = block_devices.plan({"imageRef": rebuild["imageRef"]})
            image_id = disks.image_id
            # The host is checked as the action starts, once the image is known good.
            states.check_action("rebuild", instance, auth.is_admin, skip=(states.HOST,))
            self._check_local_disks(instance, "rebuild")
            self.handles.agents.check_can_send(AGENT_METHODS["rebuild"])
            key_data = (public_key_of(session, auth, rebuild["key_name"])
                        if rebuild.get("key_name") else None)
            user_data = user_data_of(rebuild)
            metadata_limit = quota.limits(session, self.conf,
                                          instance.project_id)["metadata_items"]
        image_meta = self.handles.image.get_active(auth.token, image_id)
        block_devices.check_image_fits(instance, image_meta, disks)
        metadata = rebuild.get("metadata")
        if (metadata is not None and metadata_limit != quota.UNLIMITED
                and len(metadata) > metadata_limit):
            raise quota.QuotaExceeded("metadata_items", len(metadata), 0, metadata_limit)
        host = self._begin(auth, request_id, instance_uuid, "rebuild", actions.REBUILD)
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid, lock=True)
            instance.image_ref = image_id
            instance.image_meta = image_meta
            instance.request_spec = dict(instance.request_spec, image={
                "id": image_id, "properties": image_meta["properties"]})
            apply_changes(instance, rebuild)
            if "key_name" in rebuild:
                instance.key_name, instance.key_data = rebuild["key_name"], key_data
            if "user_data" in rebuild:
                instance.user_data = user_data
            if metadata is not None:
                instance.metadata_items = [models.InstanceMetadata(key=k, value=v)
                                           for k, v in metadata.items()]
        self.handles.agents.rebuild_instance(auth.rpc_context(request_id), host,
                                             instance_uuid)
        with self.db.session() as session:
            groups = list(session.scalars(
                select(models.ServerGroupMember.group_uuid).where(
                    models.ServerGroupMember.instance_uuid == instance_uuid)))
            return instances.get(session, instance_uuid), groups

    def restore(self, auth, request_id, instance_uuid, authorize):
        """Restore a soft-deleted server. Servers are deleted at once here (no
        reclaim interval), so none is ever soft-deleted: the state rule refuses (409)
        whatever server is named, as Nova does with reclaim_instance_interval 0."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize, lock=True)
            states.check_action("restore", instance, auth.is_admin)

    def inject_network_info(self, auth, instance_uuid, authorize):
        """Refresh the server's network info from the network service (what Nova's
        compute does before handing it to its driver; the guest itself learns its
        addresses from DHCP and the metadata service here). 409 while locked for the
        caller."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize)
            if instance.locked and not auth.is_admin:
                raise InstanceInvalidState(f"Instance {instance_uuid} is locked")
        refresh_network_info(self.handles, auth.token, instance_uuid)

    def change_password(self, auth, request_id, instance_uuid, authorize):
        """Set the guest's admin password. Nova's libvirt driver does it through the
        QEMU guest agent; this cloud's guests get no agent channel, so, like Nova when
        the agent cannot be used, it refuses with 409: "QEMU guest agent is not enabled"
        unless the image asks for one (hw_qemu_guest_agent), else "error setting admin
        password"."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize)
            states.check_action("changePassword", instance, auth.is_admin)
            properties = (instance.image_meta or {}).get("properties") or {}
        if str(properties.get("hw_qemu_guest_agent", "")).lower() not in ("yes", "true",
                                                                          "1", "on"):
            raise InstanceInvalidState("QEMU guest agent is not enabled")
        raise InstanceInvalidState(f"Failed to set admin password on {instance_uuid} "
                                   f"because error setting admin password")

    def reset_state(self, auth, request_id, instance_uuid, vm_state, authorize):
        """An admin's repair: set the server's vm_state (ACTIVE or ERROR) and end any
        task, without telling its agent (Nova's os-resetState)."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize, lock=True)
            states.check_action("resetState", instance, auth.is_admin)
            instance.vm_state = vm_state
            instance.task_state = None
            actions.record(session, instance.uuid, actions.RESET_STATE, request_id,
                           auth.user_id, auth.project_id)

    # --- locking --------------------------------------------------------------------------

    def lock(self, auth, request_id, instance_uuid, authorize, reason=None):
        """Lock the server: only admins may change it until it is unlocked. Locked by
        "owner" when the caller's project owns it, else by "admin" (Nova's rule)."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize, lock=True)
            states.check_action("lock", instance, auth.is_admin)
            instance.locked = True
            instance.locked_by = "owner" if auth.project_id == instance.project_id else "admin"
            instance.locked_reason = reason
            actions.record(session, instance.uuid, actions.LOCK, request_id, auth.user_id,
                           auth.project_id)

    def unlock(self, auth, request_id, instance_uuid, authorize):
        """Unlock the server; a lock the other side (owner or admin) set needs the
        ``unlock_override`` rule (admins) to lift."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize, lock=True)
            states.check_action("unlock", instance, auth.is_admin)
            caller = "owner" if auth.project_id == instance.project_id else "admin"
            if instance.locked and instance.locked_by != caller:
                policy.authorize(auth, "os_compute_api:os-lock-server:unlock:unlock_override",
                                 {"project_id": instance.project_id})
            instance.locked = False
            instance.locked_by = None
            instance.locked_reason = None
            actions.record(session, instance.uuid, actions.UNLOCK, request_id, auth.user_id,
                           auth.project_id)

    def console_output(self, auth, request_id, instance_uuid, length, authorize):
        """The last ``length`` lines (None: as many as allowed) of the guest's console."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize)
            states.check_action("get_console_output", instance, auth.is_admin)
        try:
            output = self.handles.agents.get_console_output(
                auth.rpc_context(request_id), instance.host, instance.uuid,
                timeout=self.conf.compute.service_timeout)
        except messaging.MessagingTimeout:
            raise exception.ServiceUnavailable(
                f"The agent of host {instance.host} did not answer.") from None
        lines = output.splitlines()
        limit = self.conf.compute.console_output_max_lines
        if length is not None and length >= 0:
            limit = min(limit, length)
        return "\n".join(lines[-limit:] if limit else [])
