"""The conductor: runs each build (schedule → claim → agent → retry on an alternate host
→ ERROR), and is the agents' only way to the database.

Every piece of a build's state lives in the instance row (host, attempts, alternates), so
any conductor can pick up where another left off, and a periodic check sends again,
reschedules or fails a build that stopped making progress (``recovery``).
"""
import json
import logging
import threading

import oslo_messaging as messaging
from sqlalchemy import or_, select, update

from agent.rpcapi import AgentAPI
from contract import exception, guest_metadata, objects, rpc
from controller.compute import (actions, aggregates, block_devices, instances, models,
                                states)
from controller.conductor import recovery
from controller.conductor.live_migration import LiveMigrationTasks
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


class ConductorManager(MoveTasks, LiveMigrationTasks, ShelveTasks):
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
                                   self.check_stuck_builds)),
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
        self._schedule_and_send(ctxt, instance_uuids, request_spec)

    def _schedule_and_send(self, ctxt, instance_uuids, request_spec,
                           fail_without_host=True, scheduler_timeout=None):
        """Ask the scheduler for hosts and send each build to its host; without one,
        ERROR — or, unless ``fail_without_host``, leave the builds for the next check
        (a build sent again after the broker was away finds every agent down until
        their heartbeats come back)."""
        scheduling_started = utcnow()
        try:
            selections = self.scheduler.select_destinations(
                ctxt, request_spec, instance_uuids, return_alternates=True,
                timeout=scheduler_timeout)
        except NoValidHost as exc:
            LOG.info("No host for %s: %s", ", ".join(instance_uuids), exc)
            if not fail_without_host:
                return
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
        deleted meanwhile (or another conductor sent it first, see ``recovery``), in
        which case the claim goes back."""
        host = selection["host"]
        with self.db.session() as session:
            try:
                instance = instances.get(session, uuid, lock=True, faults=False)
            except exception.InstanceNotFound:
                instance = None
            sent = (instance is not None and instance.vm_state == states.BUILDING
                    and instance.task_state == states.SCHEDULING and instance.host is None)
            # Sent already by another conductor (or an earlier check): the host that has
            # it (building or built) keeps it, and the claim this scheduling moved goes
            # back there.
            owner = (recovery.claim_holder(instance.vm_state, instance.task_state,
                                           instance.host)
                     if instance is not None and not sent else None)
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
                retry = {"hosts": tried + [host], "alternates": alternates}
                context = recovery.build_context(instance.retry, ctxt)
                if context.auth_token:
                    retry[instances.BUILD_CONTEXT] = context.to_dict()
                instance.retry = retry
                instance.updated_at = utcnow()
                actions.event_start(session, uuid, ctxt.request_id, BUILD_EVENT, host)
        if owner is not None:
            LOG.info("Build of %s was sent to %s already", uuid, owner)
            placement.claim(self.db, owner, uuid, selection["resources"])
            return
        if not sent:
            LOG.info("Instance %s went away while scheduled to %s", uuid, host)
            placement.release(self.db, uuid)
            return
        self.agents.build_and_run_instance(ctxt, host, uuid)

    def build_failed(self, ctxt, instance_uuid, host, fault, retry=True):
        """A build failed on ``host``: release its claim and retry on an alternate,
        claimed first, or a freshly scheduled host, at most ``[scheduler] max_attempts``
        times in all; then ERROR with the fault. A report from a host the build has
        left already (or of a build that ended) is ignored, its claim left alone: it is
        the next host's. The next host acts with the context of the request that asked
        for the build (an agent restarted, or this conductor's check of stuck builds,
        has no user token)."""
        self._build_failed(ctxt, instance_uuid, host, fault, retry)

    def _build_failed(self, ctxt, instance_uuid, host, fault, retry=True,
                      scheduler_timeout=None):
        with self.db.session() as session:
            try:
                instance = instances.get(session, instance_uuid, lock=True)
            except exception.InstanceNotFound:
                return
            if (instance.vm_state != states.BUILDING or instance.task_state == states.DELETING
                    or instance.host != host):
                return
            ctxt = recovery.build_context(instance.retry, ctxt)
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
                                                         request_spec, tried,
                                                         scheduler_timeout)
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

    def _reschedule(self, ctxt, instance_uuid, request_spec, tried, timeout=None):
        spec = dict(request_spec, instance_uuid=instance_uuid, num_instances=1,
                    ignore_hosts=sorted(set(tried) | set(request_spec.get("ignore_hosts")
                                                         or [])))
        try:
            hosts = self.scheduler.select_destinations(ctxt, spec, [instance_uuid],
                                                       return_alternates=True,
                                                       timeout=timeout)[0]
        except NoValidHost as exc:
            LOG.info("No other host for %s: %s", instance_uuid, exc)
            return None, []
        return hosts[0], hosts[1:]

    def _fail(self, instance_uuid, message, details=None, host=None, code=500,
              scheduling=None):
        """ERROR with ``message`` as the fault; ``scheduling`` (request id, start time)
        records the scheduling step that failed — unless another scheduling of the same
        build (sent again by the check) found it a host meanwhile: that one goes on."""
        with self.db.session() as session:
            try:
                instance = instances.get(session, instance_uuid, lock=True)
            except exception.InstanceNotFound:
                return
            if scheduling is not None and instance.host is not None:
                LOG.info("Build of %s found no host again, but has one already", instance_uuid)
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
            return self._for_agent(instances.get(session, instance_uuid, faults=False),
                                   object_versions)

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
        """Agents before this release called it after a failed build; ``build_failed``
        releases the claim now, and only while the build is still the reporter's."""
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

    def check_stuck_builds(self, now=None):
        """Periodic: send again, reschedule or fail (``recovery.stuck_build_action``)
        every build that is lost, whose host's agent is down, or that has not moved for
        ``[compute] build_timeout`` seconds; returns {uuid: what was done}."""
        now = now or utcnow()
        timeout = self.conf.compute.build_timeout
        down_after = self.conf.scheduler.service_down_time
        agents = {service.host: service
                  for service in placement.list_services(self.db, binary=AGENT_BINARY)}
        with self.db.session() as session:
            building = session.execute(
                select(models.Instance.uuid, models.Instance.host,
                       models.Instance.task_state, models.Instance.created_at,
                       models.Instance.updated_at)
                .where(models.Instance.vm_state == states.BUILDING,
                       or_(models.Instance.task_state.is_(None),
                           models.Instance.task_state != states.DELETING),
                       models.Instance.deleted_at.is_(None))).all()
        any_agent_up = any(placement.is_up(service, now, down_after)
                           for service in agents.values())
        done = {}
        bus_answers = True
        for uuid, host, task_state, created_at, updated_at in building:
            service = agents.get(host) if host else None
            action = recovery.stuck_build_action(
                task_state, host,
                agent_up=service is None or placement.is_up(service, now, down_after),
                stale=(now - (updated_at or created_at)).total_seconds() > timeout,
                any_agent_up=any_agent_up)
            if action in (recovery.REDRIVE, recovery.RESCHEDULE) and not bus_answers:
                continue        # the next check sends it, once the bus answers again
            try:
                if action == recovery.REDRIVE:
                    done_now = self._redrive(uuid, updated_at)
                elif action == recovery.RESCHEDULE:
                    done_now = self._reschedule_stuck(uuid, host, updated_at, service,
                                                      timeout, now, down_after)
                elif action == recovery.FAIL:
                    done_now = self._fail_if_unchanged(
                        uuid, updated_at,
                        f"The build made no progress for {timeout} seconds.",
                        host) and action
                else:
                    continue
            except messaging.MessagingException as exc:
                # The scheduler's answer (or the agent's message) was lost: the other
                # builds would wait for theirs as long. They are sent at the next check.
                LOG.warning("Recovering the build of %s failed, the message bus does not "
                            "answer: %s", uuid, exc)
                bus_answers = False
                continue
            except Exception:   # e.g. the scheduler failed: the next check
                LOG.exception("Recovering the build of %s failed", uuid)
                continue
            if done_now:
                done[uuid] = done_now
        return done

    def _touch_if_unchanged(self, uuid, updated_at, **values):
        """Take a stuck build for this check (no other conductor, no late report of its
        agent, touched it since we looked): True if it was ours to take."""
        with self.db.session() as session:
            return bool(session.execute(
                update(models.Instance)
                .where(models.Instance.uuid == uuid,
                       models.Instance.vm_state == states.BUILDING,
                       (models.Instance.updated_at.is_(None) if updated_at is None
                        else models.Instance.updated_at == updated_at))
                .values(updated_at=utcnow(), **values)).rowcount)

    def _redrive(self, uuid, updated_at):
        """Schedule again a build nobody has (its message was lost with a conductor, an
        API or the broker), at most ``[scheduler] max_attempts`` times; only the last
        time does "no valid host" make it ERROR."""
        with self.db.session() as session:
            instance = instances.get(session, uuid)
            retry = dict(instance.retry or {})
            request_spec = dict(instance.request_spec)
        sent_again = retry.get("sent_again", 0)
        if sent_again >= self.conf.scheduler.max_attempts:
            reason = "The build was lost on its way to a host too many times."
            return self._fail_if_unchanged(uuid, updated_at, reason, None) and recovery.FAIL
        if not self._touch_if_unchanged(uuid, updated_at,
                                        retry=dict(retry, sent_again=sent_again + 1)):
            return None
        LOG.warning("Build of %s was lost on its way: scheduling it again", uuid)
        self._schedule_and_send(
            recovery.build_context(retry), [uuid], request_spec,
            fail_without_host=sent_again + 1 >= self.conf.scheduler.max_attempts,
            scheduler_timeout=recovery.SCHEDULER_TIMEOUT)
        return recovery.REDRIVE

    def _reschedule_stuck(self, uuid, host, updated_at, service, timeout, now, down_after):
        if service is not None and not placement.is_up(service, now, down_after):
            reason = f"The agent of host {host} went down during the build."
        else:
            reason = f"The agent of host {host} did not take the build for {timeout} seconds."
        if not self._touch_if_unchanged(uuid, updated_at):
            return None
        LOG.warning("Build of %s stopped on %s (%s): rescheduling it", uuid, host, reason)
        self._build_failed(None, uuid, host, {"code": 500, "message": reason},
                           scheduler_timeout=recovery.SCHEDULER_TIMEOUT)
        return recovery.RESCHEDULE

    def _fail_if_unchanged(self, uuid, updated_at, reason, host):
        """Set ERROR only if nobody touched the build since we looked (another conductor
        or a late agent report wins)."""
        with self.db.session() as session:
            instance = session.execute(
                select(models.Instance)
                .where(models.Instance.uuid == uuid,
                       models.Instance.vm_state == states.BUILDING,
                       (models.Instance.updated_at.is_(None) if updated_at is None
                        else models.Instance.updated_at == updated_at))
                .with_for_update()).scalar_one_or_none()
            if instance is not None:
                instances.set_error(session, instance, reason, host=host)
                actions.finish_open_events(session, uuid, actions.ERROR, reason)
        if instance is not None:
            LOG.warning("Build of %s failed: %s", uuid, reason)
            placement.release(self.db, uuid)
        return instance is not None
