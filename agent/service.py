"""The agent process's services: one manager per host it serves (one, or many simulated
ones with the fake driver), their RPC servers, and the periodic heartbeat and capacity
report."""
import importlib
import logging
import threading

import oslo_messaging as messaging

import agent.conf  # noqa: F401  (registers [agent] and [fake_driver])
from agent.manager import AgentManager
from controller import rpc
from controller.conductor.rpcapi import ConductorAPI

LOG = logging.getLogger(__name__)

# [agent] virt_driver → "module:Class"; each class takes the configuration.
DRIVERS = {
    "fake": "agent.virt.fake:FakeDriver",
    "libvirt": "agent.virt.libvirt.driver:LibvirtDriver",
}


def load_driver(conf):
    module, name = DRIVERS[conf.agent.virt_driver].split(":")
    return getattr(importlib.import_module(module), name)(conf)


def host_names(conf):
    """This process's hosts: ``<host>``, or ``<host>-0`` ... with ``[agent] fake_hosts``."""
    if not conf.agent.fake_hosts:
        return [conf.host]
    if conf.agent.virt_driver != "fake":
        raise ValueError("[agent] fake_hosts needs [agent] virt_driver = fake")
    return [f"{conf.host}-{index}" for index in range(conf.agent.fake_hosts)]


class AgentService:
    def __init__(self, conf):
        self.conf = conf
        conductor = ConductorAPI()
        self.managers = [AgentManager(conf, host, load_driver(conf), conductor)
                         for host in host_names(conf)]
        self.rpc_servers = []
        self._stopping = threading.Event()
        self._reporter = None

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
        self._reporter = threading.Thread(target=self._report_periodically,
                                          name="agent-report", daemon=True)
        self._reporter.start()

    def _report_periodically(self):
        while not self._stopping.wait(self.conf.agent.report_interval):
            for manager in self.managers:
                try:
                    manager.report()
                except Exception:
                    LOG.exception("Report of host %s failed", manager.host)

    def stop(self):
        self._stopping.set()
        for server in self.rpc_servers:
            server.stop()
        for server in self.rpc_servers:
            server.wait()
        if self._reporter is not None:
            self._reporter.join(timeout=5)
