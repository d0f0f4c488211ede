"""The agent's share of a server's ports (the calls Nova's compute manager makes to
Neutron), between the network service, this host's network and the conductor:

- a build's ``compute_networking`` step creates (or binds) the ports with the user's
  token and wires them on this host: the server's ``network_info``;
- a delete (or a failed build) unwires them and deletes them, or unbinds those the user
  brought;
- the agent's own service user (optional) acts when no request covers it: after a
  restart, and the periodic refresh of tunnel peers.
"""
import logging

from contract import port_binding as network

LOG = logging.getLogger(__name__)

NETWORKING_EVENT = "compute_networking"


class ServerPorts:
    def __init__(self, host, host_network, network_client, service_credentials=None):
        """``host_network``: an ``agent.network.host.HostNetwork``.
        ``network_client(token)``: a ``contract.clients.network.NetworkClient`` acting
        with ``token``. ``service_credentials``: the agent's service user (``token()`` →
        a token, or None when Identity cannot give one), or None."""
        self.host = host
        self.host_network = host_network
        self.network_client = network_client
        self.service_credentials = service_credentials

    def service_client(self):
        """A network client acting as the agent's service user, or None without one."""
        token = self.service_credentials.token() if self.service_credentials else None
        return self.network_client(token) if token else None

    def client_for(self, ctxt):
        """The network client for a request: with the caller's token, else (a request of
        the agent's own) the service user's."""
        if ctxt is not None and ctxt.auth_token:
            return self.network_client(ctxt.auth_token)
        return self.service_client()

    def allocate(self, ctxt, instance, step):
        """Create (or bind) the instance's ports on this host and wire them here: the
        network_info. On failure nothing of it is left behind."""
        if not instance["requested_networks"]:
            return []
        client = self.network_client(ctxt.auth_token)
        binder = self.service_client() or client
        made = []
        network_info = []
        try:
            with step(NETWORKING_EVENT):
                for request in instance["requested_networks"]:
                    preserve = bool(request.get("port_id"))
                    port = network.bind_port(client, binder, instance, request, self.host)
                    made.append({"id": port["id"], "preserve_on_delete": preserve})
                    plugged = self.host_network.plug(port, binder)
                    network_info.append(network.vif(client, plugged, preserve))
        except Exception:
            self.release(client, made)
            raise
        return network_info

    def of_instance(self, client, instance):
        """The instance's ports: those of its network_info and, asked of the network
        service, any a build created but could not record before it stopped."""
        ports = {vif["id"]: vif.get("preserve_on_delete", False)
                 for vif in instance["network_info"]}
        if client is not None and instance["requested_networks"]:
            brought = {request["port_id"] for request in instance["requested_networks"]
                       if request.get("port_id")}
            for port in client.list_ports(device_id=instance["uuid"]):
                ports.setdefault(port["id"], port["id"] in brought)
        return [{"id": port_id, "preserve_on_delete": preserve}
                for port_id, preserve in ports.items()]

    def release(self, client, ports):
        """Unwire ``ports`` (network_info entries) from this host, then delete them, or
        unbind those the user brought (as the service user, if there is one: unbinding
        is an admin's act)."""
        for vif in ports:
            self.host_network.unplug(vif["id"])
        if not ports:
            return
        if client is None:
            LOG.warning("Ports %s stay in the network service: no token to delete them "
                        "with (configure [service_credentials])",
                        ", ".join(vif["id"] for vif in ports))
            return
        binder = self.service_client() or client
        for vif in ports:
            preserve = vif.get("preserve_on_delete", False)
            network.release_port(binder if preserve else client, vif["id"], preserve)

    def release_all(self, ctxt, instance):
        """Unwire and delete every port of the instance (its delete, an interrupted
        build)."""
        client = self.client_for(ctxt)
        self.release(client, self.of_instance(client, instance))

    def move_here(self, ctxt, instance):
        """Bind the server's ports to this host and wire them here (the destination of
        a move, or its source taking the server back): the new network_info. The
        ports keep their addresses."""
        client = self.client_for(ctxt)
        binder = self.service_client() or client
        network_info = []
        for vif in instance["network_info"]:
            port = binder.update_port(vif["id"], **{"binding:host_id": self.host})
            plugged = self.host_network.plug(port, binder)
            network_info.append(network.vif(client, plugged,
                                            vif.get("preserve_on_delete", False)))
        return network_info

    def unbind(self, ctxt, instance):
        """Unwire the server's ports here and bind them to no host (an offloaded
        server's): they keep their addresses for its unshelve."""
        self.unwire(instance)
        client = self.client_for(ctxt)
        binder = self.service_client() or client
        for vif in instance["network_info"]:
            binder.update_port(vif["id"], **{"binding:host_id": ""})

    def unwire(self, instance):
        """Take the server's ports off this host; they stay, bound to where the server
        is now."""
        for vif in instance["network_info"]:
            self.host_network.unplug(vif["id"])

    def rewire(self, instances):
        """Wire the ports of ``instances`` again (the host may have rebooted, or lost its
        bridges): ``plug`` only builds what is missing."""
        client = self.service_client()
        if client is None:
            return
        for instance in instances:
            for vif in instance["network_info"]:
                try:
                    self.host_network.plug(client.show_port(vif["id"]), client)
                except Exception:
                    LOG.exception("Could not wire port %s of %s again", vif["id"],
                                  instance["uuid"])

    def refresh(self):
        """Periodic: catch the networks wired here up with the network service, as the
        service user (who sees every host's ports on them)."""
        client = self.service_client()
        if client is not None:
            self.host_network.refresh(client)

    def refresh_filters(self):
        """Periodic (about every second): the port filters here (security groups)
        reconciled with the network service, as the service user."""
        client = self.service_client()
        if client is not None:
            self.host_network.refresh_filters(client)
