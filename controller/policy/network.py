"""Who may do what in the networking API (Neutron's rule names).

Targets carry the resource's ``project_id`` plus facts the rules test: ``shared`` (the
network is shared), ``network:project_id`` (owner of the port's or subnet's network),
``network_device`` (the port's device_owner starts with ``network:``) and
``dhcp_port_of_visible_network``.

Binding a port to a host (``binding:host_id``, ``binding:profile``) is an admin's act, as
in Neutron: the compute agents bind with their service user, so a port's owner cannot
point its port (and its network's traffic) at a host of their choosing.
"""
from oslo_policy import policy

from controller.policy import documented as _rule

NETWORK_OWNER = "project_id:%(network:project_id)s"




RULES = [
    policy.RuleDefault("shared_network", "True:%(shared)s",
                       description="The network (or the subnet's network) is shared."),
    policy.RuleDefault("external_network", "True:%(router:external)s",
                       description="The network is external (router:external): every "
                                   "project may see it, to take floating IPs and "
                                   "router gateways from it."),
    policy.RuleDefault("network_owner", f"role:member and {NETWORK_OWNER}",
                       description="A member of the project that owns the network."),
    policy.RuleDefault("admin_or_network_owner", "rule:admin or rule:network_owner"),

    _rule("create_network", "rule:project_member", "Create a network.",
          "/networks", "POST"),
    _rule("create_network:shared", "rule:admin", "Create a shared network.",
          "/networks", "POST"),
    _rule("create_network:router:external", "rule:admin",
          "Set router:external when creating a network.", "/networks", "POST"),
    _rule("create_network:provider:network_type", "rule:admin",
          "Choose the network type (flat or vxlan).", "/networks", "POST"),
    _rule("create_network:provider:physical_network", "rule:admin",
          "Choose the physical network of a flat network.", "/networks", "POST"),
    _rule("create_network:provider:segmentation_id", "rule:admin",
          "Choose the VNI of a vxlan network.", "/networks", "POST"),
    _rule("get_network",
          "rule:admin or (role:reader and (rule:owner or rule:shared_network or "
          "rule:external_network))",
          "Show or list networks: the project's own, shared and external ones.",
          "/networks/{id}", "GET"),
    _rule("get_network:provider:network_type", "rule:admin",
          "See a network's type.", "/networks/{id}", "GET"),
    _rule("get_network:provider:physical_network", "rule:admin",
          "See a flat network's physical network.", "/networks/{id}", "GET"),
    _rule("get_network:provider:segmentation_id", "rule:admin",
          "See a vxlan network's VNI.", "/networks/{id}", "GET"),
    _rule("update_network", "rule:project_member", "Update a network.",
          "/networks/{id}", "PUT"),
    _rule("update_network:shared", "rule:admin", "Share or unshare a network.",
          "/networks/{id}", "PUT"),
    _rule("update_network:router:external", "rule:admin",
          "Set router:external on a network.", "/networks/{id}", "PUT"),
    _rule("delete_network", "rule:project_member", "Delete a network.",
          "/networks/{id}", "DELETE"),

    _rule("create_subnet", "rule:admin_or_network_owner",
          "Create a subnet on a network the project owns.", "/subnets", "POST"),
    _rule("get_subnet",
          "rule:admin or (role:reader and (rule:owner or rule:shared_network))",
          "Show or list subnets: the project's own and those of shared networks.",
          "/subnets/{id}", "GET"),
    _rule("update_subnet", "rule:admin_or_network_owner", "Update a subnet.",
          "/subnets/{id}", "PUT"),
    _rule("delete_subnet", "rule:admin_or_network_owner", "Delete a subnet.",
          "/subnets/{id}", "DELETE"),

    _rule("create_port", "rule:project_member", "Create a port.", "/ports", "POST"),
    _rule("create_port:device_owner",
          "not True:%(network_device)s or rule:admin_or_network_owner",
          "Create a port owned by a network service (device_owner network:*).",
          "/ports", "POST"),
    _rule("create_port:mac_address", "rule:admin_or_network_owner",
          "Choose a port's MAC address.", "/ports", "POST"),
    _rule("create_port:fixed_ips:ip_address", "rule:admin_or_network_owner",
          "Choose a port's IP address.", "/ports", "POST"),
    _rule("create_port:binding:host_id", "rule:admin",
          "Bind a port to a host when creating it.", "/ports", "POST"),
    _rule("create_port:binding:profile", "rule:admin",
          "Give a port's binding profile when creating it.", "/ports", "POST"),
    _rule("get_port",
          "rule:admin or (role:reader and (rule:owner or "
          "True:%(dhcp_port_of_visible_network)s))",
          "Show or list ports: the project's own, and the DHCP port of each network "
          "it can see (a host serving the network's DHCP needs its address).",
          "/ports/{id}", "GET"),
    _rule("update_port", "rule:project_member", "Update a port.", "/ports/{id}", "PUT"),
    _rule("update_port:device_owner",
          "not True:%(network_device)s or rule:admin_or_network_owner",
          "Give a port a network service's device_owner (network:*).",
          "/ports/{id}", "PUT"),
    _rule("update_port:fixed_ips:ip_address", "rule:admin_or_network_owner",
          "Choose a port's IP address.", "/ports/{id}", "PUT"),
    _rule("update_port:binding:host_id", "rule:admin",
          "Bind a port to a host, or unbind it.", "/ports/{id}", "PUT"),
    _rule("update_port:binding:profile", "rule:admin",
          "Change a port's binding profile.", "/ports/{id}", "PUT"),
    _rule("delete_port", "rule:project_member", "Delete a port.", "/ports/{id}", "DELETE"),

    _rule("create_security_group", "rule:project_member", "Create a security group.",
          "/security-groups", "POST"),
    _rule("get_security_group", "rule:project_reader",
          "Show or list security groups: the project's own.",
          "/security-groups/{id}", "GET"),
    _rule("update_security_group", "rule:project_member", "Update a security group.",
          "/security-groups/{id}", "PUT"),
    _rule("delete_security_group", "rule:project_member", "Delete a security group.",
          "/security-groups/{id}", "DELETE"),
    _rule("create_security_group_rule", "rule:project_member",
          "Add a rule to a security group of the project.", "/security-group-rules",
          "POST"),
    _rule("get_security_group_rule", "rule:project_reader",
          "Show or list the rules of the project's security groups.",
          "/security-group-rules/{id}", "GET"),
    _rule("delete_security_group_rule", "rule:project_member",
          "Delete a rule of a security group of the project.",
          "/security-group-rules/{id}", "DELETE"),

    policy.DocumentedRuleDefault(
        "get_quota", "rule:project_reader",
        "Show a project's quotas, their defaults and their usage; the list of projects "
        "with quotas of their own shows those the caller may see.",
        [{"path": path, "method": "GET"} for path in (
            "/quotas", "/quotas/{id}", "/quotas/{id}/default", "/quotas/{id}/details")]),
    _rule("update_quota", "rule:admin", "Set a project's quotas.", "/quotas/{id}", "PUT"),
    _rule("delete_quota", "rule:admin", "Return a project to the default quotas.",
          "/quotas/{id}", "DELETE"),
    _rule("get_agent", "rule:admin", "List and show the hosts' network agents (others "
          "list none).", "/agents", "GET"),
    _rule("update_agent", "rule:admin", "Describe an agent.", "/agents/{id}", "PUT"),
    _rule("delete_agent", "rule:admin", "Forget an agent's description.", "/agents/{id}",
          "DELETE"),
]
