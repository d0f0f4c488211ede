"""Remote consoles' pure rules: the guest's console devices (management address only,
a free serial port), where a running guest's console is read back from its live XML,
the one-time expiring tokens, and the proxy's token and Origin checks."""
import contextlib
import datetime
import logging
import socket
import threading
import types
import xml.etree.ElementTree as ET

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from agent.virt.libvirt import consoles
from contract import exception
from controller.compute import console_auth, models
from controller.compute.operations.remote_consoles import console_kind
from controller.consoleproxy.proxy import ConsoleProxyServer, origin_allowed, token_of
from controller.db import migration
from controller.db.base import utcnow
from controller.db.engine import Database
from tests.unit.test_libvirt_domain import build

UUID = "6f1d3c8e-2a47-4b8e-9d1a-0c5b7e9f1a23"


def conf(vnc=True, serial=True, listen="192.0.2.10", port_range="10000:10003"):
    return types.SimpleNamespace(
        vnc=types.SimpleNamespace(enabled=vnc, server_listen=listen,
                                  server_proxyclient_address=listen),
        serial_console=types.SimpleNamespace(enabled=serial, proxyclient_address=listen,
                                             port_range=port_range))


def test_the_guest_listens_on_the_management_address_only():
    devices = consoles.ConsoleDevices(vnc_listen="192.0.2.10", serial_host="192.0.2.10",
                                      serial_port=10001)
    root = build(consoles=devices)
    graphics = root.find("devices/graphics")
    assert (graphics.get("type"), graphics.get("autoport"), graphics.get("listen")) == (
        "vnc", "yes", "192.0.2.10")
    assert graphics.find("listen").attrib == {"type": "address", "address": "192.0.2.10"}
    serial = root.find("devices/serial")
    assert serial.get("type") == "tcp"
    assert serial.find("source").attrib == {"mode": "bind", "host": "192.0.2.10",
                                            "service": "10001"}
    assert serial.find("protocol").get("type") == "raw"
    assert serial.find("log").attrib == {"file": "/inst/console.log", "append": "on"}
    assert root.find("devices/console").get("type") == "tcp"
    # Without consoles: a pty, and no graphics.
    plain = build()
    assert plain.find("devices/serial").get("type") == "pty"
    assert plain.find("devices/graphics") is None


@pytest.mark.parametrize("wildcard", ["0.0.0.0", "::", ""])
def test_a_wildcard_listen_address_is_refused(wildcard):
    with pytest.raises(ValueError, match="every interface"):
        consoles.devices_for(conf(listen=wildcard), [])


def test_serial_ports_skip_those_of_other_domains_and_busy_ones():
    taken = ET.tostring(build(consoles=consoles.ConsoleDevices(
        serial_host="127.0.0.1", serial_port=10000)), encoding="unicode")
    assert consoles.serial_ports_in_use([taken]) == {10000}
    # Guests of other tests may hold any fixed port: use two that are free right now.
    port = free_port_pair()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        assert consoles.pick_serial_port("127.0.0.1", (port, port + 1), set()) == port + 1
        with pytest.raises(exception.ConsoleTypeUnavailable, match="No free serial"):
            consoles.pick_serial_port("127.0.0.1", (port, port), set())
    first = free_port_pair()
    taken = ET.tostring(build(consoles=consoles.ConsoleDevices(
        serial_host="127.0.0.1", serial_port=first)), encoding="unicode")
    devices = consoles.devices_for(
        conf(listen="127.0.0.1", vnc=False, port_range=f"{first}:{first + 1}"), [taken])
    assert (devices.vnc_listen, devices.serial_port) == (None, first + 1)


