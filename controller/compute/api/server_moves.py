"""``POST /servers/{id}/action`` with resize, migrate, confirmResize, revertResize (one
operation of ``operations.server_moves``), evacuate (``operations.server_moves``),
os-migrateLive (``operations.server_live_migration``), shelve, shelveOffload, unshelve,
rescue or unrescue (``operations.server_shelve``): the request checked per
microversion, then the operation."""
import secrets

import falcon

from controller.compute.api import common
from controller.compute.operations import server_live_migration, server_moves, server_shelve

# Nova ignores the value of these actions (null, {} or anything else).
_ANY = {}
_HOST = {"type": ["string", "null"], "minLength": 1, "maxLength": 255,
         "pattern": r"^[a-zA-Z0-9-._]*$"}

ACTIONS = {
    "resize": {"type": "object",
               "properties": {"flavorRef": {"type": ["string", "integer"], "minLength": 1},
                              "OS-DCF:diskConfig": {"type": "string",
                                                    "enum": ["AUTO", "MANUAL"]}},
               "required": ["flavorRef"], "additionalProperties": False},
    "migrate": _ANY,
    "confirmResize": _ANY,
    "revertResize": _ANY,
    "shelve": _ANY,
    "shelveOffload": _ANY,
    "unshelve": _ANY,
    "rescue": {"type": ["object", "null"],
               "properties": {"adminPass": {"type": "string"},
                              "rescue_image_ref": common.UUID},
               "additionalProperties": False},
    "unrescue": _ANY,
    # os-migrateLive before 2.25 (its later bodies below)
    "os-migrateLive": {"type": "object",
                       "properties": {"block_migration": common.BOOLEAN,
                                      "disk_over_commit": common.BOOLEAN,
                                      "host": _HOST},
                       "required": ["block_migration", "disk_over_commit", "host"],
                       "additionalProperties": False},
    "evacuate": {"type": "object",
                 "properties": {"host": _HOST, "adminPass": {"type": "string"},
                                "onSharedStorage": {"type": ["boolean", "string"]}},
                 "required": ["onSharedStorage"], "additionalProperties": False},
}
# evacuate's body by microversion: onSharedStorage until 2.14, force from 2.29 to 2.67.
EVACUATE_2_14 = {"type": "object",
                 "properties": {"host": _HOST, "adminPass": {"type": "string"}},
                 "additionalProperties": False}
EVACUATE_2_29 = {"type": "object",
                 "properties": dict(EVACUATE_2_14["properties"],
                                    force={"type": "boolean"}),
                 "additionalProperties": False}
# action → the policy rule of a shelving action
SHELVING = {"shelve": "os_compute_api:os-shelve:shelve",
            "shelveOffload": "os_compute_api:os-shelve:shelve_offload",
            "unshelve": "os_compute_api:os-shelve:unshelve"}
# os-migrateLive: from 2.25 block_migration may be "auto" and disk_over_commit is gone;
# force (a host the scheduler does not check) from 2.30 to 2.67.
LIVE_MIGRATE_2_25 = {"type": "object",
                     "properties": {"block_migration": {
                         "oneOf": [common.BOOLEAN, {"type": "string", "enum": ["auto"]}]},
                         "host": _HOST},
                     "required": ["block_migration", "host"],
                     "additionalProperties": False}
LIVE_MIGRATE_2_30 = dict(LIVE_MIGRATE_2_25, properties=dict(
    LIVE_MIGRATE_2_25["properties"], force=common.BOOLEAN))
# From 2.77 unshelve takes null (an availability zone is not supported here).
UNSHELVE_2_77 = {"type": "null"}
# From 2.56 an admin may name the host a cold migration goes to.
MIGRATE_2_56 = {"type": ["object", "null"], "properties": {"host": _HOST},
                "additionalProperties": False}


def handle_action(svc, req, resp, server_id, name, argument):
    auth = req.context.auth
    schema = ACTIONS[name]
    version = req.context.microversion
    if name == "migrate" and version >= (2, 56):
        schema = MIGRATE_2_56
    elif name == "unshelve" and version >= (2, 77):
        schema = UNSHELVE_2_77
    elif name == "evacuate" and version >= (2, 14):
        schema = EVACUATE_2_29 if (2, 29) <= version < (2, 68) else EVACUATE_2_14
    elif name == "os-migrateLive" and version >= (2, 25):
        schema = LIVE_MIGRATE_2_30 if (2, 30) <= version < (2, 68) else LIVE_MIGRATE_2_25
    common.check(argument, schema, name)
    request_id = req.context.request_id
    if name == "os-migrateLive":
        _live_migrate(svc, req, server_id, argument)
        resp.status = falcon.HTTP_202
        return
    if name in SHELVING:
        shelving = server_shelve.ServerShelving(svc)
        operation = {"shelve": shelving.shelve, "shelveOffload": shelving.shelve_offload,
                     "unshelve": shelving.unshelve}[name]
        operation(auth, request_id, server_id, common.authorizer(auth, SHELVING[name]))
        resp.status = falcon.HTTP_202
        return
    if name in ("rescue", "unrescue"):
        rescuing = server_shelve.ServerRescue(svc)
        if name == "unrescue":
            rescuing.unrescue(auth, request_id, server_id,
                              common.authorizer(auth, "os_compute_api:os-unrescue"))
            resp.status = falcon.HTTP_202
            return
        argument = argument or {}
        rescuing.rescue(auth, request_id, server_id, argument.get("rescue_image_ref"),
                        common.authorizer(auth, "os_compute_api:os-rescue"))
        # Nova answers the password it would set (none is injected into the guest here,
        # as with Nova's libvirt driver without injection).
        resp.media = {"adminPass": argument.get("adminPass") or secrets.token_urlsafe(9)}
        return
    ops = server_moves.ServerMoves(svc)
    if name == "evacuate":
        ops.evacuate(auth, request_id, server_id, argument.get("host"),
                     common.authorizer(auth, "os_compute_api:os-evacuate"))
        resp.status = falcon.HTTP_200
        if version < (2, 14):
            resp.media = {"adminPass": argument.get("adminPass")
                          or secrets.token_urlsafe(9)}
        return
    if name == "resize":
        ops.resize(auth, request_id, server_id, argument["flavorRef"],
                   common.authorizer(auth, "os_compute_api:servers:resize"),
                   disk_config=argument.get("OS-DCF:diskConfig"))
    elif name == "migrate":
        host = (argument or {}).get("host") if version >= (2, 56) else None
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


def _live_migrate(svc, req, server_id, argument):
    """Nova's ``_migrate_live``: "auto" (2.25) lets the hosts decide whether the disks
    are copied; from 2.34 the checks run after the 202 (a failure is the migration's
    error status and the action's event)."""
    block_migration = argument["block_migration"]
    if block_migration != "auto":
        block_migration = common.to_bool(block_migration)
    server_live_migration.ServerLiveMigration(svc).live_migrate(
        req.context.auth, req.context.request_id, server_id, argument.get("host"),
        block_migration, common.to_bool(argument.get("force", False)),
        common.authorizer(req.context.auth, "os_compute_api:os-migrate-server:migrate_live"),
        report_failure=req.context.microversion < (2, 34))
