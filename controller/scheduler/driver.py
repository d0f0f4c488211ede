"""The flow every scheduler driver shares: rank the hosts, claim the best one that still
fits, return it with unclaimed alternates, and say why when none is left.

A driver only decides the order of hosts (``rank``) and explains an empty one
(``why_none``). Decisions run one at a time per process, so host states consumed by one
server are seen by the next, including the next server of the same request.
"""
import logging
import threading

from controller.scheduler import InvalidRequestSpec, NoValidHost, placement
from controller.scheduler.request_spec import RequestSpec

LOG = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, conf, db, host_manager):
        self.conf = conf
        self.db = db
        self.host_manager = host_manager
        self.max_alternates = conf.scheduler.max_attempts - 1
        self._lock = threading.Lock()

    def rank(self, hosts, spec, report=None):
        """Rows of the HostTable ``hosts`` that may take ``spec``, preferred first. With a
        ``report`` dict, also says how many hosts each filter left (and, for weighing
        drivers, the best weights), which the build's trace shows."""
        raise NotImplementedError

    def why_none(self, hosts, spec):
        """The reason no row of ``hosts`` may take ``spec``, for NoValidHost."""
        raise NotImplementedError

    def candidates(self, spec):
        """The destinations a decision would pick now, best first, without claiming."""
        with self._lock:
            hosts, _ = self.host_manager.get()
            order = self.rank(hosts, spec)[:1 + self.max_alternates]
            return [hosts.destination(row, spec.resources) for row in order]

    def select_destinations(self, request_spec, instance_uuids, return_alternates=True):
        """For each instance, a claimed host followed by up to ``max_attempts - 1``
        unclaimed alternates. All or nothing: if one instance finds no host, the claims
        made for the others are released and NoValidHost is raised."""
        spec = RequestSpec.from_dict(request_spec)
        if not instance_uuids:
            raise InvalidRequestSpec("select_destinations needs at least one instance uuid")
        alternates = self.max_alternates if return_alternates else 0
        chosen = []
        with self._lock:
            try:
                for instance_uuid in instance_uuids:
                    destinations = self._place(spec, instance_uuid, alternates)
                    chosen.append(destinations)
                    spec = spec.with_group_member_on(destinations[0]["host"])
            except Exception:
                for instance_uuid in instance_uuids[:len(chosen)]:
                    placement.release(self.db, instance_uuid)
                self.host_manager.invalidate()
                raise
        LOG.debug("Placed %s on %s", instance_uuids, [d[0]["host"] for d in chosen])
        return chosen

    def _place(self, spec, instance_uuid, alternates):
        hosts, fresh = self.host_manager.get()
        while True:
            report = {"hosts": len(hosts)}
            order = self.rank(hosts, spec, report)
            if not len(order) and fresh:
                raise NoValidHost(self.why_none(hosts, spec))
            for position, row in enumerate(order):
                if placement.claim(self.db, str(hosts.host[row]), instance_uuid,
                                   spec.resources):
                    hosts.consume(row, spec.resources)
                    picked = [row, *order[position + 1:position + 1 + alternates]]
                    destinations = [hosts.destination(r, spec.resources) for r in picked]
                    destinations[0]["report"] = dict(report, claim_attempts=position + 1)
                    return destinations
                if not fresh:
                    break
            else:
                if fresh:
                    raise NoValidHost(
                        f"There are not enough hosts available. Claims failed on all "
                        f"{len(order)} hosts that passed the filters: concurrent "
                        "requests took their room.")
            # Cached host states were wrong (a host is gone, full or new): decide again
            # on what the database says now.
            hosts, fresh = self.host_manager.reload(), True
