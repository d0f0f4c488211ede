"""The build's cast turns every error the messaging driver raises in sending into
``MessageDeliveryFailure``: the compute API answers 202 on that one alone (the build is
recorded; the conductor's check of stuck builds sends it), and anything else is a bug
that must surface."""
import amqp.exceptions
import kombu.exceptions
import oslo_messaging as messaging
import pytest

import conf
from contract import rpc
from controller.conductor import rpcapi as conductor_rpcapi


class FailingClient:
    """An RPC client whose cast raises ``error``, after a ``prepare`` as the real one."""

    def __init__(self, error):
        self.error = error
        self.prepared = None

    def prepare(self, **kwargs):
        self.prepared = kwargs
        return self

    def cast(self, ctxt, method, **kwargs):
        raise self.error


@pytest.fixture
def conductor(monkeypatch):
    conf.register(rpc.CONF, ["DEFAULT", "upgrade_levels"])
    transport = messaging.get_rpc_transport(rpc.CONF, url="fake://")
    monkeypatch.setattr(rpc, "get_transport", lambda url=None: transport)
    return conductor_rpcapi.ConductorAPI()


@pytest.mark.parametrize("error", [
    messaging.MessageDeliveryFailure("gave up"),
    messaging.MessageUndeliverable(Exception("no route"), "conductor", {}, "conductor"),
    messaging.ClientSendError("conductor", Exception("driver")),
    kombu.exceptions.OperationalError("connection reset"),
    amqp.exceptions.RecoverableConnectionError("connection closed"),
    amqp.exceptions.ConnectionForced("broker shutdown"),
    ConnectionRefusedError(111, "refused"),
    BrokenPipeError(32, "broken pipe"),
])
def test_a_sending_error_becomes_delivery_failure(conductor, error):
    conductor.client = FailingClient(error)
    with pytest.raises(messaging.MessageDeliveryFailure):
        conductor.build_instances({}, ["uuid"], {})
    assert conductor.client.prepared == {"retry": conductor_rpcapi.BUILD_CAST_RETRIES}


@pytest.mark.parametrize("error", [ValueError("bad spec"), TypeError("not serializable"),
                                   messaging.RPCVersionCapError("1.9", "1.5")])
def test_other_errors_are_not_hidden(conductor, error):
    conductor.client = FailingClient(error)
    with pytest.raises(type(error)):
        conductor.build_instances({}, ["uuid"], {})
