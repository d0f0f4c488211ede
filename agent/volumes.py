"""The agent's share of a server's volumes (the calls Nova's compute manager makes to
Cinder, with the user's token), between the volume service, the driver and the conductor:

- a build's ``block_device_mapping`` step makes the root volume from the image when the
  server boots from a new volume, waits until it is ``available``, reserves and exports
  it to this host; once the guest runs, ``complete`` marks it ``in-use``;
- ``attach``/``detach`` hot-plug a volume the API has reserved, and unplug it;
- a move hands the volumes over (``hand_over``: a new attachment reserved for the
  server, this host's ended, once the guest is stopped or gone here) and the host that
  takes the server connects them (``connect_here``), as Nova's
  ``_terminate_volume_connections`` and its refreshed connection info;
- ``release`` ends a deleted server's attachments and deletes the volumes it was to take
  along (``delete_on_termination``); ``release_attachments`` only ends the attachments,
  so a failed build leaves its volumes for the next host or the delete.

Every attachment and volume made is recorded on its BDM (through the conductor) before
the next step, so whoever cleans up finds it.
"""
import functools
import logging
import time

from agent.virt import driver as virt_driver
from agent.volume import nbd
from contract import exception
from contract.clients.volume import VolumeClient, VolumeError, volume_endpoint

LOG = logging.getLogger(__name__)

BLOCK_DEVICE_EVENT = "block_device_mapping"
POLL_SECONDS = 0.5


class VolumeNotReady(Exception):
    """A volume the build needs did not become available; the message says why."""


class HandOverFailed(Exception):
    """A move's hand-over of the volumes stopped part-way: ``handed`` holds the ids of
    the BDMs already given their new (reserved) attachment."""

    def __init__(self, message, handed):
        super().__init__(message)
        self.handed = handed


def is_volume(bdm):
    return bdm["destination_type"] == "volume"


