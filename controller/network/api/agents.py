"""``/v2.0/agents``: the network agents of pocketstack's hosts (Neutron's ``agent``
extension). Admins see them; anyone else lists none and shows none (404), as Neutron's
policy hides them."""
import falcon

from controller import policy
from controller.network import core as network_core
from controller.network.api import attributes, query

FILTERS = {"id", "agent_type", "binary", "host", "topic", "alive", "admin_state_up",
           "availability_zone", "description", "created_at", "started_at",
           "heartbeat_timestamp", "resources_synced", "configurations"}
AGENT = [
    attributes.Attribute("description", "description", attributes.optional_string(255),
                         post=False),
    attributes.Attribute("admin_state_up", "admin_state_up", attributes.boolean,
                         post=False),
]


def _visible(auth):
    return policy.allowed(auth, "get_agent", {"project_id": auth.project_id})


class Agents:
    def __init__(self, runtime, agents):
        self.runtime = runtime
        self.agents = agents

    def on_get(self, req, resp):
        auth = req.context.auth
        found = self.agents.list() if _visible(auth) else []
        resp.media = query.apply(found, req.params, "agents",
                                 f"{self.runtime.endpoint('/networking')}/v2.0/agents",
                                 FILTERS)


class Agent:
    def __init__(self, runtime, agents):
        self.agents = agents

    def _find(self, auth, agent_id):
        if not _visible(auth):
            raise network_core.not_found("agent", agent_id)
        return self.agents.show(agent_id)

    def on_get(self, req, resp, agent_id):
        resp.media = {"agent": query.trim(self._find(req.context.auth, agent_id),
                                          req.params)}

    def on_put(self, req, resp, agent_id):
        auth = req.context.auth
        self._find(auth, agent_id)
        policy.authorize(auth, "update_agent", {"project_id": auth.project_id})
        values = attributes.read_body(req, "agent", AGENT, "PUT")
        resp.media = {"agent": self.agents.update(agent_id, values)}

    def on_delete(self, req, resp, agent_id):
        auth = req.context.auth
        self._find(auth, agent_id)
        policy.authorize(auth, "delete_agent", {"project_id": auth.project_id})
        self.agents.delete(agent_id)
        resp.status = falcon.HTTP_204
