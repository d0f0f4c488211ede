"""Compute's floating IP proxy: the ``addFloatingIp``/``removeFloatingIp`` server
actions (gone from microversion 2.44) and ``/os-floating-ips`` (gone from 2.36), as Nova
answers them; each calls one ``FloatingIpProxy`` operation."""
import falcon

from controller import policy
from controller.api import errors
from controller.compute.api import common
from controller.compute.operations.floating_ips import FloatingIpProxy

ACTIONS_UNTIL = (2, 43)
PROXY_UNTIL = (2, 35)
_ADDRESS = {"type": "string", "format": "ipv4"}
ACTIONS = {
    "addFloatingIp": {"type": "object",
                      "properties": {"address": _ADDRESS, "fixed_address": _ADDRESS},
                      "required": ["address"], "additionalProperties": False},
    "removeFloatingIp": {"type": "object", "properties": {"address": _ADDRESS},
                         "required": ["address"], "additionalProperties": False},
}
CREATE = {"type": ["object", "null"],
          "properties": {"pool": {"type": ["string", "null"]}}}


def handle_action(svc, req, resp, server_id, name, argument):
    """``POST /servers/{id}/action`` with addFloatingIp or removeFloatingIp."""
    auth = req.context.auth
    if req.context.microversion > ACTIONS_UNTIL:
        raise errors.BadRequest(f"There is no such action: {name}")
    common.check(argument, ACTIONS[name], name)
    proxy = FloatingIpProxy(svc)
    verb = "add" if name == "addFloatingIp" else "remove"
    authorize = common.authorizer(auth, f"os_compute_api:os-floating-ips:{verb}")
    if verb == "add":
        proxy.add(auth, server_id, authorize, argument["address"],
                  argument.get("fixed_address"))
    else:
        proxy.remove(auth, server_id, authorize, argument["address"])
    resp.status = falcon.HTTP_202


def _proxy_only(req):
    if req.context.microversion > PROXY_UNTIL:
        raise errors.NotFound("The resource could not be found.")


def _authorize(req, verb):
    policy.authorize(req.context.auth, f"os_compute_api:os-floating-ips:{verb}",
                     {"project_id": req.context.auth.project_id})


class FloatingIps:
    def __init__(self, svc):
        self.proxy = FloatingIpProxy(svc)

    def on_get(self, req, resp):
        _proxy_only(req)
        _authorize(req, "list")
        resp.media = {"floating_ips": self.proxy.list(req.context.auth)}

    def on_post(self, req, resp):
        _proxy_only(req)
        _authorize(req, "create")
        document = common.body(req, CREATE) if req.content_length else None
        pool = (document or {}).get("pool")
        resp.media = {"floating_ip": self.proxy.allocate(req.context.auth, pool)}


class FloatingIp:
    def __init__(self, svc):
        self.proxy = FloatingIpProxy(svc)

    def on_get(self, req, resp, floating_ip_id):
        _proxy_only(req)
        _authorize(req, "show")
        resp.media = {"floating_ip": self.proxy.show(req.context.auth, floating_ip_id)}

    def on_delete(self, req, resp, floating_ip_id):
        _proxy_only(req)
        _authorize(req, "delete")
        self.proxy.release(req.context.auth, floating_ip_id)
        resp.status = falcon.HTTP_202
