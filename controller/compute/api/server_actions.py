"""``POST /servers/{id}/action``: power actions (stop, start, reboot, pause, unpause,
suspend, resume), lock and unlock, snapshot (createImage), rebuild, and reading the
console log."""
import falcon

from controller.api import errors
from controller.compute import actions, states
from controller.compute.operations import server_actions, servers
from controller.compute.api import (common, floating_ips, remote_consoles, security_groups,
                                    server_moves, server_views)

_LENGTH = {"type": ["integer", "string", "null"], "pattern": r"^-?[0-9]+$", "minimum": -1}
# Nova checks no argument of the power actions, of lock before 2.73, nor ever of unlock:
# null, {} or anything else is accepted.
_ANY = {}
_NO_ARGUMENT = _ANY

# action → schema of its argument
ACTIONS = {
    "os-stop": _NO_ARGUMENT,
    "os-start": _NO_ARGUMENT,
    "reboot": {"type": "object",
               "properties": {"type": {"type": "string",
                                       "enum": ["HARD", "Hard", "hard",
                                                "SOFT", "Soft", "soft"]}},
               "required": ["type"], "additionalProperties": False},
    "pause": _NO_ARGUMENT,
    "unpause": _NO_ARGUMENT,
    "suspend": _NO_ARGUMENT,
    "resume": _NO_ARGUMENT,
    "lock": _ANY,
    "unlock": _ANY,
    "os-getConsoleOutput": {"type": "object",
                            "properties": {"length": _LENGTH},
                            "additionalProperties": False},
    "changePassword": {"type": "object", "properties": {"adminPass": {"type": "string"}},
                       "required": ["adminPass"], "additionalProperties": False},
    "os-resetState": {"type": "object",
                      "properties": {"state": {"type": "string",
                                               "enum": ["active", "error"]}},
                      "required": ["state"], "additionalProperties": False},
    "forceDelete": _ANY,
    "restore": _ANY,
    "injectNetworkInfo": _ANY,
    "createBackup": {"type": "object",
                     "properties": {"name": common.NAME,
                                    "backup_type": {"type": "string"},
                                    "rotation": common.NON_NEGATIVE_INT,
                                    "metadata": common.METADATA},
                     "required": ["name", "backup_type", "rotation"],
                     "additionalProperties": False},
    "createImage": {"type": "object",
                    "properties": {"name": common.NAME, "metadata": common.METADATA},
                    "required": ["name"], "additionalProperties": False},
    "rebuild": {"type": "object",
                "properties": {
                    "imageRef": {"type": "string", "minLength": 1},
                    "name": common.NAME,
                    "metadata": common.METADATA,
                    # Accepted as by create; like Nova's libvirt driver without password
                    # injection, nothing sets it in the guest.
                    "adminPass": {"type": "string"},
                    "OS-DCF:diskConfig": {"type": "string", "enum": ["AUTO", "MANUAL"]},
                    "accessIPv4": {"type": "string"},
                    "accessIPv6": {"type": "string"},
                    "description": common.DESCRIPTION,
                    # null: the server keeps no key pair (2.54)
                    "key_name": {"type": ["string", "null"], "minLength": 1,
                                 "maxLength": 255},
                    # base64; null: none any more (2.57)
                    "user_data": {"type": ["string", "null"]}},
                "required": ["imageRef"], "additionalProperties": False},
}
# rebuild fields → the microversion that brought them
REBUILD_FIELDS_FROM = {"description": (2, 19), "key_name": (2, 54), "user_data": (2, 57)}
LOCK_2_73 = {"type": ["object", "null"],
             "properties": {"locked_reason": {"type": "string", "minLength": 1,
                                              "maxLength": 255}},
             "additionalProperties": False}
ONE_ACTION = {"type": "object", "minProperties": 1, "maxProperties": 1}

# action → (policy rule, what ServerActions.power_action calls it, instance action)
POWER_ACTIONS = {
    "os-stop": ("os_compute_api:servers:stop", "stop", actions.STOP),
    "os-start": ("os_compute_api:servers:start", "start", actions.START),
    "pause": ("os_compute_api:os-pause-server:pause", "pause", actions.PAUSE),
    "unpause": ("os_compute_api:os-pause-server:unpause", "unpause", actions.UNPAUSE),
    "suspend": ("os_compute_api:os-suspend-server:suspend", "suspend", actions.SUSPEND),
    "resume": ("os_compute_api:os-suspend-server:resume", "resume", actions.RESUME),
}


def _check_rebuild_fields(argument, version):
    for field, since in REBUILD_FIELDS_FROM.items():
        if field in argument and version < since:
            raise errors.BadRequest(
                f"Invalid input for field/attribute rebuild. Additional properties "
                f"are not allowed ('{field}' was unexpected)")


