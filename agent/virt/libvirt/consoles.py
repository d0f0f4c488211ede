"""The guests' remote consoles under libvirt: VNC graphics and a serial port over raw
TCP, both listening on the host's management address only, never on every interface
(the console proxy, with a one-time token, is the way in).

A serial port needs a port of its own, picked from ``[serial_console] port_range``
among those no domain on this libvirtd uses and that are free on the address (Nova's
``acquire_port``); ``PORT_LOCK`` is held from the pick until the domain is defined.
VNC ports are libvirt's (``autoport``) and known only while the guest runs.
"""
import dataclasses
import errno
import itertools
import random
import socket
import threading
import xml.etree.ElementTree as ET

from conf import serial_console as serial_conf
from conf import vnc as vnc_conf
from contract import exception

PORT_LOCK = threading.Lock()


@dataclasses.dataclass(frozen=True)
class ConsoleDevices:
    """What ``domain.build_domain_xml`` adds: VNC graphics listening on ``vnc_listen``,
    the serial port on ``serial_host``:``serial_port`` (None: not wanted)."""

    vnc_listen: str | None = None
    serial_host: str | None = None
    serial_port: int | None = None


def management_address(address, option):
    """``address`` unless it is a wildcard: a console must not listen on every
    interface."""
    if address in vnc_conf.WILDCARDS:
        raise ValueError(f"{option} = {address!r} would open guests' consoles on every "
                         f"interface; set it to this host's management address.")
    return address


def serial_ports_in_use(domain_xmls):
    """The TCP ports of the serial consoles of the given domain XMLs."""
    ports = set()
    for xml in domain_xmls:
        for source in ET.fromstring(xml).findall("devices/serial[@type='tcp']/source"):
            if source.get("service", "").isdigit():
                ports.add(int(source.get("service")))
    return ports


def _bindable(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def pick_serial_port(host, port_range, in_use):
    """A port of ``port_range`` (first, last) not ``in_use`` and free on ``host``;
    ConsoleTypeUnavailable when all are taken. The search starts at a random port of
    the range: agents of other clouds on the same libvirtd (a lab, parallel tests) pick
    under locks of their own, and two that started at the first free port would both
    get it, the second guest failing to start."""
    first, last = port_range
    start = random.randint(first, last)
    for port in itertools.chain(range(start, last + 1), range(first, start)):
        if port not in in_use and _bindable(host, port):
            return port
    raise exception.ConsoleTypeUnavailable(
        f"No free serial console port in {first}:{last} on {host}.")


def devices_for(conf, domain_xmls):
    """The console devices of a new guest, as ``[vnc]`` and ``[serial_console]`` ask;
    ``domain_xmls``: the XML of every domain already defined (their ports are taken).
    Call under ``PORT_LOCK`` until the domain is defined."""
    vnc_listen = serial_host = serial_port = None
    if conf.vnc.enabled:
        vnc_listen = management_address(conf.vnc.server_listen, "[vnc] server_listen")
    if conf.serial_console.enabled:
        serial_host = management_address(conf.serial_console.proxyclient_address,
                                         "[serial_console] proxyclient_address")
        serial_port = pick_serial_port(serial_host, serial_conf.port_range(conf),
                                       serial_ports_in_use(domain_xmls))
    return ConsoleDevices(vnc_listen, serial_host, serial_port)


def devices_of(domain_xml):
    """The console devices a defined domain has (``ConsoleDevices``), so that a domain
    that replaces it for a while (a rescue) keeps its ports."""
    devices = ET.fromstring(domain_xml).find("devices")
    graphics = devices.find("graphics[@type='vnc']")
    source = devices.find("serial[@type='tcp']/source")
    port = source.get("service", "") if source is not None else ""
    return ConsoleDevices(
        vnc_listen=graphics.get("listen") if graphics is not None else None,
        serial_host=source.get("host") if port.isdigit() else None,
        serial_port=int(port) if port.isdigit() else None)


def connect_info(conf, live_xml, console_kind):
    """Where a running guest's ``console_kind`` ("vnc" or "serial") console listens,
    read from its live domain XML: ``{"host", "port", "internal_access_path"}``."""
    devices = ET.fromstring(live_xml).find("devices")
    if console_kind == "vnc" and conf.vnc.enabled:
        graphics = devices.find("graphics[@type='vnc']")
        port = graphics.get("port") if graphics is not None else None
        host = conf.vnc.server_proxyclient_address
    elif console_kind == "serial" and conf.serial_console.enabled:
        source = devices.find("serial[@type='tcp']/source")
        port = source.get("service") if source is not None else None
        host = conf.serial_console.proxyclient_address
    else:
        raise exception.ConsoleTypeUnavailable(f"Unavailable console type {console_kind}.")
    if port is None or not port.isdigit():
        raise exception.ConsoleTypeUnavailable(
            f"The guest has no {console_kind} console (it was made before consoles were "
            f"enabled: rebuild it).")
    return {"host": host, "port": int(port), "internal_access_path": None}
