"""The agent process's services: one manager per host it serves (one, or many simulated
ones with the fake driver), their RPC servers, the agent's service user, and the
periodic tasks (heartbeat and capacity, power states, tunnel peers, image cache)."""
import functools
import importlib
import logging
import threading

import futurist
import oslo_messaging as messaging
from futurist import periodics

from agent.l3.agent import L3Agent
from agent.manager import AgentManager
from contract import rpc
from contract.clients.network import NetworkClient, network_endpoint
from contract.clients.service_user import ServiceCredentials
from controller.conductor.rpcapi import ConductorAPI

LOG = logging.getLogger(__name__)

# [agent] virt_driver → the "module:Class" of the driver and of the host network it is
# composed with; each class takes the configuration.
DRIVERS = {
    "fake": ("agent.virt.fake:FakeDriver", "agent.network.fake:FakeHostNetwork"),
    "libvirt": ("agent.virt.libvirt.driver:LibvirtDriver",
                "agent.network.linuxbridge:LinuxBridgeNetwork"),
}


def _load(path, conf):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)(conf)


def load_driver(conf):
    """(virt driver, host network) of ``[agent] virt_driver``."""
    driver, host_network = DRIVERS[conf.agent.virt_driver]
    return _load(driver, conf), _load(host_network, conf)


def host_names(conf):
    """This process's hosts: ``<host>``, or ``<host>-0`` ... with ``[agent] fake_hosts``."""
    if not conf.agent.fake_hosts:
        return [conf.host]
    if conf.agent.virt_driver != "fake":
        raise ValueError("[agent] fake_hosts needs [agent] virt_driver = fake")
    return [f"{conf.host}-{index}" for index in range(conf.agent.fake_hosts)]


class L3Sync:
    """The periodic sync of this host's routers, with the agent's service user."""

    def __init__(self, conf, network_client, credentials):
        self.agent = L3Agent(conf)
        self.network_client = network_client
        self.credentials = credentials

    def run(self):
        token = self.credentials.token() if self.credentials else None
        if token is None:
            LOG.warning("[l3] enabled needs [service_credentials]: routers not synced")
            return
        try:
            self.agent.sync(self.network_client(token))
        except Exception:
            LOG.exception("syncing routers failed; retrying at the next interval")


class AgentService:
    def __init__(self, conf):
        self.conf = conf
        conductor = ConductorAPI()
        network_client = functools.partial(NetworkClient, network_endpoint(conf),
                                           timeout=conf.compute.service_timeout)
        credentials = ServiceCredentials.from_conf(conf)
        self.l3 = L3Sync(conf, network_client, credentials) if conf.l3.enabled else None
        self.managers = [AgentManager(conf, host, *load_driver(conf), conductor,
                                      network_client, credentials)
                         for host in host_names(conf)]
        self.rpc_servers = []
        self._stopping = threading.Event()
        self._periodic = None
        self._periodic_thread = None

    def start(self):
        """Register every host (waiting for the conductor if it is not up yet), then
        serve requests and report periodically."""
        for manager in self.managers:
            while not self._stopping.is_set():
                try:
                    manager.init_host()
                    break
                except messaging.MessagingTimeout:
                    LOG.warning("Conductor not answering; retrying registration of %s",
                                manager.host)
            server = rpc.get_server(rpc.AGENT_TOPIC, manager.host, [manager])
            server.start()
            self.rpc_servers.append(server)
        LOG.info("Agent serving %d host(s): %s", len(self.managers),
                 ", ".join(m.host for m in self.managers[:5])
                 + (" ..." if len(self.managers) > 5 else ""))
        self._periodic = periodics.PeriodicWorker(
            self._periodic_tasks(),
            executor_factory=lambda: futurist.ThreadPoolExecutor(max_workers=4))
        self._periodic_thread = threading.Thread(target=self._periodic.start,
                                                 name="agent-periodic", daemon=True)
        self._periodic_thread.start()

    def _periodic_tasks(self):
        """(task, None, None) for futurist: each task runs every manager's method at its
        interval; one host's failure is logged and does not stop the others."""
        agent_conf = self.conf.agent
        intervals = {"report": agent_conf.report_interval,
                     "sync_power_states": agent_conf.sync_power_state_interval,
                     "refresh_networks": agent_conf.network_refresh_interval,
                     "refresh_security_groups":
                         agent_conf.security_group_refresh_interval,
                     "manage_image_cache": agent_conf.image_cache_manager_interval,
                     "clean_evacuated": agent_conf.report_interval}
        tasks = [(periodics.periodic(seconds)(functools.partial(self._on_every_host, name)),
                  None, None) for name, seconds in intervals.items()]
        if self.l3 is not None:
            sync = periodics.periodic(self.conf.l3.sync_interval)(
                functools.partial(self.l3.run))
            tasks.append((sync, None, None))
        return tasks

    def _on_every_host(self, method):
        for manager in self.managers:
            if self._stopping.is_set():
                return
            try:
                getattr(manager, method)()
            except Exception:
                LOG.exception("%s of host %s failed", method, manager.host)

    def stop(self):
        self._stopping.set()
        if self._periodic is not None:
            self._periodic.stop()
            self._periodic.wait()
            self._periodic_thread.join(timeout=5)
        for server in self.rpc_servers:
            server.stop()
        for server in self.rpc_servers:
            server.wait()
