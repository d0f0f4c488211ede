"""libvirt's event loop in a daemon thread, and lifecycle events delivered to listeners.

libvirt runs callbacks in its loop thread; ours only queue the event. A dispatcher
thread calls the listeners, so a slow listener (an RPC to the conductor) never stalls
libvirt's keepalives or other events.
"""
import logging
import queue
import threading

import libvirt

from agent.virt.driver import LifecycleEvent
from agent.virt.libvirt import power

LOG = logging.getLogger(__name__)

_loop_lock = threading.Lock()
_loop_thread = None


def start_event_loop():
    """Run libvirt's default event loop, once per process. Must happen before the
    connections whose events are wanted are opened."""
    global _loop_thread
    with _loop_lock:
        if _loop_thread is None:
            libvirt.virEventRegisterDefaultImpl()
            _loop_thread = threading.Thread(target=_run_loop, name="libvirt-events",
                                            daemon=True)
            _loop_thread.start()


def _run_loop():
    while True:
        libvirt.virEventRunDefaultImpl()


class LifecycleEventDispatcher:
    """Turns libvirt lifecycle events of this host's guests into ``LifecycleEvent``s.

    ``owns(domain_name)`` tells whether a domain is one of this host's guests (several
    agents may share one libvirtd); it is asked in the dispatcher thread.
    """

    _STOP = object()

    def __init__(self, owns):
        self._owns = owns
        self._listeners = []
        self._queue = queue.Queue()
        self._thread = threading.Thread(target=self._dispatch, name="libvirt-lifecycle",
                                        daemon=True)
        self._thread.start()

    def add_listener(self, callback):
        self._listeners.append(callback)

    def on_lifecycle(self, conn, domain, event, detail, opaque):
        """The callback registered with ``domainEventRegisterAny``."""
        self._queue.put((domain.name(), domain.UUIDString(), event, detail))

    def _dispatch(self):
        while True:
            item = self._queue.get()
            if item is self._STOP:
                return
            name, uuid, event, detail = item
            state = power.from_lifecycle_event(event, detail)
            if state is None or not self._listeners:
                continue
            try:
                if not self._owns(name):
                    continue
            except libvirt.libvirtError:
                continue  # the domain is gone already: nothing left to report
            lifecycle_event = LifecycleEvent(instance_uuid=uuid, power_state=state)
            for listener in list(self._listeners):
                try:
                    listener(lifecycle_event)
                except Exception:
                    LOG.exception("Lifecycle event listener failed on %s", lifecycle_event)

    def stop(self):
        self._queue.put(self._STOP)
        self._thread.join(timeout=5)
