"""Who may do what with routers and floating IPs (Neutron's L3 rule names).

As in Neutron, choosing SNAT or a router's external addresses and a floating IP's
address are an admin's acts; everything else is the owning project's.
"""
from controller.policy import documented as _rule




_GATEWAY = "external_gateway_info"

RULES = [
    _rule("create_router", "rule:project_member", "Create a router.", "/routers", "POST"),
    _rule(f"create_router:{_GATEWAY}", "rule:project_member",
          "Give a new router an external gateway.", "/routers", "POST"),
    _rule(f"create_router:{_GATEWAY}:enable_snat", "rule:admin",
          "Choose whether a new router's gateway does SNAT.", "/routers", "POST"),
    _rule(f"create_router:{_GATEWAY}:external_fixed_ips", "rule:admin",
          "Choose a new router's external addresses.", "/routers", "POST"),
    _rule("get_router", "rule:project_reader", "Show or list routers.",
          "/routers/{id}", "GET"),
    _rule("update_router", "rule:project_member", "Update a router.",
          "/routers/{id}", "PUT"),
    _rule(f"update_router:{_GATEWAY}", "rule:project_member",
          "Set or clear a router's external gateway.", "/routers/{id}", "PUT"),
    _rule(f"update_router:{_GATEWAY}:enable_snat", "rule:admin",
          "Choose whether a router's gateway does SNAT.", "/routers/{id}", "PUT"),
    _rule(f"update_router:{_GATEWAY}:external_fixed_ips", "rule:admin",
          "Choose a router's external addresses.", "/routers/{id}", "PUT"),
    _rule("delete_router", "rule:project_member", "Delete a router.",
          "/routers/{id}", "DELETE"),
    _rule("add_router_interface", "rule:project_member",
          "Plug a subnet or port into a router.",
          "/routers/{id}/add_router_interface", "PUT"),
    _rule("remove_router_interface", "rule:project_member",
          "Unplug a subnet or port from a router.",
          "/routers/{id}/remove_router_interface", "PUT"),

    _rule("create_floatingip", "rule:project_member", "Create a floating IP.",
          "/floatingips", "POST"),
    _rule("create_floatingip:floating_ip_address", "rule:admin",
          "Choose a floating IP's address.", "/floatingips", "POST"),
    _rule("get_floatingip", "rule:project_reader", "Show or list floating IPs.",
          "/floatingips/{id}", "GET"),
    _rule("update_floatingip", "rule:project_member",
          "Associate or disassociate a floating IP.", "/floatingips/{id}", "PUT"),
    _rule("delete_floatingip", "rule:project_member", "Delete a floating IP.",
          "/floatingips/{id}", "DELETE"),
]
