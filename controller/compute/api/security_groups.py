"""Nova's security group calls, answered from the network service's groups:
``GET /servers/{id}/os-security-groups``, the ``addSecurityGroup`` and
``removeSecurityGroup`` server actions, and the proxy ``/os-security-groups`` and
``/os-security-group-rules`` that Nova keeps up to microversion 2.35 (404 above it,
as in Nova)."""
import ipaddress

import falcon

from controller import policy
from contract import exception
from controller.api import errors
from controller.compute.api import common
from controller.compute.operations import security_groups as operations
from controller.compute.security_groups import SecurityGroupAPI, nova_group, nova_rule

MAX_PROXY_VERSION = (2, 35)
PREFIX = "os_compute_api:os-security-groups"
_GROUP_NAME = {"type": "string", "minLength": 1, "maxLength": 255}

ACTION_SCHEMA = {"type": "object", "properties": {"name": {"type": "string",
                                                            "minLength": 1}},
                 "required": ["name"], "additionalProperties": False}
ACTIONS = {"addSecurityGroup": ("add", True), "removeSecurityGroup": ("remove", False)}

GROUP_BODY = {"type": "object", "properties": {"security_group": {
    "type": "object",
    "properties": {"name": _GROUP_NAME, "description": {"type": "string",
                                                        "maxLength": 255}},
    "required": ["name", "description"], "additionalProperties": False}},
    "required": ["security_group"], "additionalProperties": False}

_PORT = {"type": ["integer", "string", "null"]}
RULE_BODY = {"type": "object", "properties": {"security_group_rule": {
    "type": "object",
    # Group ids are the network service's uuids (Nova's "uuid" format: 400 otherwise).
    "properties": {"parent_group_id": common.UUID,
                   "ip_protocol": {"type": ["string", "null"]},
                   "from_port": _PORT, "to_port": _PORT,
                   "cidr": {"type": ["string", "null"]},
                   "group_id": {"anyOf": [common.UUID, {"type": "null"}]}},
    "required": ["parent_group_id"], "additionalProperties": False}},
    "required": ["security_group_rule"], "additionalProperties": False}


def server_action(svc, req, server_id, name, argument):
    """addSecurityGroup / removeSecurityGroup: every port of the server, 202."""
    rule, add = ACTIONS[name]
    common.check(argument, ACTION_SCHEMA, name)
    auth = req.context.auth
    operations.ServerSecurityGroups(svc).change(
        auth, server_id, argument["name"].strip(), add,
        common.authorizer(auth, f"{PREFIX}:{rule}"))


def names_of_servers(svc, auth, instances):
    """{server id: [{"name": ...}]}: the groups of the servers' ports, for the views;
    {} where no network service answers (a compute-only deployment)."""
    try:
        return SecurityGroupAPI(svc.network).of_servers(auth,
                                                        [i.uuid for i in instances])
    except (exception.ServiceUnavailable, errors.NotFound):
        return {}


class ServerSecurityGroups:
    def __init__(self, svc):
        self.svc = svc

    def on_get(self, req, resp, server_id):
        auth = req.context.auth
        resp.media = {"security_groups": operations.ServerSecurityGroups(self.svc).list(
            auth, server_id, common.authorizer(auth, f"{PREFIX}:list"))}


def _proxy(req, action):
    """Authorize a proxy call; above 2.35 it does not exist."""
    if req.context.microversion > MAX_PROXY_VERSION:
        raise errors.NotFound("The resource could not be found.")
    auth = req.context.auth
    policy.authorize(auth, f"{PREFIX}:{action}", {"project_id": auth.project_id})
    return auth


class SecurityGroups:
    def __init__(self, svc):
        self.api = SecurityGroupAPI(svc.network)

    def on_get(self, req, resp):
        auth = _proxy(req, "get")
        params = {}
        if not (auth.is_admin and common.to_bool(req.params.get("all_tenants", False))):
            params["project_id"] = auth.project_id
        groups = self.api.list(auth.token, **params)
        resp.media = {"security_groups": self.api.nova_groups(auth.token, groups)}

    def on_post(self, req, resp):
        auth = _proxy(req, "create")
        spec = common.body(req, GROUP_BODY)["security_group"]
        group = self.api.create(auth.token, spec["name"], spec["description"])
        resp.media = {"security_group": nova_group(group, {})}


