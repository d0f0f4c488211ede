"""A server's addresses by network (``/servers/{id}/ips``), from the network info its
agent recorded — what the server view's ``addresses`` shows."""
from controller.compute.operations.servers import authorized


def network_info(db, auth, instance_uuid, authorize):
    with db.session() as session:
        return authorized(session, auth, instance_uuid, authorize).network_info
