"""The scheduler's RPC endpoint, and its own heartbeat in the services table."""
import logging
import threading

import oslo_messaging
from contract import rpc
from controller.scheduler import SCHEDULER_BINARY, placement
from controller.scheduler.chance import ChanceScheduler
from controller.scheduler.filter_scheduler import FilterScheduler
from controller.scheduler.host_state import HostManager

LOG = logging.getLogger(__name__)

DRIVERS = {"filter_scheduler": FilterScheduler, "chance": ChanceScheduler}


def make_scheduler(conf, db):
    """The driver ``[scheduler] driver`` names, with its host manager."""
    host_manager = HostManager(db, conf.scheduler.service_down_time,
                               conf.compute.default_availability_zone,
                               conf.scheduler.host_state_cache_seconds)
    return DRIVERS[conf.scheduler.driver](conf, db, host_manager)


class SchedulerManager:
    target = oslo_messaging.Target(version="1.0")

    def __init__(self, runtime):
        self.conf = runtime.conf
        self.db = runtime.db
        self.scheduler = make_scheduler(self.conf, self.db)
        self._stopping = threading.Event()
        self._heartbeat = None

    def select_destinations(self, ctxt, request_spec, instance_uuids,
                            return_alternates=True):
        return self.scheduler.select_destinations(request_spec, instance_uuids,
                                                  return_alternates)

    def start(self):
        """Beat in the services table six times per service_down_time, so that
        ``openstack compute service list`` shows this scheduler up."""
        self._heartbeat = threading.Thread(target=self._beat, name="scheduler-heartbeat",
                                           daemon=True)
        self._heartbeat.start()

    def stop(self):
        self._stopping.set()
        if self._heartbeat is not None:
            self._heartbeat.join()

    def _beat(self):
        interval = self.conf.scheduler.service_down_time / 6
        while True:
            try:
                placement.service_heartbeat(self.db, self.conf.host, SCHEDULER_BINARY,
                                            rpc.SCHEDULER_TOPIC)
            except Exception:
                LOG.exception("Scheduler heartbeat failed; trying again")
            if self._stopping.wait(interval):
                return
