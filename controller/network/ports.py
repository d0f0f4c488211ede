"""Ports in the database: what Neutron's core plugin does for ports, each operation one
transaction of the network core (addresses and MACs from ``port_addresses``)."""
from sqlalchemy import exists, select

from controller.api import errors
from controller.network import ipam, l3_rules, quotas
from controller.network.models import Port
from controller.network.port_addresses import allocate, ipam_call, new_mac
from controller.network.security_groups import set_port_groups


class PortOperations:
    def __init__(self, core):
        self.core = core

    def create_port(self, project_id, network_id, scope, *, name="", description="",
                    admin_state_up=True, mac_address=None, fixed_ips=None, device_id="",
                    device_owner="", binding_host_id="", binding_profile=None,
                    security_groups=None, port_security_enabled=True):
        """``fixed_ips``: None (one address from the first subnet with room) or a list of
        {"subnet_id"?, "ip_address"?}; ``security_groups``: None (the project's default
        group) or a list of ids."""
        if mac_address is not None:
            mac_address = ipam_call(ipam.parse_mac, mac_address)

        def work(session):
            network = self.core.get_network(network_id, scope, session)
            quotas.check_room(session, self.core.conf, project_id, "port")
            if mac_address is None:
                mac = new_mac(session, network.id)
            elif session.scalar(select(exists().where(Port.network_id == network.id,
                                                      Port.mac_address == mac_address))):
                raise errors.Conflict(f"Unable to complete operation for network "
                                      f"{network.id}. The mac address {mac_address} is in "
                                      f"use.", "MacAddressInUse")
            else:
                mac = mac_address
            port = Port(project_id=project_id, network=network, mac_address=mac, name=name,
                        description=description, admin_state_up=admin_state_up,
                        device_id=device_id, device_owner=device_owner,
                        binding_host_id=binding_host_id or "",
                        binding_profile=binding_profile or {},
                        port_security_enabled=port_security_enabled, fixed_ips=[])
            port.fixed_ips = allocate(session, network, fixed_ips, [])
            set_port_groups(session, port, security_groups, port_security_enabled,
                            creating=True)
            session.add(port)
            session.flush()
            return port

        return self.core.run(work)

    def update_port(self, port_id, scope, changes):
        """``changes``: name, description, admin_state_up, device_id, device_owner,
        binding_host_id, binding_profile, fixed_ips, security_groups,
        port_security_enabled."""
        def work(session):
            port = self.core.get_port(port_id, scope, session)
            if "fixed_ips" in changes:
                port.fixed_ips = allocate(session, port.network, changes["fixed_ips"],
                                          list(port.fixed_ips))
            if "security_groups" in changes or "port_security_enabled" in changes:
                set_port_groups(
                    session, port, changes.get("security_groups"),
                    changes.get("port_security_enabled", port.port_security_enabled),
                    creating=False)
            for key, value in changes.items():
                if key not in ("fixed_ips", "security_groups"):
                    setattr(port, key, value)
            port.revision_number += 1
            session.flush()
            return port

        return self.core.run(work)

    def delete_port(self, port_id, scope):
        def work(session):
            port = self.core.get_port(port_id, scope, session)
            l3_rules.before_port_delete(session, port)
            session.delete(port)

        self.core.run(work)