class ServerVolumes:
    def __init__(self, conf, host, driver, conductor):
        self.conf = conf
        self.host = host
        self.driver = driver
        self.conductor = conductor

    @functools.cached_property
    def client(self):
        """The ``VolumeClient`` of the configured block storage API."""
        return VolumeClient(volume_endpoint(self.conf), self.conf.compute.service_timeout)

    def _connector(self, bdm):
        # The mountpoint is what the volume service shows as the attachment's device.
        return dict(nbd.connector(self.host), mountpoint=bdm["device_name"])

    def _record(self, ctxt, bdm, **updates):
        self.conductor.block_device_update(ctxt, bdm["id"], updates)
        bdm.update(updates)

    # --- a build ------------------------------------------------------------------------

    def prepare(self, ctxt, instance, step):
        """The build's block devices, volumes exported to this host: the BDMs with a
        ``connection_info`` on each volume, as ``spawn`` takes them."""
        bdms = [dict(bdm) for bdm in instance["block_device_mappings"]]
        volumes = [bdm for bdm in bdms if is_volume(bdm)]
        if not volumes:
            return bdms
        with step(BLOCK_DEVICE_EVENT):
            for bdm in volumes:
                if not bdm["volume_id"]:
                    volume = self.client.create_volume(
                        ctxt.auth_token, bdm["volume_size"], image_id=bdm["image_id"],
                        name=f"{instance['name']}-root" if bdm["boot_index"] == 0 else None)
                    self._record(ctxt, bdm, volume_id=volume["id"])
                self._wait_available(ctxt.auth_token, bdm["volume_id"])
                if not bdm["attachment_id"]:
                    self._record(ctxt, bdm, attachment_id=self.client.reserve(
                        ctxt.auth_token, bdm["volume_id"], instance["uuid"]))
                bdm["connection_info"] = self.client.connect(
                    ctxt.auth_token, bdm["attachment_id"], self._connector(bdm))
        return bdms

    def _wait_available(self, token, volume_id):
        timeout = self.conf.agent.block_device_allocate_timeout
        deadline = time.monotonic() + timeout
        while True:
            volume = self.client.get_volume(token, volume_id)
            if volume["status"] == "available":
                return
            if volume["status"] != "creating":
                raise VolumeNotReady(
                    f"Volume {volume_id} is {volume['status']}, not available"
                    + (f": {volume['status_reason']}" if volume.get("status_reason") else "."))
            if time.monotonic() > deadline:
                raise VolumeNotReady(f"Volume {volume_id} was still being made after "
                                     f"{timeout} s.")
            time.sleep(POLL_SECONDS)

    def complete(self, ctxt, bdms):
        """The guest runs with its volumes: they are in use."""
        for bdm in bdms:
            if bdm.get("connection_info"):
                self.client.complete(ctxt.auth_token, bdm["attachment_id"])

    def release_attachments(self, ctxt, instance_uuid, token):
        """End the attachments a failed or abandoned build made (the volumes stay, for
        the next host or the server's delete)."""
        try:
            instance = self.conductor.instance_get(ctxt, instance_uuid)
        except exception.InstanceNotFound:
            return  # deleted: its delete released them
        for bdm in instance["block_device_mappings"]:
            if is_volume(bdm) and bdm["attachment_id"]:
                self._end_attachment(token, bdm)
                self._record(ctxt, bdm, attachment_id=None)

    def release(self, instance, token):
        """A deleted server's volumes (its guest is gone): end each attachment, delete
        the volumes it was to take along. Failures are logged; the delete goes on."""
        if not token:
            if any(is_volume(bdm) for bdm in instance["block_device_mappings"]):
                LOG.warning("Volumes of %s stay attached: no token to detach them with",
                            instance["uuid"])
            return
        for bdm in instance["block_device_mappings"]:
            if not (is_volume(bdm) and bdm["volume_id"]):
                continue
            try:
                if bdm["attachment_id"]:
                    self._end_attachment(token, bdm)
                if bdm["delete_on_termination"]:
                    self._delete_volume(token, bdm["volume_id"])
            except VolumeError:
                LOG.exception("Releasing volume %s of deleted server %s failed",
                              bdm["volume_id"], instance["uuid"])

    def _end_attachment(self, token, bdm):
        try:
            self.client.detach(token, bdm["attachment_id"])
        except VolumeError as exc:
            if exc.status != 404:
                raise

    def _delete_volume(self, token, volume_id):
        try:
            self.client.delete_volume(token, volume_id)
        except VolumeError as exc:
            if exc.status != 404:
                raise

    # --- moves --------------------------------------------------------------------------

    def hand_over(self, ctxt, instance):
        """The guest no longer uses its volumes here: give each a new attachment,
        reserved for the server's next host, and end this host's. Returns the ids of
        the BDMs handed over; if one fails, raises HandOverFailed with those handed
        before it (their new attachment reserved, to connect here again)."""
        token = ctxt.auth_token
        handed = []
        for bdm in instance["block_device_mappings"]:
            if not (is_volume(bdm) and bdm["attachment_id"]):
                continue
            new = None
            try:
                new = self.client.reserve(token, bdm["volume_id"], instance["uuid"])
                self._end_attachment(token, bdm)
            except VolumeError as exc:
                if new:
                    self._end_reserved(token, new)
                raise HandOverFailed(f"Volume {bdm['volume_id']} could not be handed "
                                     f"over: {exc}", handed) from exc
            self._record(ctxt, bdm, attachment_id=new)
            handed.append(bdm["id"])
        return handed

    def _end_reserved(self, token, attachment_id):
        try:
            self.client.detach(token, attachment_id)
        except VolumeError:
            LOG.exception("Could not end attachment %s", attachment_id)

    def connect_here(self, ctxt, instance, only=None):
        """The server's volumes exported to this host: its reserved attachments (those
        of BDM ids ``only``, if given) get this host's connector. Returns the BDMs, those
        connected with their ``connection_info``, as the driver takes them."""
        bdms = [dict(bdm) for bdm in instance["block_device_mappings"]]
        for bdm in bdms:
            if (is_volume(bdm) and bdm["attachment_id"]
                    and (only is None or bdm["id"] in only)):
                bdm["connection_info"] = self.client.connect(
                    ctxt.auth_token, bdm["attachment_id"], self._connector(bdm))
        return bdms

    # --- live migration -----------------------------------------------------------------

    def connect_second(self, ctxt, instance):
        """On a live migration's destination, while the guest still runs at the source:
        a second attachment of each volume, exported to this host. Returns the pairs
        (BDM id, new attachment id) and the BDMs with this host's ``connection_info``;
        if one fails, those made are ended and it raises."""
        token = ctxt.auth_token
        made = []
        bdms = [dict(bdm) for bdm in instance["block_device_mappings"]]
        try:
            for bdm in bdms:
                if is_volume(bdm) and bdm["attachment_id"]:
                    new = self.client.reserve(token, bdm["volume_id"], instance["uuid"])
                    made.append([bdm["id"], new])
                    bdm["connection_info"] = self.client.connect(token, new,
                                                                 self._connector(bdm))
        except Exception:
            self.end_attachments(token, made)
            raise
        return made, bdms

    def end_attachments(self, token, pairs):
        """End the attachments of ``pairs`` (BDM id, attachment id) a live migration
        made on its destination (it failed); failures are logged."""
        for _, attachment_id in pairs or ():
            self._end_reserved(token, attachment_id)

    def switch_to(self, ctxt, instance, pairs):
        """The guest runs on the destination: its attachments there (``pairs``) are
        completed and become the server's; those of the source end."""
        token = ctxt.auth_token
        new_of = dict((bdm_id, attachment_id) for bdm_id, attachment_id in pairs or ())
        for bdm in instance["block_device_mappings"]:
            if bdm["id"] not in new_of:
                continue
            self.client.complete(token, new_of[bdm["id"]])
            if bdm["attachment_id"]:
                self._end_attachment(token, bdm)
            self._record(ctxt, bdm, attachment_id=new_of[bdm["id"]])

    # --- hot-plug -----------------------------------------------------------------------

    def attach(self, ctxt, instance, bdm):
        """Export the reserved volume here, plug it into the guest and complete the
        attachment; if any of it fails, undo it all (attachment ended, BDM dropped) and
        raise."""
        plugged = False
        try:
            connection_info = self.client.connect(ctxt.auth_token, bdm["attachment_id"],
                                                  self._connector(bdm))
            device = self.driver.attach_volume(instance, connection_info, bdm["volume_id"],
                                               bdm["device_name"])
            plugged = True
            self.client.complete(ctxt.auth_token, bdm["attachment_id"])
        except Exception:
            LOG.exception("Attaching volume %s to %s failed", bdm["volume_id"],
                          instance["uuid"])
            self._undo_attach(ctxt, instance, bdm, plugged)
            raise
        if device != bdm["device_name"]:
            self._record(ctxt, bdm, device_name=device)
        return device

    def _undo_attach(self, ctxt, instance, bdm, plugged):
        try:
            if plugged:
                self.driver.detach_volume(instance, bdm["volume_id"])
            self._end_attachment(ctxt.auth_token, bdm)
        except Exception:
            LOG.exception("Could not undo the attach of volume %s", bdm["volume_id"])
            return  # the BDM stays: the volume may still be plugged or attached
        self.conductor.block_device_destroy(ctxt, bdm["id"])

    def detach(self, ctxt, instance, bdm):
        """Unplug the volume (waiting for the guest to let go), end the attachment and
        drop the BDM. If the guest keeps the disk, raise and change nothing else."""
        try:
            self.driver.detach_volume(instance, bdm["volume_id"])
        except virt_driver.InstanceNotOnHost:
            pass  # no guest here, so nothing plugged
        if bdm["attachment_id"]:
            self._end_attachment(ctxt.auth_token, bdm)
        self.conductor.block_device_destroy(ctxt, bdm["id"])
