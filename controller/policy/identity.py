"""Identity API rules: admins manage everything; users read themselves, their projects
and validate or revoke their own tokens."""
from oslo_policy import policy

ADMIN = "rule:admin"
ADMIN_OR_SELF = "rule:admin or user_id:%(user_id)s"


def _rule(name, check, description, method, path):
    return policy.DocumentedRuleDefault(name=f"identity:{name}", check_str=check,
                                        description=description,
                                        operations=[{"method": m, "path": path}
                                                    for m in method.split(",")])


RULES = [
    _rule("validate_token", ADMIN_OR_SELF, "Validate a token (the caller's own, or any "
          "for an admin).", "GET,HEAD", "/v3/auth/tokens"),
    _rule("revoke_token", ADMIN_OR_SELF, "Revoke a token.", "DELETE", "/v3/auth/tokens"),
    _rule("get_domain", "rule:admin or rule:reader", "Show a domain.",
          "GET", "/v3/domains/{domain_id}"),
    _rule("list_domains", ADMIN, "List domains.", "GET", "/v3/domains"),
    _rule("get_project", "rule:admin or project_id:%(project_id)s",
          "Show a project (the one the token is scoped to, or any for an admin).",
          "GET", "/v3/projects/{project_id}"),
    _rule("list_projects", ADMIN, "List projects.", "GET", "/v3/projects"),
    _rule("list_user_projects", ADMIN_OR_SELF, "List the projects a user has roles on.",
          "GET", "/v3/users/{user_id}/projects"),
    _rule("create_project", ADMIN, "Create a project.", "POST", "/v3/projects"),
    _rule("update_project", ADMIN, "Update a project.", "PATCH", "/v3/projects/{project_id}"),
    _rule("delete_project", ADMIN, "Delete a project.", "DELETE", "/v3/projects/{project_id}"),
    _rule("get_user", ADMIN_OR_SELF, "Show a user (oneself, or any for an admin).",
          "GET", "/v3/users/{user_id}"),
    _rule("list_users", ADMIN, "List users.", "GET", "/v3/users"),
    _rule("create_user", ADMIN, "Create a user.", "POST", "/v3/users"),
    _rule("update_user", ADMIN, "Update a user.", "PATCH", "/v3/users/{user_id}"),
    _rule("delete_user", ADMIN, "Delete a user.", "DELETE", "/v3/users/{user_id}"),
    _rule("change_password", "user_id:%(user_id)s",
          "Change one's own password, giving the current one.",
          "POST", "/v3/users/{user_id}/password"),
    _rule("get_role", ADMIN, "Show a role.", "GET", "/v3/roles/{role_id}"),
    _rule("list_roles", ADMIN, "List roles.", "GET", "/v3/roles"),
    _rule("create_role", ADMIN, "Create a role.", "POST", "/v3/roles"),
    _rule("delete_role", ADMIN, "Delete a role.", "DELETE", "/v3/roles/{role_id}"),
    _rule("list_grants", ADMIN, "List a user's roles on a project.",
          "GET", "/v3/projects/{project_id}/users/{user_id}/roles"),
    _rule("check_grant", ADMIN, "Check a user's role on a project.",
          "HEAD,GET", "/v3/projects/{project_id}/users/{user_id}/roles/{role_id}"),
    _rule("create_grant", ADMIN, "Give a user a role on a project.",
          "PUT", "/v3/projects/{project_id}/users/{user_id}/roles/{role_id}"),
    _rule("revoke_grant", ADMIN, "Take a role on a project from a user.",
          "DELETE", "/v3/projects/{project_id}/users/{user_id}/roles/{role_id}"),
    _rule("list_role_assignments", ADMIN_OR_SELF,
          "List role assignments (one's own, filtered by user.id, or any for an admin).",
          "GET", "/v3/role_assignments"),
    _rule("get_service", ADMIN, "Show a catalog service.", "GET", "/v3/services/{service_id}"),
    _rule("list_services", ADMIN, "List catalog services.", "GET", "/v3/services"),
    _rule("get_endpoint", ADMIN, "Show an endpoint.", "GET", "/v3/endpoints/{endpoint_id}"),
    _rule("list_endpoints", ADMIN, "List endpoints.", "GET", "/v3/endpoints"),
]
