"""``/v2.0/subnets``."""
import functools

import falcon

from controller import policy
from controller.api import errors
from controller.network import bulk as network_bulk
from controller.network import core as network_core
from controller.network.api import attributes, common, query, views


def target(subnet):
    return {"project_id": subnet.project_id, "shared": subnet.network.shared,
            "network:project_id": subnet.network.project_id}


def render(subnet, params):
    return query.trim(views.render(views.SUBNET, subnet), params)


class Subnets:
    def __init__(self, runtime, core):
        self.runtime = runtime
        self.core = core

    def on_get(self, req, resp):
        auth = req.context.auth
        rows = [row for row in self.core.list_subnets(common.scope_of(auth))
                if policy.allowed(auth, "get_subnet", target(row))]
        resp.media = query.apply([render(row, {}) for row in rows], req.params, "subnets",
                                 common.collection_url(self.runtime, "subnets"),
                                 views.SUBNET)

    def on_post(self, req, resp):
        auth = req.context.auth
        items, bulk = attributes.read_bodies(req, "subnet", "subnets", attributes.SUBNET)
        scope = common.scope_of(auth)
        creates = [self._create(auth, scope, values) for values in items]
        subnets = network_bulk.create_all(
            creates, lambda subnet: self.core.delete_subnet(subnet.id, scope))
        resp.status = falcon.HTTP_201
        shown = [render(subnet, {}) for subnet in subnets]
        resp.media = {"subnets": shown} if bulk else {"subnet": shown[0]}

    def _create(self, auth, scope, values):
        """The subnet's creation, once the caller may make it."""
        if values.get("ip_version", 4) != 4:
            raise errors.BadRequest("Invalid input for operation: only IPv4 subnets "
                                    "(ip_version 4) are supported.", "InvalidInput")
        project_id = common.owner_project(auth, values)
        network = common.find_network(self.core, auth, values["network_id"])
        policy.authorize(auth, "create_subnet", {
            "project_id": project_id, "shared": network.shared,
            "network:project_id": network.project_id})
        fields = attributes.fields_of(values, attributes.SUBNET)
        for key in ("project_id", "network_id", "ip_version"):
            fields.pop(key, None)
        return functools.partial(self.core.create_subnet, project_id, network.id, scope,
                                 **fields)


class Subnet:
    def __init__(self, runtime, core):
        self.runtime = runtime
        self.core = core

    def _find(self, auth, subnet_id):
        subnet = self.core.get_subnet(subnet_id, common.scope_of(auth))
        if not policy.allowed(auth, "get_subnet", target(subnet)):
            raise network_core.not_found("subnet", subnet_id)
        return subnet

    def on_get(self, req, resp, subnet_id):
        resp.media = {"subnet": render(self._find(req.context.auth, subnet_id),
                                       req.params)}

    def on_put(self, req, resp, subnet_id):
        auth = req.context.auth
        values = attributes.read_body(req, "subnet", attributes.SUBNET, "PUT")
        policy.authorize(auth, "update_subnet", target(self._find(auth, subnet_id)))
        subnet = self.core.update_subnet(subnet_id, common.scope_of(auth),
                                         attributes.fields_of(values, attributes.SUBNET))
        resp.media = {"subnet": render(subnet, {})}

    def on_delete(self, req, resp, subnet_id):
        auth = req.context.auth
        policy.authorize(auth, "delete_subnet", target(self._find(auth, subnet_id)))
        self.core.delete_subnet(subnet_id, common.scope_of(auth))
        resp.status = falcon.HTTP_204