class SecurityGroup:
    def __init__(self, svc):
        self.api = SecurityGroupAPI(svc.network)

    def on_get(self, req, resp, group_id):
        auth = _proxy(req, "show")
        group = self.api.show(auth.token, group_id)
        resp.media = {"security_group": self.api.nova_groups(auth.token, [group])[0]}

    def on_put(self, req, resp, group_id):
        auth = _proxy(req, "update")
        spec = common.body(req, GROUP_BODY)["security_group"]
        self.api.show(auth.token, group_id)
        group = self.api.update(auth.token, group_id, spec["name"], spec["description"])
        resp.media = {"security_group": self.api.nova_groups(auth.token, [group])[0]}

    def on_delete(self, req, resp, group_id):
        auth = _proxy(req, "delete")
        self.api.delete(auth.token, group_id)
        resp.status = falcon.HTTP_202


def _port(value, name):
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise errors.BadRequest(f"Invalid input received: {name} must be an integer."
                                ) from None


def neutron_rule(spec):
    """A Nova proxy rule as the ingress Neutron rule it stands for."""
    protocol = spec.get("ip_protocol")
    protocol = protocol.lower() if isinstance(protocol, str) and protocol else None
    group_id, cidr = spec.get("group_id"), spec.get("cidr")
    if group_id and cidr:
        raise errors.BadRequest("Invalid input received: cidr and group_id cannot both "
                                "be given.")
    if protocol not in (None, "tcp", "udp", "icmp"):
        raise errors.BadRequest(f"Invalid IP protocol {spec.get('ip_protocol')}.")
    low, high = _port(spec.get("from_port"), "from_port"), _port(spec.get("to_port"),
                                                                  "to_port")
    if protocol == "icmp":
        low, high = (None if low == -1 else low), (None if high == -1 else high)
    elif protocol in ("tcp", "udp"):
        if low is None or high is None or not 1 <= low <= high <= 65535:
            raise errors.BadRequest(f"Invalid port range {low}:{high}. Valid TCP ports "
                                    f"should be between 1-65535")
    elif low not in (None, -1) or high not in (None, -1):
        raise errors.BadRequest("Invalid input received: ports need ip_protocol.")
    else:
        low = high = None
    rule = {"security_group_id": str(spec["parent_group_id"]), "direction": "ingress",
            "protocol": protocol, "port_range_min": low, "port_range_max": high}
    if group_id:
        rule.update(remote_group_id=str(group_id), ethertype="IPv4")
    else:
        try:
            network = ipaddress.ip_network(cidr or "0.0.0.0/0", strict=False)
        except ValueError:
            raise errors.BadRequest(f"Invalid cidr {cidr}.") from None
        # Kept as given ("10.2.3.124/24" stays so), as Nova passes it on.
        rule.update(remote_ip_prefix=cidr or "0.0.0.0/0", ethertype=f"IPv{network.version}")
    return rule


class SecurityGroupRules:
    def __init__(self, svc):
        self.api = SecurityGroupAPI(svc.network)

    def on_post(self, req, resp):
        auth = _proxy(req, "rule:create")
        spec = common.body(req, RULE_BODY)["security_group_rule"]
        parent = self.api.show(auth.token, str(spec["parent_group_id"]))
        rule = neutron_rule(spec)
        if rule.get("remote_group_id"):
            self.api.show(auth.token, rule["remote_group_id"])
        created = self.api.create_rule(auth.token, rule)
        remotes = {parent["id"]: parent}
        if created.get("remote_group_id"):
            remotes[created["remote_group_id"]] = self.api.show(auth.token,
                                                                created["remote_group_id"])
        resp.media = {"security_group_rule": nova_rule(created, remotes)}


class SecurityGroupRule:
    def __init__(self, svc):
        self.api = SecurityGroupAPI(svc.network)

    def on_delete(self, req, resp, rule_id):
        auth = _proxy(req, "rule:delete")
        self.api.delete_rule(auth.token, rule_id)
        resp.status = falcon.HTTP_202


ROUTES = {
    "/v2.1/servers/{server_id}/os-security-groups": ServerSecurityGroups,
    "/v2.1/os-security-groups": SecurityGroups,
    "/v2.1/os-security-groups/{group_id}": SecurityGroup,
    "/v2.1/os-security-group-rules": SecurityGroupRules,
    "/v2.1/os-security-group-rules/{rule_id}": SecurityGroupRule,
}
