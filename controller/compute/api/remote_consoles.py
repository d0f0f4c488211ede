"""``POST /servers/{id}/remote-consoles`` (2.6+) and the older actions
``os-getVNCConsole`` / ``os-getSerialConsole`` (2.1–2.5): a console URL with a one-time
token for the console proxy, in Nova's shapes."""
from controller.api import errors
from controller.compute.api import common
from controller.compute.operations.remote_consoles import RemoteConsoles

RULE = "os_compute_api:os-remote-consoles"

_PROTOCOLS = ["vnc", "spice", "rdp", "serial"]
_TYPES = ["novnc", "xvpvnc", "rdp-html5", "spice-html5", "serial"]


def _create_schema(protocols, types):
    return {"type": "object",
            "properties": {"remote_console": {
                "type": "object",
                "properties": {"protocol": {"type": "string", "enum": protocols},
                               "type": {"type": "string", "enum": types}},
                "required": ["protocol", "type"], "additionalProperties": False}},
            "required": ["remote_console"], "additionalProperties": False}


CREATE_V26 = _create_schema(_PROTOCOLS, _TYPES)
CREATE_V28 = _create_schema(_PROTOCOLS + ["mks"], _TYPES + ["webmks"])

# the older actions → (their console types, the protocol they mean)
ACTIONS = {
    "os-getVNCConsole": (["novnc", "xvpvnc"], "vnc"),
    "os-getSerialConsole": (["serial"], "serial"),
}


def handle_action(svc, req, resp, server_id, name, argument):
    """``os-getVNCConsole`` / ``os-getSerialConsole``: gone since 2.6 (404, as Nova)."""
    if req.context.microversion >= (2, 6):
        raise errors.NotFound("The resource could not be found.")
    types, protocol = ACTIONS[name]
    common.check(argument, {"type": "object",
                            "properties": {"type": {"type": "string", "enum": types}},
                            "required": ["type"], "additionalProperties": False}, name)
    auth = req.context.auth
    url = RemoteConsoles(svc).create(auth, req.context.request_id, server_id, protocol,
                                     argument["type"], common.authorizer(auth, RULE))
    resp.media = {"console": {"type": argument["type"], "url": url}}


class RemoteConsolesResource:
    def __init__(self, svc):
        self.svc = svc

    def on_post(self, req, resp, server_id):
        if req.context.microversion < (2, 6):
            raise errors.NotFound("The resource could not be found.")
        schema = CREATE_V28 if req.context.microversion >= (2, 8) else CREATE_V26
        console = common.body(req, schema)["remote_console"]
        auth = req.context.auth
        url = RemoteConsoles(self.svc).create(
            auth, req.context.request_id, server_id, console["protocol"], console["type"],
            common.authorizer(auth, RULE))
        resp.media = {"remote_console": {"protocol": console["protocol"],
                                         "type": console["type"], "url": url}}
