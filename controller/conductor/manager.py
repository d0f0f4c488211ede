"""The conductor: runs each build (schedule → claim → agent → retry on an alternate host
→ ERROR), and is the agents' only way to the database.

Every piece of a build's state lives in the instance row (host, attempts, alternates), so
any conductor can pick up where another left off, and a periodic check fails builds that
stopped making progress.
"""
import json
import logging
import threading

import oslo_messaging as messaging
from sqlalchemy import select, update

from agent.rpcapi import AgentAPI
from contract import exception, guest_metadata, objects, rpc
from controller.compute import (actions, aggregates, block_devices, instances, models,
                                states)
from controller.conductor.moves import MoveTasks
from controller.conductor.shelving import ShelveTasks
from controller.db.base import utcnow
from controller.scheduler import AGENT_BINARY, CONDUCTOR_BINARY, NoValidHost, placement
from controller.scheduler.rpcapi import SchedulerAPI

LOG = logging.getLogger(__name__)

SCHEDULE_EVENT = "compute__schedule_instances"
BUILD_EVENT = "compute_build_and_run_instance"


def _report_json(selection):
    """The scheduler's account of its decision, kept with the event for the trace."""
    report = selection.get("report")
    return json.dumps(report) if report else None


class ConductorManager(MoveTasks, ShelveTasks):
    target = messaging.Target(version="1.5")  # see controller.conductor.rpcapi

    def __init__(self, runtime):
        self.conf = runtime.conf
        self.db = runtime.db
        self.scheduler = SchedulerAPI()
        self.agents = AgentAPI()
        self._stopping = threading.Event()
        self._periodic = []

    def start(self):
        self._heartbeat()
        self._periodic = [
            threading.Thread(target=self._every, name="conductor-heartbeat", daemon=True,
                             args=(self.conf.compute.report_interval, self._heartbeat)),
            threading.Thread(target=self._every, name="conductor-build-check", daemon=True,
                             args=(self.conf.compute.build_check_interval,
                                   self.fail_stuck_builds)),
            threading.Thread(target=self._every, name="conductor-resize-confirm",
                             daemon=True, args=(self.conf.compute.build_check_interval,
                                                self.confirm_old_resizes))]
        for thread in self._periodic:
            thread.start()

    def stop(self):
        self._stopping.set()
        for thread in self._periodic:
            thread.join(timeout=5)

    def _every(self, seconds, task):
        while not self._stopping.wait(seconds):
            try:
                task()
            except Exception:
                LOG.exception("Periodic task %s failed", task.__name__)

    def _heartbeat(self):
        """The conductor is up (``openstack compute service list``)."""
        placement.service_heartbeat(self.db, self.conf.host, CONDUCTOR_BINARY,
                                    rpc.CONDUCTOR_TOPIC)

    # --- building ------------------------------------------------------------------------

    def build_instances(self, ctxt, instance_uuids, request_spec):
        scheduling_started = utcnow()
        try:
            selections = self.scheduler.select_destinations(
                ctxt, request_spec, instance_uuids, return_alternates=True)
        except NoValidHost as exc:
            LOG.info("No host for %s: %s", ", ".join(instance_uuids), exc)
            for uuid in instance_uuids:
                self._fail(uuid, str(exc), scheduling=(ctxt.request_id, scheduling_started))
            return
        for uuid, hosts in zip(instance_uuids, selections):
            self._send_to_host(ctxt, uuid, hosts[0], hosts[1:], tried=[],
                               scheduling_started=scheduling_started)

    def _send_to_host(self, ctxt, uuid, selection, alternates, tried,
                      scheduling_started=None):
        """Record the claimed host on the instance (with the scheduling step and the start
        of the build on that host) and ask its agent to build — unless the server was
        deleted meanwhile, in which case the claim goes back."""
        host = selection["host"]
        with self.db.session() as session:
            try:
                instance = instances.get(session, uuid, lock=True)
            except exception.InstanceNotFound:
                instance = None
            sent = instance is not None and instance.task_state == states.SCHEDULING
            if sent:
                if scheduling_started is not None:
                    actions.event_start(session, uuid, ctxt.request_id, SCHEDULE_EVENT,
                                        self.conf.host, scheduling_started)
                    actions.event_finish(session, uuid, ctxt.request_id, SCHEDULE_EVENT,
                                         self.conf.host, actions.SUCCESS,
                                         details=_report_json(selection))
                if not instance.availability_zone:
                    services = placement.list_services(session, binary=AGENT_BINARY,
                                                       host=host)
                    instance.availability_zone = aggregates.host_zone(
                        session, host, services[0].availability_zone if services else None,
                        self.conf.compute.default_availability_zone)
                instance.host = host
                instance.node = selection.get("nodename") or host
                instance.retry = {"hosts": tried + [host], "alternates": alternates}
                instance.updated_at = utcnow()
                actions.event_start(session, uuid, ctxt.request_id, BUILD_EVENT, host)
        if not sent:
            LOG.info("Instance %s went away while scheduled to %s", uuid, host)
            placement.release(self.db, uuid)
            return
        self.agents.build_and_run_instance(ctxt, host, uuid)

    def build_failed(self, ctxt, instance_uuid, host, fault, retry=True):
        """A build failed on ``host`` (its claim already released): retry on an
        alternate, claimed first, or a freshly scheduled host, at most
        ``[scheduler] max_attempts`` times in all; then ERROR with the fault."""
        with self.db.session() as session:
            try:
                instance = instances.get(session, instance_uuid, lock=True)
            except exception.InstanceNotFound:
                return
            if instance.vm_state != states.BUILDING or instance.task_state == states.DELETING:
                return
            # The agent released the ports along with the rest of the failed build.
            instance.network_info = []
            instance.task_state = states.SCHEDULING
            instance.host = None
            instance.node = None
            instance.updated_at = utcnow()
            request_spec = dict(instance.request_spec)
            tried = list(instance.retry.get("hosts", [host]))
            alternates = list(instance.retry.get("alternates", []))
        placement.release(self.db, instance_uuid)
        attempts_left = self.conf.scheduler.max_attempts - len(tried)
        if retry and attempts_left > 0:
            selection = self._claim_alternate(instance_uuid, alternates)
            if selection is None:
                selection, alternates = self._reschedule(ctxt, instance_uuid,
                                                         request_spec, tried)
            if selection is not None:
                LOG.info("Rescheduling %s from %s to %s", instance_uuid, host,
                         selection["host"])
                self._send_to_host(ctxt, instance_uuid, selection, alternates, tried)
                return
        message = fault.get("message") or "Build failed"
        if retry and len(tried) > 1:
            message = (f"Exceeded maximum number of retries. Exhausted all hosts available "
                       f"for retrying build failures for instance {instance_uuid}. "
                       f"Last error on {host}: {message}")
        self._fail(instance_uuid, message, fault.get("details"), host,
                   fault.get("code", 500))

    def _claim_alternate(self, instance_uuid, alternates):
        """The first alternate host that can still hold the instance, now claimed."""
        while alternates:
            candidate = alternates.pop(0)
            if placement.claim(self.db, candidate["host"], instance_uuid,
                               candidate["resources"]):
                return candidate
        return None

    def _reschedule(self, ctxt, instance_uuid, request_spec, tried):
        spec = dict(request_spec, instance_uuid=instance_uuid, num_instances=1,
                    ignore_hosts=sorted(set(tried) | set(request_spec.get("ignore_hosts")
                                                         or [])))
        try:
            hosts = self.scheduler.select_destinations(ctxt, spec, [instance_uuid],
                                                       return_alternates=True)[0]
        except NoValidHost as exc:
            LOG.info("No other host for %s: %s", instance_uuid, exc)
            return None, []
        return hosts[0], hosts[1:]

    def _fail(self, instance_uuid, message, details=None, host=None, code=500,
              scheduling=None):
        """ERROR with ``message`` as the fault; ``scheduling`` (request id, start time)
        records the scheduling step that failed."""
        with self.db.session() as session:
            try:
                instance = instances.get(session, instance_uuid, lock=True)
            except exception.InstanceNotFound:
                return
            if scheduling is not None:
                request_id, started = scheduling
                actions.event_start(session, instance_uuid, request_id, SCHEDULE_EVENT,
                                    self.conf.host, started)
            actions.finish_open_events(session, instance_uuid, actions.ERROR, message)
            if instance.task_state != states.DELETING:
                instances.set_error(session, instance, message, details, host, code)
        placement.release(self.db, instance_uuid)

    # --- the agents' window on the database ---------------------------------------------

    # The agents expect these two to say "not found" or "changed under you" (a delete
    # racing a build step); they are answers, not server errors worth a traceback.
    @staticmethod
    def _for_agent(instance, object_versions):
        """The instance as the caller reads it: an ``Instance`` backported to the
        ``object_versions`` it gave (1.3), else the dict of 1.0-1.2."""
        values = instances.to_primitive(instance)
        if object_versions is None:
            return values
        return objects.backport(objects.Instance.from_dict(values), object_versions)

    @messaging.expected_exceptions(exception.InstanceNotFound)
    def instance_get(self, ctxt, instance_uuid, object_versions=None):
        with self.db.session() as session:
            return self._for_agent(instances.get(session, instance_uuid), object_versions)

    @messaging.expected_exceptions(exception.InstanceNotFound, exception.UnexpectedTaskState)
    def instance_update(self, ctxt, instance_uuid, updates, expected_task_state=None,
                        expected_host=None, object_versions=None):
        with self.db.session() as session:
            return self._for_agent(instances.update(
                session, instance_uuid, updates, expected_task_state, expected_host),
                object_versions)

    @messaging.expected_exceptions(exception.InstanceNotFound)
    def instance_fault_create(self, ctxt, instance_uuid, host, fault):
        with self.db.session() as session:
            instances.add_fault(session, instances.get(session, instance_uuid),
                                fault.get("code", 500), fault["message"],
                                fault.get("details"), host)

    def instances_on_host(self, ctxt, host, object_versions=None):
        with self.db.session() as session:
            return [self._for_agent(instance, object_versions)
                    for instance in instances.on_host(session, host)]

    def action_event_start(self, ctxt, instance_uuid, event, host):
        with self.db.session() as session:
            actions.event_start(session, instance_uuid, ctxt.request_id, event, host)

    def action_event_finish(self, ctxt, instance_uuid, event, host, result, details=None):
        with self.db.session() as session:
            actions.event_finish(session, instance_uuid, ctxt.request_id, event, host,
                                 result, details)

    def instance_destroyed(self, ctxt, instance_uuid, host):
        with self.db.session() as session:
            try:
                instances.mark_deleted(session, instances.get(session, instance_uuid,
                                                              lock=True))
            except exception.InstanceNotFound:
                pass
        placement.release(self.db, instance_uuid)

    def service_heartbeat(self, ctxt, host, availability_zone=None):
        placement.service_heartbeat(self.db, host, AGENT_BINARY, rpc.AGENT_TOPIC,
                                    availability_zone=self._zone(availability_zone))

    def report_inventory(self, ctxt, host, resources, availability_zone=None):
        placement.report_inventory(self.db, host, availability_zone=self._zone(
            availability_zone), **resources)

    def claim_release(self, ctxt, instance_uuid):
        placement.release(self.db, instance_uuid)

    def block_device_update(self, ctxt, bdm_id, updates):
        with self.db.session() as session:
            block_devices.update(session, bdm_id, updates)

    def block_device_destroy(self, ctxt, bdm_id):
        with self.db.session() as session:
            block_devices.destroy(session, bdm_id)

    def get_instance_metadata(self, ctxt, instance_uuid, host):
        """A guest on ``host`` asks its metadata service: only that host's instances."""
        with self.db.session() as session:
            instance = instances.get(session, instance_uuid)
            if instance.host != host:
                raise exception.InstanceNotFound(
                    f"Instance {instance_uuid} could not be found on host {host}.")
            return guest_metadata.documents(instances.to_primitive(instance))

    def _zone(self, availability_zone):
        return availability_zone or self.conf.compute.default_availability_zone

    # --- builds that stopped --------------------------------------------------------------

    def fail_stuck_builds(self, now=None):
        """ERROR every build whose host's agent is down, or that has not moved for
        ``[compute] build_timeout`` seconds; returns their UUIDs."""
        now = now or utcnow()
        timeout = self.conf.compute.build_timeout
        down_after = self.conf.scheduler.service_down_time
        agents = {service.host: service
                  for service in placement.list_services(self.db, binary=AGENT_BINARY)}
        with self.db.session() as session:
            building = session.execute(
                select(models.Instance.uuid, models.Instance.host,
                       models.Instance.created_at, models.Instance.updated_at)
                .where(models.Instance.vm_state == states.BUILDING,
                       models.Instance.deleted_at.is_(None))).all()
        failed = []
        for uuid, host, created_at, updated_at in building:
            last_progress = updated_at or created_at
            service = agents.get(host) if host else None
            if service is not None and not placement.is_up(service, now, down_after):
                reason = f"The agent of host {host} went down during the build."
            elif (now - last_progress).total_seconds() > timeout:
                reason = f"The build made no progress for {timeout} seconds."
            else:
                continue
            if self._fail_if_unchanged(uuid, updated_at, reason, host):
                failed.append(uuid)
        return failed

    def _fail_if_unchanged(self, uuid, updated_at, reason, host):
        """Set ERROR only if nobody touched the build since we looked (another conductor
        or a late agent report wins)."""
        with self.db.session() as session:
            changed = session.execute(
                update(models.Instance)
                .where(models.Instance.uuid == uuid,
                       models.Instance.vm_state == states.BUILDING,
                       (models.Instance.updated_at.is_(None) if updated_at is None
                        else models.Instance.updated_at == updated_at))
                .values(vm_state=states.ERROR, task_state=None, updated_at=utcnow())
            ).rowcount
            if changed:
                session.add(models.InstanceFault(instance_uuid=uuid, code=500,
                                                 message=reason, host=host))
                actions.finish_open_events(session, uuid, actions.ERROR, reason)
        if changed:
            LOG.warning("Build of %s failed: %s", uuid, reason)
            placement.release(self.db, uuid)
        return bool(changed)
