"""Who may use compute's floating IP proxy (Nova's ``os-floating-ips`` rule names): the
project's members change, its readers read; the network service checks again."""
from controller.policy.compute import _rule

_PATHS = {"add": ("POST", "/servers/{server_id}/action (addFloatingIp)"),
          "remove": ("POST", "/servers/{server_id}/action (removeFloatingIp)"),
          "list": ("GET", "/os-floating-ips"),
          "show": ("GET", "/os-floating-ips/{floating_ip_id}"),
          "create": ("POST", "/os-floating-ips"),
          "delete": ("DELETE", "/os-floating-ips/{floating_ip_id}")}

RULES = [_rule(f"os-floating-ips:{name}",
               "rule:project_reader" if name in ("list", "show") else "rule:project_member",
               f"{name.capitalize()} floating IPs (deprecated proxy)", [operation])
         for name, operation in _PATHS.items()]
