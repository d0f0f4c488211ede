"""Runs the controller's services in this process: the HTTP APIs, the conductor, the
scheduler and the console proxy, each optional, so one host can run all of them or each can run alone."""
import importlib
import logging
import os
import threading

from sqlalchemy.orm import configure_mappers

from contract import rpc
from controller.api import app as api_app
from controller.api.server import HttpServer
from controller.db import migration
from controller.db.engine import Database, default_url

LOG = logging.getLogger(__name__)

ROLES = ("api", "conductor", "scheduler", "console_proxy")

# role → (topic, "module:ManagerClass"); a manager takes the Runtime and may define
# start() and stop() for periodic work.
RPC_ROLES = {
    "conductor": (rpc.CONDUCTOR_TOPIC, "controller.conductor.manager:ConductorManager"),
    "scheduler": (rpc.SCHEDULER_TOPIC, "controller.scheduler.manager:SchedulerManager"),
}


def _load(path):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


class ControllerService:
    def __init__(self, conf, roles=ROLES):
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown controller roles: {', '.join(sorted(unknown))}")
        self.conf = conf
        self.roles = tuple(roles)
        os.makedirs(conf.state_path, exist_ok=True)
        self.db = Database(conf.database.connection or default_url(conf))
        self.runtime = api_app.Runtime(conf=conf, db=self.db)
        self.http = None
        self.console_proxy = None
        self.managers = []
        self.rpc_servers = []
        self.stopped = threading.Event()

    def start(self):
        if "api" in self.roles:
            # The API host owns the schema, as nova-manage db sync would.
            migration.upgrade(self.db.url)
        from controller.identity.validation import make_validator
        self.runtime.validator = make_validator(self.runtime, local="api" in self.roles)
        # Every module (and so every model) is imported before any thread starts: the
        # first query configures all the mappers of the registry, and a model module
        # still being imported by this thread would fail that for the whole process.
        wsgi_app = api_app.create_wsgi_app(self.runtime) if "api" in self.roles else None
        if "console_proxy" in self.roles:
            from controller.consoleproxy.proxy import ConsoleProxy
        managers = {role: _load(RPC_ROLES[role][1]) for role in self.roles if role in RPC_ROLES}
        configure_mappers()
        for role, manager_class in managers.items():
            topic = RPC_ROLES[role][0]
            manager = manager_class(self.runtime)
            server = rpc.get_server(topic, self.conf.host, [manager])
            server.start()
            if hasattr(manager, "start"):
                manager.start()
            self.managers.append(manager)
            self.rpc_servers.append(server)
            LOG.info("%s listening on topic %r", role, topic)
        if "api" in self.roles:
            self.http = HttpServer(wsgi_app, self.conf.api.bind_host,
                                   self.conf.api.bind_port, self.conf.api.threads)
            self.http.start()
        if "console_proxy" in self.roles:
            self.console_proxy = ConsoleProxy(self.conf, self.db)
            self.console_proxy.start()

    def stop(self):
        if self.http is not None:
            self.http.stop()
        if self.console_proxy is not None:
            self.console_proxy.stop()
        for manager in self.managers:
            if hasattr(manager, "stop"):
                manager.stop()
        for server in self.rpc_servers:
            server.stop()
            server.wait()
        self.db.dispose()
        self.stopped.set()
