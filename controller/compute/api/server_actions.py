"""``POST /servers/{id}/action``: stop, start, reboot and reading the console log."""
import falcon

from controller import policy
from controller.api import errors
from controller.compute import actions, operations
from controller.compute.api import common

_LENGTH = {"type": ["integer", "string", "null"], "pattern": r"^-?[0-9]+$", "minimum": -1}

# action → schema of its argument
ACTIONS = {
    "os-stop": {"type": "null"},
    "os-start": {"type": "null"},
    "reboot": {"type": "object",
               "properties": {"type": {"type": "string",
                                       "enum": ["HARD", "Hard", "hard",
                                                "SOFT", "Soft", "soft"]}},
               "required": ["type"], "additionalProperties": False},
    "os-getConsoleOutput": {"type": "object",
                            "properties": {"length": _LENGTH},
                            "additionalProperties": False},
}
ONE_ACTION = {"type": "object", "minProperties": 1, "maxProperties": 1}


class ServerAction:
    def __init__(self, svc):
        self.svc = svc

    def on_post(self, req, resp, server_id):
        auth = req.context.auth
        name, argument = next(iter(common.body(req, ONE_ACTION).items()))
        if name not in ACTIONS:
            raise errors.BadRequest(f"There is no such action: {name}")
        common.check(argument, ACTIONS[name], name)
        with self.svc.db.session() as session:
            instance = common.visible_instance(session, auth, server_id)
        target = {"project_id": instance.project_id}
        ops = operations.ServerOperations(self.svc)
        request_id = req.context.request_id
        if name == "os-getConsoleOutput":
            policy.authorize(auth, "os_compute_api:os-console-output", target)
            length = argument.get("length")
            resp.media = {"output": ops.console_output(
                auth, request_id, instance, None if length is None else int(length))}
            return
        if name == "os-stop":
            policy.authorize(auth, "os_compute_api:servers:stop", target)
            ops.power_action(auth, request_id, server_id, "stop", actions.STOP)
        elif name == "os-start":
            policy.authorize(auth, "os_compute_api:servers:start", target)
            ops.power_action(auth, request_id, server_id, "start", actions.START)
        else:
            policy.authorize(auth, "os_compute_api:servers:reboot", target)
            hard = argument["type"].upper() == "HARD"
            ops.power_action(auth, request_id, server_id,
                             "reboot_hard" if hard else "reboot", actions.REBOOT)
        resp.status = falcon.HTTP_202
