"""Options of the console tokens ([consoleauth], Nova's name): one-time, expiring,
bound to one server, kept hashed in the database.
"""
from oslo_config import cfg

GROUP = "consoleauth"

consoleauth_opts = [
    cfg.IntOpt("token_ttl", default=600, min=1,
               help="Seconds a console token stays valid. A token opens one console, "
                    "once."),
]


def register_opts(conf):
    conf.register_opts(consoleauth_opts, group=GROUP)


def list_opts():
    return [(GROUP, consoleauth_opts)]
