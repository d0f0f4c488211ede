"""Identity API rules, after Keystone's defaults: an admin (in any scope, as Keystone
without ``enforce_scope``) manages everything; a reader on the system reads everything; a
reader on a domain reads that domain's users and groups; users read themselves, their
projects and validate or revoke their own tokens."""
from oslo_policy import policy

ADMIN = "rule:admin"
ADMIN_OR_SELF = "rule:admin or user_id:%(user_id)s"
SYSTEM_READER = "(role:reader and system_scope:all)"
DOMAIN_READER = "(role:reader and domain_id:%(domain_id)s)"
READER = f"rule:admin or {SYSTEM_READER}"
DOMAIN_OBJECT_READER = f"{READER} or {DOMAIN_READER}"


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
    _rule("list_domains", READER, "List domains.", "GET", "/v3/domains"),
    _rule("create_domain", ADMIN, "Create a domain.", "POST", "/v3/domains"),
    _rule("update_domain", ADMIN, "Update a domain.", "PATCH", "/v3/domains/{domain_id}"),
    _rule("delete_domain", ADMIN, "Delete a disabled domain and all it holds.",
          "DELETE", "/v3/domains/{domain_id}"),
    _rule("get_project", f"rule:admin or project_id:%(project_id)s or {SYSTEM_READER}",
          "Show a project (the one the token is scoped to, or any for an admin).",
          "GET", "/v3/projects/{project_id}"),
    _rule("list_projects", READER, "List projects.", "GET", "/v3/projects"),
    _rule("get_project_tags", f"rule:admin or project_id:%(project_id)s or {SYSTEM_READER}",
          "List a project's tags.", "GET,HEAD", "/v3/projects/{project_id}/tags"),
    _rule("get_project_tag", f"rule:admin or project_id:%(project_id)s or {SYSTEM_READER}",
          "Check a project's tag.", "GET,HEAD", "/v3/projects/{project_id}/tags/{value}"),
    _rule("update_project_tags", ADMIN, "Replace a project's tags.",
          "PUT", "/v3/projects/{project_id}/tags"),
    _rule("delete_project_tags", ADMIN, "Remove every tag of a project.",
          "DELETE", "/v3/projects/{project_id}/tags"),
    _rule("create_project_tag", ADMIN, "Add a tag to a project.",
          "PUT", "/v3/projects/{project_id}/tags/{value}"),
    _rule("delete_project_tag", ADMIN, "Remove a tag from a project.",
          "DELETE", "/v3/projects/{project_id}/tags/{value}"),
    _rule("list_user_projects", ADMIN_OR_SELF, "List the projects a user has roles on.",
          "GET", "/v3/users/{user_id}/projects"),
    _rule("create_project", ADMIN, "Create a project.", "POST", "/v3/projects"),
    _rule("update_project", ADMIN, "Update a project.", "PATCH", "/v3/projects/{project_id}"),
    _rule("delete_project", ADMIN, "Delete a project.", "DELETE", "/v3/projects/{project_id}"),
    _rule("get_user", f"{ADMIN_OR_SELF} or {SYSTEM_READER}", "Show a user (oneself, or any for an admin).",
          "GET", "/v3/users/{user_id}"),
    _rule("list_users", DOMAIN_OBJECT_READER, "List users.", "GET", "/v3/users"),
    _rule("create_user", ADMIN, "Create a user.", "POST", "/v3/users"),
    _rule("update_user", ADMIN, "Update a user.", "PATCH", "/v3/users/{user_id}"),
    _rule("delete_user", ADMIN, "Delete a user.", "DELETE", "/v3/users/{user_id}"),
    _rule("list_groups", DOMAIN_OBJECT_READER, "List groups.", "GET", "/v3/groups"),
    _rule("get_group", READER, "Show a group.", "GET", "/v3/groups/{group_id}"),
    _rule("create_group", ADMIN, "Create a group.", "POST", "/v3/groups"),
    _rule("update_group", ADMIN, "Update a group.", "PATCH", "/v3/groups/{group_id}"),
    _rule("delete_group", ADMIN, "Delete a group.", "DELETE", "/v3/groups/{group_id}"),
    _rule("list_users_in_group", READER, "List a group's members.",
          "GET", "/v3/groups/{group_id}/users"),
    _rule("check_user_in_group", READER, "Check that a user is in a group.",
          "HEAD,GET", "/v3/groups/{group_id}/users/{user_id}"),
    _rule("add_user_to_group", ADMIN, "Put a user in a group.",
          "PUT", "/v3/groups/{group_id}/users/{user_id}"),
    _rule("remove_user_from_group", ADMIN, "Take a user out of a group.",
          "DELETE", "/v3/groups/{group_id}/users/{user_id}"),
    _rule("list_groups_for_user", f"{ADMIN_OR_SELF} or {SYSTEM_READER}",
          "List the groups a user is in.", "GET", "/v3/users/{user_id}/groups"),
    _rule("get_role", READER, "Show a role.", "GET", "/v3/roles/{role_id}"),
    _rule("list_roles", READER, "List roles.", "GET", "/v3/roles"),
    _rule("create_role", ADMIN, "Create a role.", "POST", "/v3/roles"),
    _rule("update_role", ADMIN, "Update a role.", "PATCH", "/v3/roles/{role_id}"),
    _rule("delete_role", ADMIN, "Delete a role.", "DELETE", "/v3/roles/{role_id}"),
    _rule("list_implied_roles", READER, "List the roles a role implies.",
          "GET,HEAD", "/v3/roles/{role_id}/implies"),
    _rule("list_role_inference_rules", READER, "List every role inference rule.",
          "GET,HEAD", "/v3/role_inferences"),
    _rule("get_implied_role", READER, "Show a role inference rule.",
          "GET", "/v3/roles/{role_id}/implies/{implied_role_id}"),
    _rule("check_implied_role", READER, "Check a role inference rule.",
          "HEAD", "/v3/roles/{role_id}/implies/{implied_role_id}"),
    _rule("create_implied_role", ADMIN, "Create a role inference rule.",
          "PUT", "/v3/roles/{role_id}/implies/{implied_role_id}"),
    _rule("delete_implied_role", ADMIN, "Delete a role inference rule.",
          "DELETE", "/v3/roles/{role_id}/implies/{implied_role_id}"),
    _rule("list_grants", DOMAIN_OBJECT_READER, "List a user's or group's roles on a project "
          "or domain.", "GET", "/v3/{projects|domains}/{id}/{users|groups}/{id}/roles"),
    _rule("check_grant", DOMAIN_OBJECT_READER, "Check a user's or group's role on a "
          "project or domain.",
          "HEAD,GET", "/v3/{projects|domains}/{id}/{users|groups}/{id}/roles/{role_id}"),
    _rule("create_grant", ADMIN, "Give a user or group a role on a project or domain.",
          "PUT", "/v3/{projects|domains}/{id}/{users|groups}/{id}/roles/{role_id}"),
    _rule("revoke_grant", ADMIN, "Take a role on a project or domain from a user or group.",
          "DELETE", "/v3/{projects|domains}/{id}/{users|groups}/{id}/roles/{role_id}"),
    *[rule for actor in ("user", "group") for rule in (
        _rule(f"list_system_grants_for_{actor}", READER, f"List a {actor}'s system roles.",
              "GET", f"/v3/system/{actor}s/{{{actor}_id}}/roles"),
        _rule(f"check_system_grant_for_{actor}", READER, f"Check a {actor}'s system role.",
              "HEAD,GET", f"/v3/system/{actor}s/{{{actor}_id}}/roles/{{role_id}}"),
        _rule(f"create_system_grant_for_{actor}", ADMIN, f"Give a {actor} a system role.",
              "PUT", f"/v3/system/{actor}s/{{{actor}_id}}/roles/{{role_id}}"),
        _rule(f"revoke_system_grant_for_{actor}", ADMIN,
              f"Take a system role from a {actor}.",
              "DELETE", f"/v3/system/{actor}s/{{{actor}_id}}/roles/{{role_id}}"))],
    _rule("list_role_assignments", f"{ADMIN_OR_SELF} or {SYSTEM_READER}",
          "List role assignments (one's own, filtered by user.id, or any for an admin).",
          "GET", "/v3/role_assignments"),
    _rule("get_service", READER, "Show a catalog service.", "GET", "/v3/services/{service_id}"),
    _rule("list_services", READER, "List catalog services.", "GET", "/v3/services"),
    _rule("get_endpoint", READER, "Show an endpoint.", "GET", "/v3/endpoints/{endpoint_id}"),
    _rule("list_endpoints", READER, "List endpoints.", "GET", "/v3/endpoints"),
    *[rule for kind, path in (("service", "services"), ("endpoint", "endpoints"),
                              ("region", "regions")) for rule in (
        _rule(f"create_{kind}", ADMIN, f"Create a catalog {kind}.", "POST", f"/v3/{path}"),
        _rule(f"update_{kind}", ADMIN, f"Update a catalog {kind}.", "PATCH",
              f"/v3/{path}/{{{kind}_id}}"),
        _rule(f"delete_{kind}", ADMIN, f"Delete a catalog {kind}.", "DELETE",
              f"/v3/{path}/{{{kind}_id}}"))],
    _rule("list_credentials", READER, "List every user's credentials (others see "
          "their own).", "GET", "/v3/credentials"),
    _rule("get_credential", f"{ADMIN_OR_SELF} or {SYSTEM_READER}", "Show a credential.",
          "GET", "/v3/credentials/{credential_id}"),
    _rule("create_credential", ADMIN_OR_SELF, "Create a credential (for oneself, or for "
          "anyone as an admin).", "POST", "/v3/credentials"),
    _rule("ec2_list_credentials", f"{ADMIN_OR_SELF} or {SYSTEM_READER}",
          "List a user's EC2 key pairs.", "GET", "/v3/users/{user_id}/credentials/OS-EC2"),
    _rule("ec2_get_credential", f"{ADMIN_OR_SELF} or {SYSTEM_READER}",
          "Show an EC2 key pair.", "GET", "/v3/users/{user_id}/credentials/OS-EC2/{access}"),
    _rule("ec2_create_credential", ADMIN_OR_SELF, "Create an EC2 key pair.",
          "POST", "/v3/users/{user_id}/credentials/OS-EC2"),
    _rule("ec2_delete_credential", ADMIN_OR_SELF, "Delete an EC2 key pair.",
          "DELETE", "/v3/users/{user_id}/credentials/OS-EC2/{access}"),
    _rule("get_region", "", "Show a region (anyone).", "GET", "/v3/regions/{region_id}"),
    _rule("list_regions", "", "List regions (anyone).", "GET", "/v3/regions"),
]
