"""The message bus: transports, topic names and the request context that crosses it.

Every RPC topic is named here and nowhere else. Each service's ``rpcapi`` module is the
only code that sends to that topic; its ``manager`` is the only code that serves it.
"""
import threading

import oslo_messaging as messaging
from oslo_context import context as oslo_context

from conf import CONF
from contract import inprocess_messaging, objects

# Topics. An agent's server listens on AGENT_TOPIC with server=<its host name>.
CONDUCTOR_TOPIC = "conductor"
SCHEDULER_TOPIC = "scheduler"
AGENT_TOPIC = "compute"

EXCHANGE = "pocketstack"

# Modules whose exceptions a call re-raises as themselves on the caller's side.
ALLOWED_REMOTE_EXMODS = ["contract.exception", "controller.scheduler",
                         "controller.compute.exception"]

_transports = {}
_transports_lock = threading.Lock()


class RequestContext(oslo_context.RequestContext):
    """Who asked, carried with every message so the receiver acts on the caller's behalf.

    ``auth_token`` travels too: an agent uses it to ask the image and network services
    for the instance's image and port with the user's own rights.
    """


def get_transport(url=None):
    """One transport per URL per process: the in-process ``fake://`` driver only connects
    senders and servers that share the same transport object."""
    url = url or CONF.transport_url
    with _transports_lock:
        transport = _transports.get(url)
        if transport is None:
            messaging.set_transport_defaults(EXCHANGE)
            if url.split(":", 1)[0] == "fake":
                transport = inprocess_messaging.get_rpc_transport(
                    CONF, url, ALLOWED_REMOTE_EXMODS)
            else:
                transport = messaging.get_rpc_transport(
                    CONF, url=url, allowed_remote_exmods=ALLOWED_REMOTE_EXMODS)
            _transports[url] = transport
        return transport


class ContextSerializer(messaging.Serializer):
    """Sends RequestContext as a dict and restores it on the receiving side; arguments
    and answers go through ``contract.objects.ObjectSerializer`` (versioned objects)."""

    def __init__(self):
        self.objects = objects.ObjectSerializer()

    def serialize_entity(self, ctxt, entity):
        return self.objects.serialize_entity(ctxt, entity)

    def deserialize_entity(self, ctxt, entity):
        return self.objects.deserialize_entity(ctxt, entity)

    def serialize_context(self, ctxt):
        return ctxt.to_dict()

    def deserialize_context(self, ctxt):
        return RequestContext.from_dict(ctxt)


def get_client(topic, version, server=None, timeout=None, transport=None, version_cap=None):
    """A client sending ``version`` unless a method asks for another, never above
    ``version_cap`` (``[upgrade_levels]``): ``can_send_version`` says what it may."""
    target = messaging.Target(topic=topic, version=version, server=server)
    return messaging.get_rpc_client(transport or get_transport(), target,
                                    serializer=ContextSerializer(), timeout=timeout,
                                    version_cap=version_cap or None)


def get_server(topic, server, endpoints, transport=None):
    """An RPC server on ``topic`` (and ``topic.server``) run by a pool of threads."""
    target = messaging.Target(topic=topic, server=server)
    return messaging.get_rpc_server(transport or get_transport(), target, endpoints,
                                    executor="threading", serializer=ContextSerializer())


def cleanup_transports():
    with _transports_lock:
        for transport in _transports.values():
            transport.cleanup()
        _transports.clear()
