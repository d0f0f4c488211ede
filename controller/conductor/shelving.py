"""The conductor's part in shelving: scheduling an offloaded server anew when it is
unshelved, and recording that a server left its host (offloaded, or an unshelve that
failed there) — on no host, its claim given back."""
import logging

from contract import exception
from contract import vm_states as states
from controller.compute import actions, instances
from controller.db.base import utcnow
from controller.scheduler import NoValidHost, placement

LOG = logging.getLogger(__name__)

SCHEDULE_EVENT = "compute__schedule_instances"


class ShelveTasks:
    """Mixed into ``ConductorManager`` (``self.db``, ``self.conf``, ``self.scheduler``,
    ``self.agents``)."""

    def unshelve_instance(self, ctxt, instance_uuid, image_id, image_meta):
        started = utcnow()
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid)
            spec = dict(instance.request_spec, instance_uuid=instance_uuid,
                        num_instances=1, ignore_hosts=[], force_host=None,
                        image={"id": image_id,
                               "properties": (image_meta or {}).get("properties") or {}})
        try:
            selection = self.scheduler.select_destinations(
                ctxt, spec, [instance_uuid], return_alternates=False)[0][0]
        except NoValidHost as exc:
            LOG.info("No host to unshelve %s on: %s", instance_uuid, exc.args[0])
            with self.db.session() as session:
                actions.add_finished_event(session, instance_uuid, ctxt.request_id,
                                           SCHEDULE_EVENT, self.conf.host, started,
                                           utcnow(), actions.ERROR, exc.args[0])
                try:
                    instances.update(session, instance_uuid, {"task_state": None},
                                     states.UNSHELVING)
                except (exception.InstanceNotFound, exception.UnexpectedTaskState):
                    pass
            return
        host = selection["host"]
        with self.db.session() as session:
            try:
                instance = instances.get(session, instance_uuid, lock=True)
            except exception.InstanceNotFound:
                instance = None
            if instance is not None and instance.task_state == states.UNSHELVING:
                instance.host = host
                instance.node = selection.get("nodename") or host
                instance.updated_at = utcnow()
                actions.add_finished_event(session, instance_uuid, ctxt.request_id,
                                           SCHEDULE_EVENT, self.conf.host, started,
                                           utcnow())
            else:
                instance = None
        if instance is None:
            placement.release(self.db, instance_uuid)
            return
        self.agents.unshelve_instance(ctxt, host, instance_uuid, image_id, image_meta)

    def instance_offloaded(self, ctxt, instance_uuid, host, expected_task_state,
                           fault=None):
        with self.db.session() as session:
            instance = instances.update(session, instance_uuid, {
                "vm_state": states.SHELVED_OFFLOADED, "task_state": None,
                "power_state": 0}, expected_task_state, expected_host=host)
            instance.host = None
            instance.node = None
            if fault is not None:
                instances.add_fault(session, instance, fault.get("code", 500),
                                    fault["message"], fault.get("details"), host)
        placement.release(self.db, instance_uuid)
