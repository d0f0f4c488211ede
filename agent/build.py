"""A build on this host, as its steps: the ports (``networking``), the volumes
(``block_device_mapping``), the guest (``spawning``) — each reported to the conductor as
the instance's task_state, each slow part as a step of the create action. A build that
fails takes back what it made here; the conductor then tries another host."""
import datetime
import functools
import logging

import oslo_messaging as messaging

from agent import events
from contract import guest_metadata as metadata
from contract import vm_states as states
from contract.clients.network import NetworkApiError

LOG = logging.getLogger(__name__)

BUILD_EVENT = "compute_build_and_run_instance"
# The task_states of a build that this agent has begun.
BUILD_STEPS = (states.NETWORKING, states.BLOCK_DEVICE_MAPPING, states.SPAWNING)


def utcnow_iso():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None).isoformat()


def config_drive_meta(conf, instance, network_info):
    """What the guest's config drive holds, or None when it gets none."""
    if not (instance["config_drive"] or conf.agent.force_config_drive):
        return None
    return metadata.config_drive(dict(instance, network_info=network_info))


class Build:
    """One build of one instance, run by ``AgentManager.build_and_run_instance``."""

    def __init__(self, manager, ctxt, instance_uuid):
        self.manager = manager
        self.ctxt = ctxt
        self.uuid = instance_uuid
        self.step = events.step_recorder(manager, ctxt, instance_uuid)
        self.instance = None
        self.network_info = []

    def run(self):
        """The steps; on any failure (a deletion meanwhile included) undo them and
        raise — unless the build is in fact recorded as done (``_done_anyway``)."""
        try:
            self.allocate_networks()
            block_device_info = self.prepare_block_devices()
            self.spawn(block_device_info)
        except Exception as exc:
            if self.instance is not None and self._done_anyway(exc):
                LOG.warning("Build of %s: the answer to its last report was lost, but "
                            "the report was recorded: the build is done", self.uuid)
                return
            if self.instance is not None:
                self.undo()
            raise

    def _done_anyway(self, exc):
        """Whether a report whose answer the bus lost (a restarting broker) had been
        recorded, and was the build's last: the server is built here, and undoing the
        build would leave it without its guest."""
        if not isinstance(exc, messaging.MessagingException):
            return False
        try:
            instance = self.manager.conductor.instance_get(self.ctxt, self.uuid)
        except Exception:
            return False
        return recorded_as_built(instance, self.manager.host)

    def _update(self, updates, expected_task_state):
        return self.manager.update(self.ctxt, self.uuid, updates, expected_task_state)

    def allocate_networks(self):
        self.instance = self._update({"task_state": states.NETWORKING}, states.SCHEDULING)
        self.network_info = self.manager.ports.allocate(self.ctxt, self.instance,
                                                        self.step)

    def prepare_block_devices(self):
        self._update({"task_state": states.BLOCK_DEVICE_MAPPING,
                      "network_info": self.network_info}, states.NETWORKING)
        return self.manager.volumes.prepare(self.ctxt, self.instance, self.step)

    def spawn(self, block_device_info):
        manager = self.manager
        self.instance = self._update({"task_state": states.SPAWNING},
                                     states.BLOCK_DEVICE_MAPPING)
        drive = config_drive_meta(manager.conf, self.instance, self.network_info)
        manager.driver.spawn(self.ctxt, self.instance, self.instance["image_meta"],
                             self.network_info, block_device_info, drive, self.step)
        manager.volumes.complete(self.ctxt, block_device_info)
        # config_drive: the guest got one (also when forced), so the API counts it
        # among the guest's disks when it names the next volume's device.
        self._update({"vm_state": states.ACTIVE, "task_state": None,
                      "power_state": manager.driver.get_power_state(self.instance),
                      "launched_at": utcnow_iso(), "config_drive": drive is not None},
                     states.SPAWNING)

    def undo(self):
        """Remove what the build made here: the guest, then its ports, then the volume
        attachments (the volumes stay, for the next host or the delete)."""
        manager = self.manager
        try:
            manager.driver.destroy(self.ctxt, self.instance, self.network_info)
            manager.ports.release(manager.ports.client_for(self.ctxt), self.network_info)
            manager.volumes.release_attachments(self.ctxt, self.uuid,
                                                manager.token_for(self.ctxt))
        except Exception:
            LOG.exception("Cleaning up the build of %s", self.uuid)


def recorded_as_built(instance, host):
    """Whether the database has ``instance`` built on ``host`` (its build ended there,
    and no delete has begun)."""
    return (instance["host"] == host
            and instance["vm_state"] not in (states.BUILDING, states.ERROR)
            and instance["task_state"] != states.DELETING)


def reschedules_on_failure(function):
    """A build that failed here (its event closed, so that the next host's is not
    confused with it): the conductor gives back its claim and retries — unless the
    network service refused the request itself, which no other host would change. A
    build abandoned (deleted, or no longer this host's) is left to whoever has it.

    The claim is not released from here: a failure can be late (a report whose answer
    was lost with the broker) when the build has moved to another host or finished,
    and the claim is then that host's; the conductor releases it only while the build
    is still this host's."""

    @functools.wraps(function)
    def wrapper(self, ctxt, instance_uuid, *args, **kwargs):
        try:
            return function(self, ctxt, instance_uuid, *args, **kwargs)
        except events.ABANDONED:
            raise
        except Exception as exc:
            refused = isinstance(exc, NetworkApiError) and 400 <= exc.status < 500
            fault = events.fault_of(exc)
            if refused:
                fault["code"] = exc.status
            self.conductor.build_failed(ctxt, instance_uuid, self.host, fault,
                                        retry=not refused)
            raise

    return wrapper
