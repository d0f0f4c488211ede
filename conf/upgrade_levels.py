"""The RPC version each service's clients send at most ([upgrade_levels]).

While some servers of a service still run an older release (a rolling upgrade), its
clients are capped at that release's version, as Nova's [upgrade_levels]; empty: the
newest.
"""
from oslo_config import cfg

GROUP = "upgrade_levels"

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


def register_opts(conf):
    conf.register_opts(upgrade_levels_opts, group=GROUP)


def list_opts():
    return [(GROUP, upgrade_levels_opts)]
