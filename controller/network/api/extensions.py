"""``/v2.0/extensions``: the Neutron API extensions this service implements, which
clients consult before using an attribute or query feature."""
from controller.api import errors

_UPDATED = "2026-11-24T00:00:00-00:00"

EXTENSIONS = [
    ("agent", "agent", "The agent management extension."),
    ("binding", "Port Binding", "Expose port bindings of a virtual port to external "
     "application"),
    ("provider", "Provider Network", "Expose mapping of virtual networks to physical "
     "networks"),
    ("external-net", "Neutron external network", "Adds external network attribute to "
     "network resource."),
    ("router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between "
     "L2 Neutron networks and access to external networks via a NAT gateway."),
    ("ext-gw-mode", "Neutron L3 Configurable external gateway mode", "Extension of the "
     "router abstraction for specifying whether SNAT should occur on the external "
     "gateway"),
    ("extraroute", "Neutron Extra Route", "Extra routes configuration for L3 router"),
    ("network-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
    ("project-id", "project_id field enabled", "Extension that indicates that project_id "
     "field is enabled."),
    ("standard-attr-description", "standard-attr-description", "Extension to add "
     "descriptions to standard attributes"),
    ("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at "
     "fields to all Neutron resources that have Neutron standard attributes."),
    ("standard-attr-revisions", "Resource revision numbers", "This extension will "
     "display the revision number of neutron resources."),
    ("sorting", "Sorting support", "Extension that indicates that sorting is enabled."),
    ("pagination", "Pagination support", "Extension that indicates that pagination is "
     "enabled."),
    ("filter-validation", "Filter parameters validation", "Provides validation on "
     "filter parameters."),
    ("ip-substring-filtering", "IP address substring filtering", "Provides IP address "
     "substring filtering when listing ports"),
    ("security-group", "security-group", "The security groups extension."),
    ("port-security", "Port Security", "Provides port security"),
    ("stateful-security-group", "Stateful security group", "Indicates if the security "
     "group is stateful or not"),
    ("quotas", "Quota management support", "Expose functions for quotas management per "
     "project"),
    ("quota_details", "Quota details management support", "Expose functions for quotas "
     "usage statistics per project"),
    ("quota-check-limit", "Quota engine limit check", "Neutron quota engine checks the "
     "resource usage before applying a new quota limit"),
    ("quota-check-limit-default", "Quota engine limit check by default", "By default, "
     "the Neutron quota engine checks the resource usage before applying a new quota "
     "limit"),
]


def _view(alias, name, description):
    return {"alias": alias, "name": name, "description": description,
            "updated": _UPDATED, "links": []}


class Extensions:
    def on_get(self, req, resp):
        resp.media = {"extensions": [_view(*extension) for extension in EXTENSIONS]}


class Extension:
    def on_get(self, req, resp, alias):
        for extension in EXTENSIONS:
            if extension[0] == alias:
                resp.media = {"extension": _view(*extension)}
                return
        raise errors.NotFound(f"Extension with alias {alias} does not exist",
                              "ExtensionNotFound")
