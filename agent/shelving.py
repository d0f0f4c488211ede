"""The agent's part in shelving, as Nova's compute manager: ``shelve_instance`` stops
the guest and fills the snapshot image the API made (then offloads it if asked),
``shelve_offload_instance`` removes the guest and frees the host, ``unshelve_instance``
starts the server again — its guest if this host kept it, else a new one built from the
snapshot on the server's own ports and volumes — and deletes the snapshot. Offloaded,
the server's volumes keep an attachment reserved for it (on no host), which the host
that unshelves it connects."""
import logging

from agent import build
from agent.events import (agent_operation, fault_of, reverts_task_state, step_recorder,
                          with_instance, wrap_instance_event, wrap_instance_fault)
from contract import vm_states as states
from contract.clients.image import ImageError

LOG = logging.getLogger(__name__)


class ServerShelving:
    """Mixed into ``AgentManager`` (``self.driver``, ``self.ports``, ``self.volumes``,
    ``self.conductor``, ``self.update``, ``self.image_client``, ``self.host``,
    ``self.conf``)."""

    @agent_operation
    @wrap_instance_event("compute_shelve_instance")
    @with_instance
    @reverts_task_state((states.SHELVING, states.SHELVING_IMAGE_PENDING_UPLOAD,
                         states.SHELVING_IMAGE_UPLOADING))
    @wrap_instance_fault
    def shelve_instance(self, ctxt, instance, image_id, offload):
        """Stop the guest, copy its root disk into ``image_id``; SHELVED (offloaded
        too when ``offload``). On failure the snapshot image goes and the server keeps
        its state with the reason as its fault."""
        uuid = instance["uuid"]

        def upload(path, disk_format):
            self.update(ctxt, uuid, {"task_state": states.SHELVING_IMAGE_UPLOADING},
                        states.SHELVING_IMAGE_PENDING_UPLOAD)
            self.image_client.upload(ctxt.auth_token, image_id, path, disk_format)

        try:
            self.driver.power_off(instance, self.conf.agent.shutdown_timeout)
            self.update(ctxt, uuid, {"task_state": states.SHELVING_IMAGE_PENDING_UPLOAD},
                        states.SHELVING)
            self.driver.snapshot(ctxt, instance, upload)
        except Exception:
            self._delete_image(ctxt, image_id)
            raise
        self.update(ctxt, uuid, {
            "vm_state": states.SHELVED, "task_state": None,
            "power_state": self.driver.get_power_state(instance)},
            states.SHELVING_IMAGE_UPLOADING)
        if offload:
            instance = self.update(ctxt, uuid, {"task_state": states.SHELVING_OFFLOADING},
                                   None)
            self._offload(ctxt, instance)

    @agent_operation
    @wrap_instance_event("compute_shelve_offload_instance")
    @with_instance
    @reverts_task_state(states.SHELVING_OFFLOADING)
    @wrap_instance_fault
    def shelve_offload_instance(self, ctxt, instance):
        self._offload(ctxt, instance)

    def _offload(self, ctxt, instance):
        """The guest and its disks go from here, the ports are bound nowhere, the claim
        is given back: the server is on no host."""
        self.driver.destroy(ctxt, instance, instance["network_info"])
        self.ports.unbind(ctxt, instance)
        self.volumes.hand_over(ctxt, instance)     # reserved for the server, on no host
        self.conductor.instance_offloaded(ctxt, instance["uuid"], self.host,
                                          states.SHELVING_OFFLOADING)

    @agent_operation
    @wrap_instance_event("compute_unshelve_instance")
    @with_instance
    def unshelve_instance(self, ctxt, instance, image_id, image_meta=None):
        uuid = instance["uuid"]
        if image_meta is None:
            self._start_kept_guest(ctxt, instance)
        else:
            self._build_from_snapshot(ctxt, instance, image_meta)
        self.update(ctxt, uuid, {"vm_state": states.ACTIVE, "task_state": None,
                                 "power_state": self.driver.get_power_state(instance)},
                    (states.UNSHELVING, states.SPAWNING))
        self._delete_image(ctxt, image_id)

    @reverts_task_state(states.UNSHELVING)
    @wrap_instance_fault
    def _start_kept_guest(self, ctxt, instance):
        self.driver.power_on(ctxt, instance, instance["network_info"],
                             instance["block_device_mappings"])

    def _build_from_snapshot(self, ctxt, instance, image_meta):
        """A new guest from the snapshot, on the server's ports bound here; a failure
        leaves the server offloaded again, with the reason as its fault."""
        uuid = instance["uuid"]
        network_info = []
        try:
            network_info = self.ports.move_here(ctxt, instance)
            instance = self.update(ctxt, uuid, {"task_state": states.SPAWNING,
                                                "network_info": network_info},
                                   states.UNSHELVING)
            bdms = self.volumes.connect_here(ctxt, instance)
            drive = build.config_drive_meta(self.conf, instance, network_info)
            self.driver.spawn(ctxt, instance, image_meta, network_info, bdms, drive,
                              step_recorder(self, ctxt, uuid))
            self.volumes.complete(ctxt, bdms)
        except Exception as exc:
            fault = fault_of(exc)
            try:
                self.driver.destroy(ctxt, instance, network_info)
                self.ports.unbind(ctxt, dict(instance, network_info=network_info
                                             or instance["network_info"]))
                self.volumes.hand_over(ctxt, self.conductor.instance_get(ctxt, uuid))
            except Exception:
                LOG.exception("Cleaning up the failed unshelve of %s", uuid)
            self.conductor.instance_offloaded(ctxt, uuid, self.host,
                                              (states.UNSHELVING, states.SPAWNING), fault)
            raise

    def _delete_image(self, ctxt, image_id):
        try:
            self.image_client.delete(ctxt.auth_token, image_id)
        except ImageError:
            LOG.exception("Could not delete the shelved image %s", image_id)

