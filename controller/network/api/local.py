"""The network API's answers to a sibling API served by this very process, without the
HTTP round trip: compute's server views ask for their ports' security groups on every
show, and through the in-process WSGI call each show paid two requests' token check,
routing, rendering and JSON. The same visibility and policy as ``GET /v2.0/ports`` and
``GET /v2.0/security-groups``, read with the caller's own auth context.
"""
from controller import policy
from controller.network.api import common
from controller.network.api.ports import target as port_target
from controller.network.api.security_groups import group_target


class LocalNetwork:
    """Registered on the runtime as ``siblings["network"]`` by the network app."""

    def __init__(self, core, groups):
        self.core = core
        self.groups = groups

    def ports_security_groups(self, auth, device_ids):
        """[{"device_id", "security_groups"}] of the ports of these devices the caller
        may see, as ``GET /v2.0/ports?device_id=...`` lists them."""
        rows = self.core.list_ports(common.scope_of(auth), device_ids=list(device_ids))
        return [{"device_id": row.device_id, "security_groups": row.security_group_ids}
                for row in rows if policy.allowed(auth, "get_port", port_target(auth, row))]

    def group_names(self, auth, group_ids):
        """{group id: name} of those groups the caller may see."""
        rows = self.groups.list_groups(common.scope_of(auth), None, list(group_ids))
        return {row.id: row.name for row in rows
                if policy.allowed(auth, "get_security_group", group_target(row))}
