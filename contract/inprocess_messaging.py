"""Prompt in-process messaging for ``fake://`` (the all-in-one).

oslo.messaging's fake driver hands messages between the threads of one process, but its
listeners look for new messages only every 50 ms. A server build crosses the bus about a
dozen times (API → conductor → scheduler → agent, then each step the agent reports), so
that polling alone cost ~300 ms per server. This driver is the fake driver in every other
respect; its listeners wake the moment a message is delivered.
"""
import threading
import time

import oslo_messaging as messaging
from oslo_messaging import transport as messaging_transport
from oslo_messaging._drivers import base, impl_fake

# How long an idle listener sleeps before it looks again whether it was stopped.
_IDLE_WAKEUP_SECONDS = 1.0


class _Exchange(impl_fake.FakeExchange):
    def __init__(self, name):
        super().__init__(name)
        self.delivered = threading.Condition(self._queues_lock)

    def deliver_message(self, *args, **kwargs):
        with self.delivered:
            super().deliver_message(*args, **kwargs)
            self.delivered.notify_all()


class _ExchangeManager(impl_fake.FakeExchangeManager):
    _exchanges_lock = threading.Lock()
    _exchanges = {}

    def get_exchange(self, name):
        with self._exchanges_lock:
            name = name or self._default_exchange
            return self._exchanges.setdefault(name, _Exchange(name))


class _Listener(impl_fake.FakeListener):
    @base.batch_poll_helper
    def poll(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        exchange = self._exchange_manager.get_exchange(self._targets[0].exchange)
        with exchange.delivered:
            while not self._stopped.is_set():
                for target in self._targets:
                    ctxt, message, reply_q, requeue = exchange.poll(target, self._pool)
                    if message is not None:
                        return impl_fake.FakeIncomingMessage(ctxt, message, reply_q,
                                                             requeue)
                wait = _IDLE_WAKEUP_SECONDS
                if deadline is not None:
                    wait = min(wait, deadline - time.monotonic())
                    if wait <= 0:
                        return None
                exchange.delivered.wait(wait)
        return None


class InProcessDriver(impl_fake.FakeDriver):
    def __init__(self, conf, url, default_exchange=None, allowed_remote_exmods=None):
        super().__init__(conf, url, default_exchange, allowed_remote_exmods)
        self._exchange_manager = _ExchangeManager(default_exchange)

    def listen(self, target, batch_size, batch_timeout):
        exchange = target.exchange or self._default_exchange
        listener = _Listener(self._exchange_manager, [
            messaging.Target(topic=target.topic, server=target.server, exchange=exchange),
            messaging.Target(topic=target.topic, exchange=exchange)])
        return base.PollStyleListenerAdapter(listener, batch_size, batch_timeout)


def get_rpc_transport(conf, url, allowed_remote_exmods):
    """An RPC transport like ``oslo_messaging.get_rpc_transport(conf, "fake://")``."""
    driver = InProcessDriver(conf, messaging.TransportURL.parse(conf, url),
                             default_exchange=conf.control_exchange,
                             allowed_remote_exmods=allowed_remote_exmods)
    return messaging_transport.RPCTransport(driver)
