"""Options of every pocketstack process ([DEFAULT]).

``transport_url`` belongs to oslo.messaging, which registers its option again whenever it
makes a transport: those very objects are registered here, defaulting to 'fake://' (every
service in one process, the all-in-one); 'rabbit://user:pass@host:5672/' lets services
and agents run as separate processes and hosts.
"""
import socket

from oslo_config import cfg
from oslo_messaging import transport as messaging_transport

GROUP = "DEFAULT"

default_opts = [
    cfg.StrOpt("host", default=socket.gethostname(), sample_default="<hostname>",
               help="Name of this host as other services see it; an agent's RPC server "
                    "listens on this name and the scheduler places instances on it."),
    cfg.StrOpt("state_path", default="/var/lib/pocketstack",
               help="Directory for the database (SQLite), keys, images and instance files."),
    cfg.BoolOpt("debug", default=False, help="Log at DEBUG level."),
    cfg.StrOpt("log_file", help="Write the log here instead of standard error."),
    cfg.IntOpt("long_rpc_timeout", default=1800, min=1,
               help="Seconds a call known to take long (the conductor asking the "
                    "scheduler for hosts) may wait for its answer, as long as the "
                    "service working on it says every rpc_response_timeout that it "
                    "still is (Nova's option of the same name)."),
]

transport_opts = messaging_transport._transport_opts
cfg.set_defaults(transport_opts, transport_url="fake://")


def register_opts(conf):
    conf.register_opts(default_opts + transport_opts)


def list_opts():
    return [(GROUP, default_opts + transport_opts)]
