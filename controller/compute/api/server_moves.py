"""``POST /servers/{id}/action`` with resize, migrate, confirmResize or revertResize: the
request checked per microversion, then one operation of
``operations.server_moves``."""
import falcon

from controller.compute.api import common
from controller.compute.operations import server_moves

_NO_ARGUMENT = {"type": "null"}
_HOST = {"type": ["string", "null"], "minLength": 1, "maxLength": 255,
         "pattern": r"^[a-zA-Z0-9-._]*$"}

ACTIONS = {
    "resize": {"type": "object",
               "properties": {"flavorRef": {"type": ["string", "integer"], "minLength": 1},
                              "OS-DCF:diskConfig": {"type": "string",
                                                    "enum": ["AUTO", "MANUAL"]}},
               "required": ["flavorRef"], "additionalProperties": False},
    "migrate": _NO_ARGUMENT,
    "confirmResize": _NO_ARGUMENT,
    "revertResize": _NO_ARGUMENT,
}
# From 2.56 an admin may name the host a cold migration goes to.
MIGRATE_2_56 = {"type": ["object", "null"], "properties": {"host": _HOST},
                "additionalProperties": False}


def handle_action(svc, req, resp, server_id, name, argument):
    auth = req.context.auth
    schema = ACTIONS[name]
    if name == "migrate" and req.context.microversion >= (2, 56):
        schema = MIGRATE_2_56
    common.check(argument, schema, name)
    ops = server_moves.ServerMoves(svc)
    request_id = req.context.request_id
    if name == "resize":
        ops.resize(auth, request_id, server_id, argument["flavorRef"],
                   common.authorizer(auth, "os_compute_api:servers:resize"))
    elif name == "migrate":
        host = (argument or {}).get("host")
        rule = ("os_compute_api:os-migrate-server:migrate:host" if host
                else "os_compute_api:os-migrate-server:migrate")
        ops.migrate(auth, request_id, server_id, host, common.authorizer(auth, rule))
    elif name == "confirmResize":
        ops.confirm_resize(auth, request_id, server_id,
                           common.authorizer(auth, "os_compute_api:servers:confirm_resize"))
        resp.status = falcon.HTTP_204
        return
    else:
        ops.revert_resize(auth, request_id, server_id,
                          common.authorizer(auth, "os_compute_api:servers:revert_resize"))
    resp.status = falcon.HTTP_202

