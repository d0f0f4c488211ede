"""Who may do what in the compute API (Nova's rule names and defaults, simplified to the
base rules: readers read their project's servers, members change them, admins do the
rest)."""
from oslo_policy import policy

PREFIX = "os_compute_api"
ANYONE = ""  # any authenticated caller
USER_OWNER = "rule:admin or user_id:%(user_id)s"


def _rule(name, check, description, operations):
    return policy.DocumentedRuleDefault(
        name=f"{PREFIX}:{name}", check_str=check, description=description,
        operations=[{"method": method, "path": path} for method, path in operations])


RULES = [
    # servers
    _rule("servers:index", "rule:project_reader", "List servers",
          [("GET", "/servers")]),
    _rule("servers:detail", "rule:project_reader", "List servers with details",
          [("GET", "/servers/detail")]),
    _rule("servers:index:get_all_tenants", "rule:admin",
          "List servers of every project", [("GET", "/servers")]),
    _rule("servers:allow_all_filters", "rule:admin",
          "Filter servers by host and other admin-only fields", [("GET", "/servers")]),
    _rule("servers:show", "rule:project_reader", "Show a server",
          [("GET", "/servers/{server_id}")]),
    _rule("servers:show:host_status", "rule:admin",
          "Show the state of a server's host", [("GET", "/servers/{server_id}")]),
    _rule("servers:create", "rule:project_member", "Create a server",
          [("POST", "/servers")]),
    _rule("servers:create:forced_host", "rule:admin",
          "Create a server on a named host", [("POST", "/servers")]),
    _rule("servers:update", "rule:project_member", "Rename or describe a server",
          [("PUT", "/servers/{server_id}")]),
    _rule("servers:delete", "rule:project_member", "Delete a server",
          [("DELETE", "/servers/{server_id}")]),
    _rule("servers:start", "rule:project_member", "Start a server",
          [("POST", "/servers/{server_id}/action (os-start)")]),
    _rule("servers:stop", "rule:project_member", "Stop a server",
          [("POST", "/servers/{server_id}/action (os-stop)")]),
    _rule("servers:reboot", "rule:project_member", "Reboot a server",
          [("POST", "/servers/{server_id}/action (reboot)")]),
    _rule("os-extended-server-attributes", "rule:admin",
          "See a server's host, hypervisor and other OS-EXT-SRV-ATTR fields",
          [("GET", "/servers/{server_id}")]),
    _rule("os-console-output", "rule:project_member", "Read a server's console log",
          [("POST", "/servers/{server_id}/action (os-getConsoleOutput)")]),
    _rule("server-metadata:index", "rule:project_reader", "List a server's metadata",
          [("GET", "/servers/{server_id}/metadata")]),
    _rule("server-metadata:update", "rule:project_member", "Change a server's metadata",
          [("POST", "/servers/{server_id}/metadata"),
           ("PUT", "/servers/{server_id}/metadata"),
           ("PUT", "/servers/{server_id}/metadata/{key}"),
           ("DELETE", "/servers/{server_id}/metadata/{key}")]),
    _rule("os-instance-actions:list", "rule:project_reader", "List a server's actions",
          [("GET", "/servers/{server_id}/os-instance-actions")]),
    _rule("os-instance-actions:show", "rule:project_reader", "Show a server's action",
          [("GET", "/servers/{server_id}/os-instance-actions/{request_id}")]),
    _rule("os-instance-actions:events:details", "rule:admin",
          "See the hosts and tracebacks of an action's events",
          [("GET", "/servers/{server_id}/os-instance-actions/{request_id}")]),
    _rule("os-volumes-attachments:index", "rule:project_reader",
          "List a server's volumes", [("GET", "/servers/{server_id}/os-volume_attachments")]),
    _rule("os-volumes-attachments:show", "rule:project_reader", "Show a server's volume",
          [("GET", "/servers/{server_id}/os-volume_attachments/{volume_id}")]),
    _rule("os-volumes-attachments:create", "rule:project_member",
          "Attach a volume to a server",
          [("POST", "/servers/{server_id}/os-volume_attachments")]),
    _rule("os-volumes-attachments:delete", "rule:project_member",
          "Detach a volume from a server",
          [("DELETE", "/servers/{server_id}/os-volume_attachments/{volume_id}")]),
    # flavors
    _rule("flavors:read", ANYONE, "List and show flavors and their extra specs",
          [("GET", "/flavors"), ("GET", "/flavors/{flavor_id}")]),
    _rule("os-flavor-manage", "rule:admin", "Create, change and delete flavors",
          [("POST", "/flavors"), ("PUT", "/flavors/{flavor_id}"),
           ("DELETE", "/flavors/{flavor_id}"),
           ("POST", "/flavors/{flavor_id}/os-extra_specs")]),
    # key pairs
    _rule("os-keypairs", USER_OWNER, "Create, list, show and delete key pairs",
          [("GET", "/os-keypairs"), ("POST", "/os-keypairs"),
           ("GET", "/os-keypairs/{name}"), ("DELETE", "/os-keypairs/{name}")]),
    # limits and quotas
    _rule("limits", ANYONE, "Show the caller's project's limits and usage",
          [("GET", "/limits")]),
    _rule("os-quota-sets:show", "rule:project_reader", "Show a project's quotas",
          [("GET", "/os-quota-sets/{project_id}")]),
    _rule("os-quota-sets:defaults", ANYONE, "Show the default quotas",
          [("GET", "/os-quota-sets/{project_id}/defaults")]),
    _rule("os-quota-sets:update", "rule:admin", "Set or reset a project's quotas",
          [("PUT", "/os-quota-sets/{project_id}"),
           ("DELETE", "/os-quota-sets/{project_id}")]),
    # server groups
    _rule("os-server-groups:index", "rule:project_reader", "List server groups",
          [("GET", "/os-server-groups")]),
    _rule("os-server-groups:index:all_projects", "rule:admin",
          "List server groups of every project", [("GET", "/os-server-groups")]),
    _rule("os-server-groups:show", "rule:project_reader", "Show a server group",
          [("GET", "/os-server-groups/{id}")]),
    _rule("os-server-groups:create", "rule:project_member", "Create a server group",
          [("POST", "/os-server-groups")]),
    _rule("os-server-groups:delete", "rule:project_member", "Delete a server group",
          [("DELETE", "/os-server-groups/{id}")]),
    # the cloud's hosts
    _rule("os-availability-zone:list", ANYONE, "List availability zones",
          [("GET", "/os-availability-zone")]),
    _rule("os-availability-zone:detail", "rule:admin",
          "List availability zones with their hosts",
          [("GET", "/os-availability-zone/detail")]),
    _rule("os-services", "rule:admin", "List, enable, disable and delete services",
          [("GET", "/os-services"), ("PUT", "/os-services/{service_id}"),
           ("DELETE", "/os-services/{service_id}")]),
    _rule("os-hypervisors", "rule:admin", "List and show hypervisors",
          [("GET", "/os-hypervisors"), ("GET", "/os-hypervisors/{id}")]),
]