def free_port_pair():
    """A port that is free on 127.0.0.1, and so is the next one."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue


def test_a_domains_console_devices_carry_over_to_another():
    """A rescue domain takes the console ports of the domain it stands in for."""
    devices = consoles.ConsoleDevices(vnc_listen="127.0.0.1", serial_host="127.0.0.1",
                                      serial_port=10007)
    xml = ET.tostring(build(consoles=devices), encoding="unicode")
    assert consoles.devices_of(xml) == devices
    bare = ET.tostring(build(), encoding="unicode")
    assert consoles.devices_of(bare) == consoles.ConsoleDevices()


def test_connect_info_from_the_live_xml():
    live = build(consoles=consoles.ConsoleDevices("192.0.2.10", "192.0.2.10", 10002))
    live.find("devices/graphics").set("port", "5901")
    xml = ET.tostring(live, encoding="unicode")
    assert consoles.connect_info(conf(), xml, "vnc") == {
        "host": "192.0.2.10", "port": 5901, "internal_access_path": None}
    assert consoles.connect_info(conf(), xml, "serial")["port"] == 10002
    with pytest.raises(exception.ConsoleTypeUnavailable):
        consoles.connect_info(conf(serial=False), xml, "serial")
    old_guest = ET.tostring(build(), encoding="unicode")
    with pytest.raises(exception.ConsoleTypeUnavailable, match="rebuild"):
        consoles.connect_info(conf(), old_guest, "vnc")


def test_which_consoles_are_offered():
    assert console_kind(conf(), "vnc", "novnc") == "vnc"
    assert console_kind(conf(), "serial", "serial") == "serial"
    for protocol, console_type, message in [
            ("spice", "spice-html5", "Unavailable console type spice."),
            ("vnc", "xvpvnc", "Invalid console type xvpvnc"),
            ("serial", "novnc", "Invalid console type novnc")]:
        with pytest.raises(exception.ConsoleTypeUnavailable, match=message):
            console_kind(conf(), protocol, console_type)
    with pytest.raises(exception.ConsoleTypeUnavailable):
        console_kind(conf(vnc=False), "vnc", "novnc")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('consoles')}/db.sqlite"
    migration.upgrade(url)
    database = Database(url)
    with database.session() as session:
        for uuid in (UUID, "11111111-2222-3333-4444-555555555555"):
            session.add(models.Instance(
                uuid=uuid, name="vm", hostname="vm", project_id="p", user_id="u",
                flavor_id="1", flavor={}, vcpus=1, memory_mb=64, root_gb=1,
                vm_state="active", host="h", reservation_id="r-1"))
    yield database
    database.dispose()


INFO = {"host": "192.0.2.10", "port": 10000, "internal_access_path": None}


def test_a_token_opens_its_console_once_and_is_stored_hashed(db):
    with db.session() as session:
        token = console_auth.issue(session, UUID, "serial", INFO, ttl=60)
    with db.session() as session:
        stored = session.query(models.ConsoleAuthToken).filter_by(instance_uuid=UUID).one()
        assert stored.token_hash == console_auth.token_hash(token) != token
    with db.session() as session:
        connection = console_auth.consume(session, token)
    assert connection == console_auth.Connection(UUID, "serial", "192.0.2.10", 10000)
    with db.session() as session:
        assert console_auth.consume(session, token) is None
        assert console_auth.consume(session, "") is None
        assert console_auth.consume(session, "guess") is None


def test_an_expired_token_or_one_of_a_deleted_server_opens_nothing(db):
    with db.session() as session:
        expired = console_auth.issue(session, UUID, "novnc", INFO, ttl=60)
        session.flush()
        row = session.query(models.ConsoleAuthToken).filter_by(
            token_hash=console_auth.token_hash(expired)).one()
        row.expires = utcnow() - datetime.timedelta(seconds=1)
    with db.session() as session:
        assert console_auth.consume(session, expired) is None
    other = "11111111-2222-3333-4444-555555555555"
    with db.session() as session:
        token = console_auth.issue(session, other, "novnc", INFO, ttl=60)
        session.get(models.Instance, other).deleted_at = utcnow()
    with db.session() as session:
        assert console_auth.consume(session, token) is None


def test_console_urls_carry_the_token_as_nova_puts_it():
    assert console_auth.access_url("novnc", "http://h:6080/vnc_lite.html", "a-b_c") == (
        "http://h:6080/vnc_lite.html?path=%3Ftoken%3Da-b_c")
    assert console_auth.access_url("serial", "ws://h:6080/", "t") == "ws://h:6080/?token=t"


def test_the_proxy_reads_the_token_and_checks_the_origin():
    assert token_of("/?token=abc", None) == "abc"
    assert token_of("/websockify", "token=xyz; other=1") == "xyz"
    assert token_of("/", "bad cookie;;=") is None
    assert origin_allowed(None, "10.1.1.1:6080", [])
    assert origin_allowed("http://10.1.1.1:5000", "10.1.1.1:6080", [])
    assert origin_allowed("https://dash.example", "10.1.1.1:6080", ["dash.example"])
    assert not origin_allowed("http://evil.example", "10.1.1.1:6080", [])
    assert not origin_allowed("file://", "10.1.1.1:6080", [])


class BusyDatabase:
    """A database whose writer never comes free, as SQLite under a long transaction."""

    @contextlib.contextmanager
    def session(self):
        raise TimeoutError("database is locked: no turn to write in 30 s")
        yield


def test_a_busy_database_is_a_clear_503_that_keeps_the_token(db, caplog):
    proxy = ConsoleProxyServer(("127.0.0.1", 0), BusyDatabase(), "/nonexistent", [])
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        with db.session() as session:
            token = console_auth.issue(session, UUID, "serial", INFO, ttl=60)
        url = f"ws://127.0.0.1:{proxy.server_address[1]}/?token={token}"
        with caplog.at_level(logging.ERROR, logger="controller.consoleproxy.proxy"):
            with pytest.raises(InvalidStatus) as refused:
                connect(url, subprotocols=["binary"], open_timeout=10)
        assert refused.value.response.status_code == 503
        assert b"try again" in refused.value.response.body
        assert "database is locked" in caplog.text
        with db.session() as session:                  # not used up by the failed check
            assert console_auth.consume(session, token) is not None
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_serial_port_search_wraps_around_the_range_from_its_random_start():
    port = free_port_pair()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port + 1))
        busy.listen()
        picks = {consoles.pick_serial_port("127.0.0.1", (port, port + 1), set())
                 for _ in range(20)}
    assert picks == {port}
    assert consoles.pick_serial_port("127.0.0.1", (port, port + 1), {port + 1}) == port


def test_serial_ports_of_concurrent_pickers_are_spread_over_the_range():
    """Agents of two clouds on one libvirtd pick under locks of their own: starting
    at the first free port of the range, both would get the same one."""
    first = free_port_pair()
    last = min(first + 999, 65535)
    picks = {consoles.pick_serial_port("127.0.0.1", (first, last), set())
             for _ in range(20)}
    assert len(picks) > 1
