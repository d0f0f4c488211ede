"""A server's security groups: the groups of its ports in the network service, listed
and changed there with the caller's token (``controller.compute.security_groups``)."""
from controller.compute.operations.servers import authorized
from controller.compute.security_groups import SecurityGroupAPI


class ServerSecurityGroups:
    def __init__(self, handles):
        """``handles``: the API's ``common.Handles`` (database, network)."""
        self.db = handles.db
        self.groups = SecurityGroupAPI(handles.network)

    def _server(self, auth, instance_uuid, authorize):
        with self.db.session() as session:
            return authorized(session, auth, instance_uuid, authorize)

    def list(self, auth, instance_uuid, authorize):
        """The groups of the server's ports, in Nova's format."""
        instance = self._server(auth, instance_uuid, authorize)
        return self.groups.server_groups(auth.token, instance.uuid)

    def change(self, auth, instance_uuid, name, add, authorize):
        """addSecurityGroup (``add``) or removeSecurityGroup on every port of the
        server; the group is looked up in the server's project."""
        instance = self._server(auth, instance_uuid, authorize)
        self.groups.change_server(auth.token, instance.project_id, instance.uuid, name, add)