class ServerAction:
    def __init__(self, svc):
        self.svc = svc

    def on_post(self, req, resp, server_id):
        auth = req.context.auth
        name, argument = next(iter(common.body(req, ONE_ACTION).items()))
        if name in security_groups.ACTIONS:
            security_groups.server_action(self.svc, req, server_id, name, argument)
            resp.status = falcon.HTTP_202
            return
        if name in floating_ips.ACTIONS:
            return floating_ips.handle_action(self.svc, req, resp, server_id, name, argument)
        if name in remote_consoles.ACTIONS:
            return remote_consoles.handle_action(self.svc, req, resp, server_id, name,
                                                 argument)
        if name in server_moves.ACTIONS:
            return server_moves.handle_action(self.svc, req, resp, server_id, name, argument)
        if name not in ACTIONS:
            raise errors.BadRequest(f"There is no such action: {name}")
        schema = ACTIONS[name]
        if name == "lock" and req.context.microversion >= (2, 73):
            schema = LOCK_2_73
        common.check(argument, schema, name)
        if name == "rebuild":
            common.check_access_ips(argument)
        ops = server_actions.ServerActions(self.svc)
        request_id = req.context.request_id
        if name == "os-getConsoleOutput":
            length = argument.get("length")
            resp.media = {"output": ops.console_output(
                auth, request_id, server_id, None if length is None else int(length),
                common.authorizer(auth, "os_compute_api:os-console-output"))}
            return
        if name in POWER_ACTIONS:
            rule, action, record_as = POWER_ACTIONS[name]
            ops.power_action(auth, request_id, server_id, action, record_as,
                             common.authorizer(auth, rule))
        elif name == "reboot":
            hard = argument["type"].upper() == "HARD"
            ops.power_action(auth, request_id, server_id,
                             "reboot_hard" if hard else "reboot", actions.REBOOT,
                             common.authorizer(auth, "os_compute_api:servers:reboot"))
        elif name == "createImage":
            image_id = ops.create_image(
                auth, request_id, server_id, argument["name"], argument.get("metadata"),
                common.authorizer(auth, "os_compute_api:servers:create_image"))
            if req.context.microversion >= (2, 45):
                resp.media = {"image_id": image_id}
            else:
                resp.location = f"{self.svc.image.client.base_url}/v2/images/{image_id}"
        elif name == "createBackup":
            rotation = common.to_int(argument["rotation"], "rotation")
            image_id = ops.create_backup(
                auth, request_id, server_id, argument["name"], argument["backup_type"],
                rotation, argument.get("metadata"),
                common.authorizer(auth, "os_compute_api:os-create-backup"))
            if rotation > 0:
                if req.context.microversion >= (2, 45):
                    resp.media = {"image_id": image_id}
                else:
                    resp.location = f"{self.svc.image.client.base_url}/v2/images/{image_id}"
        elif name == "rebuild":
            instance, groups = ops.rebuild(
                auth, request_id, server_id, argument, common.authorizer(
                    auth, "os_compute_api:servers:rebuild",
                    then=lambda: _check_rebuild_fields(argument, req.context.microversion)))
            version = req.context.microversion
            if version >= (2, 75):
                view = server_views.detail(req, instance, auth, server_groups=groups)
                # user_data comes as its own field below, never as the extended one.
                view.pop("OS-EXT-SRV-ATTR:user_data", None)
            else:
                # The base view, with what later microversions add to a rebuild's.
                view = server_views.base(req, instance)
                if version >= (2, 54):
                    view["key_name"] = instance.key_name
                if version >= (2, 71):
                    view["server_groups"] = groups
            if version >= (2, 57):
                view["user_data"] = instance.user_data
            password = common.admin_password(argument, self.svc.conf)
            if password is not None:
                view["adminPass"] = password
            resp.media = {"server": view}
        elif name == "forceDelete":
            servers.ServerOperations(self.svc).delete(
                auth, request_id, server_id,
                common.authorizer(auth, "os_compute_api:os-deferred-delete:force"),
                action="forceDelete")
        elif name == "changePassword":
            ops.change_password(auth, request_id, server_id,
                                common.authorizer(auth, "os_compute_api:os-admin-password"))
        elif name == "os-resetState":
            ops.reset_state(auth, request_id, server_id,
                            states.ACTIVE if argument["state"] == "active" else states.ERROR,
                            common.authorizer(auth, "os_compute_api:os-admin-actions:"
                                                    "reset_state"))
        elif name == "injectNetworkInfo":
            ops.inject_network_info(auth, server_id, common.authorizer(
                auth, "os_compute_api:os-admin-actions:inject_network_info"))
        elif name == "restore":
            ops.restore(auth, request_id, server_id,
                        common.authorizer(auth, "os_compute_api:os-deferred-delete:restore"))
        elif name == "lock":
            reason = argument.get("locked_reason") if schema is LOCK_2_73 and argument else None
            ops.lock(auth, request_id, server_id,
                     common.authorizer(auth, "os_compute_api:os-lock-server:lock"), reason)
        else:
            ops.unlock(auth, request_id, server_id,
                       common.authorizer(auth, "os_compute_api:os-lock-server:unlock"))
        resp.status = falcon.HTTP_202
