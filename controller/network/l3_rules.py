"""What the L3 service asks of the core's operations on ports and networks, in the
core's own transaction: ports that belong to a router or a floating IP are deleted
through those, never directly; a deleted port takes its floating IPs' associations with
it; a network with gateways or floating IPs stays external."""
from sqlalchemy import exists, select

from controller.api import errors
from controller.network.l3_models import FloatingIP
from controller.network.models import Port

ROUTER_INTERFACE = "network:router_interface"
ROUTER_GATEWAY = "network:router_gateway"
FLOATINGIP = "network:floatingip"
L3_OWNERS = (ROUTER_INTERFACE, ROUTER_GATEWAY, FLOATINGIP)


def before_port_delete(session, port):
    """Refuse to delete a router's or floating IP's port (Neutron's
    prevent_l3_port_deletion); disassociate the floating IPs of any other port."""
    if port.device_owner in L3_OWNERS and port.device_id:
        raise errors.Conflict(f"Port {port.id} cannot be deleted directly via the port "
                              f"API: has device owner {port.device_owner}.",
                              "ServicePortInUse")
    for floating_ip in session.scalars(select(FloatingIP)
                                       .where(FloatingIP.fixed_port_id == port.id)):
        floating_ip.fixed_port_id = None
        floating_ip.fixed_ip_address = None
        floating_ip.router_id = None
        floating_ip.revision_number += 1
    session.flush()


def check_external_change(session, network, changes):
    """A network keeps router:external while routers or floating IPs use it."""
    if changes.get("router_external", True) or not network.router_external:
        return
    if session.scalar(select(exists().where(Port.network_id == network.id,
                                            Port.device_owner.in_(L3_OWNERS[1:])))):
        raise errors.Conflict(f"External network {network.id} cannot be updated to be "
                              f"made non-external, since it has existing gateway ports.",
                              "ExternalNetworkInUse")
