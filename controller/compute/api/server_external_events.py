"""``POST /os-server-external-events``: other services (the network service, with its
service user) tell compute that something about a server changed; one call of
``ExternalEvents.create``. Event names come with microversions, as in Nova."""
from controller import policy
from controller.compute.api import common
from controller.compute.operations.external_events import ExternalEvents

# event name → the microversion that brought it
NAMES_FROM = {"network-changed": (2, 1), "network-vif-plugged": (2, 1),
              "network-vif-unplugged": (2, 1), "network-vif-deleted": (2, 1),
              "volume-extended": (2, 51), "power-update": (2, 76),
              "accelerator-request-bound": (2, 82), "volume-reimaged": (2, 93)}


def schema(version):
    names = [name for name, since in NAMES_FROM.items() if version >= since]
    event = {"type": "object",
             "properties": {"server_uuid": common.UUID,
                            "name": {"type": "string", "enum": names},
                            "status": {"type": "string",
                                       "enum": ["failed", "completed", "in-progress"]},
                            "tag": {"type": "string", "maxLength": 255}},
             "required": ["server_uuid", "name"], "additionalProperties": False}
    return {"type": "object",
            "properties": {"events": {"type": "array", "minItems": 1, "items": event}},
            "required": ["events"], "additionalProperties": False}


class ServerExternalEvents:
    def __init__(self, svc):
        self.svc = svc

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "os_compute_api:os-server-external-events:create")
        events = common.body(req, schema(req.context.microversion))["events"]
        results, status = ExternalEvents(self.svc).create(req.context.auth, events)
        resp.status = status
        resp.media = {"events": results}
