"""``/v2.0/networks``."""
import functools

import falcon

from controller import policy
from controller.network import bulk as network_bulk
from controller.network.api import attributes, common, query, views

GUARDED = ("shared", "router:external", "provider:network_type",
           "provider:physical_network", "provider:segmentation_id")


target = common.network_target


def render(auth, network, params):
    hidden = [name for name in views.PROVIDER_ATTRIBUTES
              if not policy.allowed(auth, f"get_network:{name}", target(network))]
    return query.trim(views.render(views.NETWORK, network, hidden), params)


class Networks:
    def __init__(self, runtime, core):
        self.runtime = runtime
        self.core = core

    def on_get(self, req, resp):
        auth = req.context.auth
        rows = [row for row in self.core.list_networks(common.scope_of(auth))
                if policy.allowed(auth, "get_network", target(row))]
        resp.media = query.apply([render(auth, row, {}) for row in rows], req.params,
                                 "networks", common.collection_url(self.runtime, "networks"),
                                 views.NETWORK)

    def on_post(self, req, resp):
        auth = req.context.auth
        items, bulk = attributes.read_bodies(req, "network", "networks", attributes.NETWORK)
        creates = [self._create(auth, values) for values in items]
        scope = common.scope_of(auth)
        networks = network_bulk.create_all(
            creates, lambda network: self.core.delete_network(network.id, scope))
        resp.status = falcon.HTTP_201
        shown = [render(auth, network, {}) for network in networks]
        resp.media = {"networks": shown} if bulk else {"network": shown[0]}

    def _create(self, auth, values):
        """The network's creation, once the caller may make it."""
        project_id = common.owner_project(auth, values)
        common.authorize(auth, "create_network", {"project_id": project_id}, values,
                         GUARDED)
        fields = attributes.fields_of(values, attributes.NETWORK)
        fields.pop("project_id", None)
        return functools.partial(self.core.create_network, project_id, **fields)


class Network:
    def __init__(self, runtime, core):
        self.runtime = runtime
        self.core = core

    def _find(self, auth, network_id):
        return common.find_network(self.core, auth, network_id)

    def on_get(self, req, resp, network_id):
        auth = req.context.auth
        resp.media = {"network": render(auth, self._find(auth, network_id), req.params)}

    def on_put(self, req, resp, network_id):
        auth = req.context.auth
        values = attributes.read_body(req, "network", attributes.NETWORK, "PUT")
        network = self._find(auth, network_id)
        common.authorize(auth, "update_network", target(network), values, GUARDED)
        changes = attributes.fields_of(values, attributes.NETWORK)
        network = self.core.update_network(network_id, common.scope_of(auth), changes)
        resp.media = {"network": render(auth, network, {})}

    def on_delete(self, req, resp, network_id):
        auth = req.context.auth
        network = self._find(auth, network_id)
        policy.authorize(auth, "delete_network", target(network))
        self.core.delete_network(network_id, common.scope_of(auth))
        resp.status = falcon.HTTP_204
