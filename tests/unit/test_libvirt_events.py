"""Lifecycle events: only this host's guests, only power changes, listeners isolated."""
import queue

import libvirt

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
