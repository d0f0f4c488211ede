"""Options of the console proxy ([console_proxy]): where it listens and which pages
it serves. It checks each console token and relays the WebSocket to the guest's VNC
server or serial port.
"""
from oslo_config import cfg

GROUP = "console_proxy"

console_proxy_opts = [
    cfg.StrOpt("host", default="127.0.0.1",
               help="Address the console proxy listens on (noVNC's pages and the "
                    "WebSockets of VNC and serial consoles)."),
    cfg.PortOpt("port", default=6080, help="Port of the console proxy."),
    cfg.StrOpt("web", default="/usr/local/share/novnc",
               help="Directory of noVNC's pages (tools/install.sh takes them from "
                    "Debian's novnc package; the package itself puts them in "
                    "/usr/share/novnc)."),
    cfg.ListOpt("allowed_origins", default=[],
                help="Origins (host or host:port) besides the proxy's own from which a "
                     "browser page may open a console WebSocket, e.g. the dashboard's."),
]


def register_opts(conf):
    conf.register_opts(console_proxy_opts, group=GROUP)


def list_opts():
    return [(GROUP, console_proxy_opts)]
