"""How the conductor asks the scheduler for hosts — the only way it does.

    SchedulerAPI(timeout=None).select_destinations(ctxt, request_spec, instance_uuids,
                                                   return_alternates=True, timeout=None)
        -> [[{"host", "nodename", "resources": {"vcpus", "memory_mb", "disk_gb"}}, ...]]

One list per instance uuid, in order: first the host whose resources are already claimed
for that instance (``placement.claim``), then up to ``[scheduler] max_attempts - 1``
alternates that are NOT claimed — to retry on one, ``placement.claim`` it first (an
instance holds one claim: claiming another host moves it off the failed one).
request_spec is the dict described in ``controller.scheduler.request_spec.SCHEMA``;
``ignore_hosts`` keeps a reschedule off the hosts already tried.

Raises ``controller.scheduler.NoValidHost`` — ``args[0]`` is the one-line "No valid host
was found. ..." meant as the instance fault (``str()`` of an exception re-raised over RPC
has the remote traceback appended); no claims are left behind — or
``controller.scheduler.InvalidRequestSpec``.

Instance claims outside scheduling (release on delete or failed build, claiming an
alternate, heartbeats and inventory from agents) go straight to
``controller.scheduler.placement``; see its docstring.

Versions (``[upgrade_levels] scheduler`` caps what is sent):

- 1.0: select_destinations
"""
from conf import CONF
from contract import rpc

BASE_VERSION = "1.0"
LATEST_VERSION = "1.0"


class SchedulerAPI:
    def __init__(self, timeout=None, version_cap=None):
        self.timeout = timeout
        self.client = rpc.get_client(
            rpc.SCHEDULER_TOPIC, BASE_VERSION, timeout=timeout,
            version_cap=version_cap or CONF.upgrade_levels.scheduler or LATEST_VERSION)

    def select_destinations(self, ctxt, request_spec, instance_uuids,
                            return_alternates=True, timeout=None):
        """``timeout``: seconds to wait for this answer (else the client's). Without
        either, as in Nova, up to ``[DEFAULT] long_rpc_timeout`` while the scheduler
        says every ``rpc_response_timeout`` that it is working on it: it decides one
        instance at a time, so a burst of builds waits there longer than one call's
        timeout, yet a dead scheduler is noticed as soon as before."""
        timeout = self.timeout if timeout is None else timeout
        if timeout is None:
            client = self.client.prepare(timeout=CONF.long_rpc_timeout,
                                         call_monitor_timeout=CONF.rpc_response_timeout)
        else:
            client = self.client.prepare(timeout=timeout)
        return client.call(
            ctxt, "select_destinations", request_spec=request_spec,
            instance_uuids=list(instance_uuids), return_alternates=return_alternates)
