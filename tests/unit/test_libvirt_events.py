"""Lifecycle events: only this host's guests, only power changes, listeners isolated."""
import queue

import libvirt
import pytest

from agent.virt import power_state
from agent.virt.driver import LifecycleEvent
from agent.virt.libvirt.events import LifecycleEventDispatcher

OURS = "11111111-1111-4111-8111-111111111111"
THEIRS = "22222222-2222-4222-8222-222222222222"


class Domain:
    """What libvirt hands the callback: only name() and UUIDString() are used there."""

    def __init__(self, uuid):
        self.uuid = uuid

    def name(self):
        return "pocketstack-" + self.uuid

    def UUIDString(self):
        return self.uuid


def test_events_of_own_guests_become_power_states():
    received = queue.Queue()
    dispatcher = LifecycleEventDispatcher(owns=lambda name: name.endswith(OURS))

    def failing_listener(event):
        raise RuntimeError("a listener's failure must not stop the others")

    dispatcher.add_listener(failing_listener)
    dispatcher.add_listener(received.put)
    try:
        for uuid, event in [(THEIRS, libvirt.VIR_DOMAIN_EVENT_STOPPED),
                            (OURS, libvirt.VIR_DOMAIN_EVENT_DEFINED),
                            (OURS, libvirt.VIR_DOMAIN_EVENT_STOPPED),
                            (OURS, libvirt.VIR_DOMAIN_EVENT_STARTED)]:
            dispatcher.on_lifecycle(None, Domain(uuid), event, 0, None)
        assert received.get(timeout=5) == LifecycleEvent(OURS, power_state.SHUTDOWN)
        assert received.get(timeout=5) == LifecycleEvent(OURS, power_state.RUNNING)
    finally:
        dispatcher.stop()
    assert received.empty()


def test_events_of_vanished_domains_are_dropped():
    received = queue.Queue()

    def vanished(name):
        raise libvirt.libvirtError("Domain not found")

    dispatcher = LifecycleEventDispatcher(owns=vanished)
    dispatcher.add_listener(received.put)
    dispatcher.on_lifecycle(None, Domain(OURS), libvirt.VIR_DOMAIN_EVENT_STOPPED, 0, None)
    dispatcher.stop()
    assert received.empty()


class _GoneError(libvirt.libvirtError):
    def __init__(self):
        Exception.__init__(self, "Domain not found: no domain with matching uuid")

    def get_error_code(self):
        return libvirt.VIR_ERR_NO_DOMAIN


class _DeletedMeanwhile:
    """A domain found by UUID, deleted before its metadata or state is read."""

    def __init__(self, fail_on):
        self.fail_on = fail_on

    def name(self):
        return "pocketstack-" + OURS

    def metadata(self, *args):
        if self.fail_on == "metadata":
            raise _GoneError()
        return "<instance xmlns='x'><owner host='h'/></instance>"

    def state(self):
        raise _GoneError()


@pytest.mark.parametrize("fail_on", ["metadata", "state"])
def test_a_guest_deleted_while_its_state_is_read_is_not_on_the_host(monkeypatch, fail_on):
    """The lifecycle listener asks for the power state of a server deleted right after
    it started: that is InstanceNotOnHost (handled quietly), not a libvirtError."""
    from agent.virt import driver as virt_driver
    from agent.virt.libvirt import domain as domain_xml
    from agent.virt.libvirt.driver import LibvirtDriver

    libvirt_driver = LibvirtDriver.__new__(LibvirtDriver)
    libvirt_driver.host = "h"
    dom = _DeletedMeanwhile(fail_on)
    connection = type("Conn", (), {"lookupByUUIDString": lambda self, uuid: dom})()
    monkeypatch.setattr(libvirt_driver, "_connection", lambda: connection, raising=False)
    monkeypatch.setattr(domain_xml, "owner_host", lambda metadata: "h")
    with pytest.raises(virt_driver.InstanceNotOnHost):
        libvirt_driver.get_power_state({"uuid": OURS})
