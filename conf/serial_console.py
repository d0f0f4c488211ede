"""Options of the guests' serial consoles over TCP ([serial_console], Nova's names).

Like VNC, a serial console listens on the management address only; the console proxy
is the one way in.
"""
from oslo_config import cfg

GROUP = "serial_console"

WILDCARDS = ("0.0.0.0", "::", "")

serial_console_opts = [
    cfg.BoolOpt("enabled", default=True,
                help="Give guests a serial console over TCP, reachable through the "
                     "console proxy (its output is logged for `console log` too)."),
    cfg.StrOpt("port_range", default="10000:20000", regex=r"^\d+:\d+$",
               help="Ports (min:max) the guests' serial consoles listen on."),
    cfg.StrOpt("proxyclient_address", default="127.0.0.1",
               help="Address of this compute host the serial consoles listen on and the "
                    "proxy connects to. Never a wildcard."),
    cfg.URIOpt("base_url", default="ws://127.0.0.1:6080/",
               help="WebSocket URL of the console proxy that serial console URLs start "
                    "with; the token follows as ?token=<token>."),
]


def register_opts(conf):
    conf.register_opts(serial_console_opts, group=GROUP)


def list_opts():
    return [(GROUP, serial_console_opts)]


def port_range(conf):
    """(first, last) port of the serial consoles."""
    first, last = (int(part) for part in conf.serial_console.port_range.split(":"))
    if not 0 < first <= last < 65536:
        raise ValueError(f"[serial_console] port_range {first}:{last} is not a range of "
                         f"ports")
    return first, last
