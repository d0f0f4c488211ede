"""Configuration shared by every pocketstack process (oslo.config).

Each service keeps its own options in its ``conf`` module; ``list_opts`` gathers them all
so that ``pocketstack config-sample`` can write one documented INI file.
"""
import importlib
import socket

from oslo_config import cfg
from oslo_messaging import transport as messaging_transport

CONF = cfg.CONF

default_opts = [
    cfg.StrOpt("host", default=socket.gethostname(), sample_default="<hostname>",
               help="Name of this host as other services see it; an agent's RPC server "
                    "listens on this name and the scheduler places instances on it."),
    cfg.StrOpt("state_path", default="/var/lib/pocketstack",
               help="Directory for the database (SQLite), keys, images and instance files."),
    cfg.BoolOpt("debug", default=False, help="Log at DEBUG level."),
    cfg.StrOpt("log_file", help="Write the log here instead of standard error."),
]

database_opts = [
    cfg.StrOpt("connection", secret=True,
               help="SQLAlchemy URL of the controller's database, e.g. "
                    "postgresql://user:pass@db/pocketstack. Default: a SQLite file "
                    "(WAL mode) in state_path."),
]

api_opts = [
    cfg.StrOpt("bind_host", default="0.0.0.0",
               help="Address the HTTP APIs listen on."),
    cfg.PortOpt("bind_port", default=5000,
                help="Port of the HTTP APIs. Every API is served on it under a path "
                     "prefix: /identity, /compute, /image, /networking, /volume."),
    cfg.StrOpt("public_url",
               help="Base URL that clients use to reach the APIs, written into the "
                    "service catalog. Default: http://<host>:<bind_port>."),
    cfg.IntOpt("threads", default=16, min=2,
               help="Worker threads of the HTTP server."),
    cfg.IntOpt("token_cache_seconds", default=5, min=0, max=300,
               help="How long an API may reuse a token validation before asking "
                    "identity again. A revocation seen by this process ends it at once."),
]

CONF.register_opts(default_opts)
# [DEFAULT] transport_url belongs to oslo.messaging, which registers its option again
# whenever it makes a transport: register those very objects, defaulting to 'fake://'
# (every service in one process, the all-in-one); 'rabbit://user:pass@host:5672/' lets
# services and agents run as separate processes and hosts.
cfg.set_defaults(messaging_transport._transport_opts, transport_url="fake://")
CONF.register_opts(messaging_transport._transport_opts)
CONF.register_opts(database_opts, group="database")
CONF.register_opts(api_opts, group="api")

# The RPC version each service's clients send at most, while some of its servers run an
# older release (a rolling upgrade), as Nova's [upgrade_levels]; empty: the newest.
upgrade_levels_opts = [
    cfg.StrOpt("agent", default="",
               help="Highest RPC version sent to agents (see agent.rpcapi)."),
    cfg.StrOpt("conductor", default="",
               help="Highest RPC version sent to the conductor (see "
                    "controller.conductor.rpcapi)."),
    cfg.StrOpt("scheduler", default="",
               help="Highest RPC version sent to the scheduler (see "
                    "controller.scheduler.rpcapi)."),
]
CONF.register_opts(upgrade_levels_opts, group="upgrade_levels")

# Modules that register options of their own, gathered for the sample config.
_OPTION_MODULES = (
    "controller.identity.conf",
    "controller.image.conf",
    "controller.compute.conf",
    "controller.scheduler.conf",
    "controller.network.conf",
    "controller.volume.conf",
    "agent.conf",
    "agent.virt.libvirt.conf",
)


def list_opts():
    """Every option of every service, for oslo-config-generator."""
    groups = [("DEFAULT", default_opts + messaging_transport._transport_opts),
              ("database", database_opts), ("api", api_opts),
              ("upgrade_levels", upgrade_levels_opts)]
    for name in _OPTION_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        groups.extend(module.list_opts())
    return groups


def public_url(conf=CONF):
    """Base URL of the APIs as written into the catalog."""
    if conf.api.public_url:
        return conf.api.public_url.rstrip("/")
    host = conf.api.bind_host
    if host in ("0.0.0.0", "::"):
        host = conf.host
    return f"http://{host}:{conf.api.bind_port}"
