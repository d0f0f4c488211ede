"""Attaching volumes to servers and detaching them (Nova's ``os-volume_attachments``):
every check and the block device mapping here, the plugging by the server's agent.

Attach: the API reserves the volume for the server (the volume is ``reserved``), records
the BDM with that attachment and a device name, and casts to the agent, which exports
and plugs the volume and completes the attachment (``in-use``) — or, when that fails,
ends the attachment and drops the BDM. Detach: the agent unplugs the disk, ends the
attachment (``available``) and drops the BDM. HTTP lives in ``api/``.
"""
import logging

from contract import exception
from controller.compute import actions, block_devices, instances, models, states
from controller.compute.operations.servers import agent_is_up, authorized
from controller.compute.volume import VolumeNotFound

LOG = logging.getLogger(__name__)


def volume_bdms(instance):
    """The server's attached volumes (not its local disks), oldest first."""
    return [bdm for bdm in instance.block_device_mappings
            if bdm.destination_type == block_devices.VOLUME and bdm.volume_id]


def find(instance, volume_id):
    """The server's BDM of ``volume_id``; VolumeNotFound (404) if it has none."""
    for bdm in instance.block_device_mappings:
        if bdm.volume_id == volume_id:
            return bdm
    raise VolumeNotFound(f"Volume {volume_id} is not attached to server {instance.uuid}.")


class VolumeAttachments:
    def __init__(self, handles):
        """``handles``: the API's ``common.Handles`` (database, volume API, agents)."""
        self.handles = handles
        self.conf = handles.conf
        self.db = handles.db

    def _check_agent(self, host, method):
        """The agent must be up, and the version cap must let ``method`` reach it."""
        self.handles.agents.check_can_send(method)
        if not agent_is_up(self.db, self.conf, host):
            raise exception.ServiceUnavailable(
                f"The agent of host {host} is down; try again when it is back.")

    def list(self, auth, instance_uuid, authorize):
        """The server's volume BDMs."""
        with self.db.session() as session:
            return volume_bdms(authorized(session, auth, instance_uuid, authorize))

    def get(self, auth, instance_uuid, volume_id, authorize):
        """The server's BDM of ``volume_id`` (404 if it has none)."""
        with self.db.session() as session:
            return find(authorized(session, auth, instance_uuid, authorize), volume_id)

    def attach(self, auth, request_id, instance_uuid, volume_id, authorize, device=None,
               tag=None, delete_on_termination=False):
        """Reserve the volume, record the BDM and ask the agent to plug it; returns the
        BDM (its device is where the guest is expected to see the volume)."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize)
            states.check_action("attach_volume", instance, auth.is_admin)
            if any(bdm.volume_id == volume_id for bdm in instance.block_device_mappings):
                raise exception.InvalidRequest(f"Invalid volume: volume {volume_id} is "
                                               f"already attached to this server.")
        self._check_agent(instance.host, "attach_volume")
        volume = self.handles.volume.get(auth.token, volume_id)
        if volume["status"] != "available":
            raise exception.InvalidRequest(
                f"Invalid volume: volume {volume_id} status must be 'available'. "
                f"Currently in '{volume['status']}'.")
        attachment_id = self.handles.volume.reserve(auth.token, volume_id, instance_uuid)
        try:
            with self.db.session() as session:
                instance = instances.get(session, instance_uuid, lock=True)
                states.check_action("attach_volume", instance, auth.is_admin,
                                    skip=(states.LOCK,))
                used = block_devices.boot_device_names(instance.flavor, instance.config_drive)
                used += [bdm.device_name for bdm in instance.block_device_mappings]
                bdm = models.BlockDeviceMapping(
                    instance_uuid=instance_uuid, source_type="volume",
                    destination_type=block_devices.VOLUME, boot_index=None,
                    volume_id=volume_id, attachment_id=attachment_id,
                    device_name=block_devices.device_for_attach(device, used),
                    delete_on_termination=delete_on_termination, tag=tag)
                session.add(bdm)
                actions.record(session, instance_uuid, actions.ATTACH_VOLUME, request_id,
                               auth.user_id, auth.project_id)
                host = instance.host
        except Exception:
            self._unreserve(auth.token, volume_id, attachment_id)
            raise
        self.handles.agents.attach_volume(auth.rpc_context(request_id), host, instance_uuid,
                                          volume_id)
        return bdm

    def _unreserve(self, token, volume_id, attachment_id):
        try:
            self.handles.volume.delete_attachment(token, attachment_id)
        except exception.ComputeError:
            LOG.exception("Could not give back the reservation of volume %s", volume_id)

    def detach(self, auth, request_id, instance_uuid, volume_id, authorize):
        """Ask the agent to unplug the volume and end its attachment."""
        with self.db.session() as session:
            instance = authorized(session, auth, instance_uuid, authorize)
            states.check_action("detach_volume", instance, auth.is_admin,
                                skip=(states.STATE, states.HOST))
            bdm = find(instance, volume_id)
            if bdm.boot_index == 0:
                raise exception.InvalidRequest("Cannot detach a root device volume.")
            states.check_action("detach_volume", instance, auth.is_admin,
                                skip=(states.LOCK,))
        self._check_agent(instance.host, "detach_volume")
        try:
            status = self.handles.volume.get(auth.token, volume_id)["status"]
        except VolumeNotFound:
            status = None  # gone behind our back: the agent still unplugs what is left
        if status in ("reserved", "attaching"):
            raise exception.InvalidRequest(
                f"Invalid volume: volume {volume_id} is still being attached ({status}); "
                f"detach it once it is in-use.")
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid, lock=True)
            find(instance, volume_id)
            states.check_action("detach_volume", instance, auth.is_admin,
                                skip=(states.LOCK,))
            actions.record(session, instance_uuid, actions.DETACH_VOLUME, request_id,
                           auth.user_id, auth.project_id)
            host = instance.host
        self.handles.agents.detach_volume(auth.rpc_context(request_id), host, instance_uuid,
                                          volume_id)
