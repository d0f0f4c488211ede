"""What the network API's resources share: the caller's scope, attribute-level policy,
and links."""
from controller import policy
from controller.api import errors
from controller.network import core as network_core


def scope_of(auth):
    """Admins see every project's rows, others their own and what is shared with them."""
    return network_core.Scope(auth.project_id, all_projects=auth.is_admin)


def network_target(network):
    """The policy target of a network."""
    return {"project_id": network.project_id, "shared": network.shared,
            "router:external": network.router_external}


def find_network(core, auth, network_id):
    """The network if the caller may see it; Neutron's 404 otherwise (also when policy
    hides it), never a 403 that would tell it exists."""
    network = core.get_network(network_id, scope_of(auth))
    if not policy.allowed(auth, "get_network", network_target(network)):
        raise network_core.not_found("network", network_id)
    return network


def owner_project(auth, values):
    """The project a new resource belongs to: the one named in the body, else the
    caller's."""
    project_id = values.get("project_id", values.get("tenant_id", auth.project_id))
    if not project_id:
        raise errors.BadRequest("A project-scoped token is needed to create networks, "
                                "subnets and ports.", "BadRequest")
    return project_id


def authorize(auth, action, target, values=(), guarded=()):
    """Check ``action`` and, for each guarded attribute present in ``values``, the
    ``action:attribute`` rule (as Neutron checks ``create_network:shared``)."""
    policy.authorize(auth, action, target)
    for name in guarded:
        if name in values:
            policy.authorize(auth, f"{action}:{name}", target)


def collection_url(runtime, collection):
    return f"{runtime.endpoint('/networking')}/v2.0/{collection}"
