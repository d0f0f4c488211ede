"""Options of the guests' VNC graphics ([vnc], Nova's names and defaults).

A guest's VNC server listens on the compute host's management address only, never on
every interface: the console proxy is the one way in, and only with a token.
"""
from oslo_config import cfg

GROUP = "vnc"

WILDCARDS = ("0.0.0.0", "::", "")

vnc_opts = [
    cfg.BoolOpt("enabled", default=True,
                help="Give guests VNC graphics, reachable through the console proxy."),
    cfg.StrOpt("server_listen", default="127.0.0.1",
               help="Address of this compute host (its management network) the guests' "
                    "VNC servers listen on. Never a wildcard: the agent refuses 0.0.0.0."),
    cfg.StrOpt("server_proxyclient_address", default="127.0.0.1",
               help="Address the console proxy connects to for this host's VNC servers."),
    cfg.URIOpt("novncproxy_base_url", default="http://127.0.0.1:6080/vnc_lite.html",
               help="Page of the console proxy that noVNC URLs start with; the token "
                    "follows as ?path=%3Ftoken%3D<token>, as in Nova."),
]


def register_opts(conf):
    conf.register_opts(vnc_opts, group=GROUP)


def list_opts():
    return [(GROUP, vnc_opts)]
