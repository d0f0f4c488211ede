"""Identity API rules, after Keystone's defaults: an admin (in any scope, as Keystone
without ``enforce_scope``) manages everything; a reader on the system reads everything; a
reader on a domain reads that domain's users and groups; users read themselves, their
projects and validate or revoke their own tokens."""
from controller.policy import documented

ADMIN = "rule:admin"
ADMIN_OR_SELF = "rule:admin or user_id:%(user_id)s"
SYSTEM_READER = "(role:reader and system_scope:all)"
DOMAIN_READER = "(role:reader and domain_id:%(domain_id)s)"
READER = f"rule:admin or {SYSTEM_READER}"
DOMAIN_OBJECT_READER = f"{READER} or {DOMAIN_READER}"
SELF_OR_READER = f"{ADMIN_OR_SELF} or {SYSTEM_READER}"
PROJECT_MEMBER_OR_READER = f"rule:admin or project_id:%(project_id)s or {SYSTEM_READER}"


def _rule(name, check, description, methods, path):
    return documented(f"identity:{name}", check, description, path, *methods.split(","))


def _crud(kind, plural, noun=None, get=READER, listing=READER, texts=()):
    """Show, list, create, update and delete of one kind of record: ``get`` and
    ``listing`` read, admins change; ``texts`` overrides a default description."""
    noun = noun or kind
    text = {"get": f"Show a {noun}.", "list": f"List {noun}s.",
            "create": f"Create a {noun}.", "update": f"Update a {noun}.",
            "delete": f"Delete a {noun}.", **dict(texts)}
    collection, item = f"/v3/{plural}", f"/v3/{plural}/{{{kind}_id}}"
    return [_rule(f"get_{kind}", get, text["get"], "GET", item),
            _rule(f"list_{plural}", listing, text["list"], "GET", collection),
            _rule(f"create_{kind}", ADMIN, text["create"], "POST", collection),
            _rule(f"update_{kind}", ADMIN, text["update"], "PATCH", item),
            _rule(f"delete_{kind}", ADMIN, text["delete"], "DELETE", item)]


RULES = [
    _rule("validate_token", ADMIN_OR_SELF, "Validate a token (the caller's own, or any "
          "for an admin).", "GET,HEAD", "/v3/auth/tokens"),
    _rule("revoke_token", ADMIN_OR_SELF, "Revoke a token.", "DELETE", "/v3/auth/tokens"),
    *_crud("domain", "domains", get="rule:admin or rule:reader",
           texts={"delete": "Delete a disabled domain and all it holds."}),
    *_crud("project", "projects", get=PROJECT_MEMBER_OR_READER,
           texts={"get": "Show a project (the one the token is scoped to, or any for an "
                         "admin)."}),
    _rule("get_project_tags", PROJECT_MEMBER_OR_READER,
          "List a project's tags.", "GET,HEAD", "/v3/projects/{project_id}/tags"),
    _rule("get_project_tag", PROJECT_MEMBER_OR_READER,
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
    *_crud("user", "users", get=SELF_OR_READER, listing=DOMAIN_OBJECT_READER,
           texts={"get": "Show a user (oneself, or any for an admin)."}),
    *_crud("group", "groups", listing=DOMAIN_OBJECT_READER),
    _rule("list_users_in_group", READER, "List a group's members.",
          "GET", "/v3/groups/{group_id}/users"),
    _rule("check_user_in_group", READER, "Check that a user is in a group.",
          "HEAD,GET", "/v3/groups/{group_id}/users/{user_id}"),
    _rule("add_user_to_group", ADMIN, "Put a user in a group.",
          "PUT", "/v3/groups/{group_id}/users/{user_id}"),
    _rule("remove_user_from_group", ADMIN, "Take a user out of a group.",
          "DELETE", "/v3/groups/{group_id}/users/{user_id}"),
    _rule("list_groups_for_user", SELF_OR_READER,
          "List the groups a user is in.", "GET", "/v3/users/{user_id}/groups"),
    *_crud("role", "roles"),
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
    _rule("list_role_assignments", SELF_OR_READER,
          "List role assignments (one's own, filtered by user.id, or any for an admin).",
          "GET", "/v3/role_assignments"),
    *_crud("service", "services", noun="catalog service"),
    *_crud("endpoint", "endpoints", noun="catalog endpoint",
           texts={"get": "Show an endpoint.", "list": "List endpoints."}),
    # Regions are read by anyone.
    *_crud("region", "regions", noun="catalog region", get="", listing="",
           texts={"get": "Show a region (anyone).", "list": "List regions (anyone)."}),
    _rule("list_credentials", READER, "List every user's credentials (others see "
          "their own).", "GET", "/v3/credentials"),
    _rule("get_credential", SELF_OR_READER, "Show a credential.",
          "GET", "/v3/credentials/{credential_id}"),
    _rule("create_credential", ADMIN_OR_SELF, "Create a credential (for oneself, or for "
          "anyone as an admin).", "POST", "/v3/credentials"),
    _rule("ec2_list_credentials", SELF_OR_READER,
          "List a user's EC2 key pairs.", "GET", "/v3/users/{user_id}/credentials/OS-EC2"),
    _rule("ec2_get_credential", SELF_OR_READER,
          "Show an EC2 key pair.", "GET", "/v3/users/{user_id}/credentials/OS-EC2/{access}"),
    _rule("ec2_create_credential", ADMIN_OR_SELF, "Create an EC2 key pair.",
          "POST", "/v3/users/{user_id}/credentials/OS-EC2"),
    _rule("ec2_delete_credential", ADMIN_OR_SELF, "Delete an EC2 key pair.",
          "DELETE", "/v3/users/{user_id}/credentials/OS-EC2/{access}"),
    *_crud("policy", "policies", noun="policy blob",
           texts={"list": "List policy blobs.", "create": "Store a policy blob."}),
    _rule("list_application_credentials", SELF_OR_READER,
          "List a user's application credentials.",
          "GET", "/v3/users/{user_id}/application_credentials"),
    _rule("get_application_credential", SELF_OR_READER,
          "Show an application credential.",
          "GET", "/v3/users/{user_id}/application_credentials/{credential_id}"),
    _rule("create_application_credential", "user_id:%(user_id)s",
          "Make an application credential of one's own roles.",
          "POST", "/v3/users/{user_id}/application_credentials"),
    _rule("delete_application_credential", ADMIN_OR_SELF,
          "Delete an application credential.",
          "DELETE", "/v3/users/{user_id}/application_credentials/{credential_id}"),
    *[_rule(name, READER, text, "GET,HEAD" if name.startswith(("get", "check")) else "GET",
            f"/v3/OS-EP-FILTER/{path}")
      for name, text, path in (
          ("list_endpoint_groups", "List endpoint groups.", "endpoint_groups"),
          ("get_endpoint_group", "Show an endpoint group.", "endpoint_groups/{id}"),
          ("list_endpoints_associated_with_endpoint_group", "List the endpoints an "
           "endpoint group picks.", "endpoint_groups/{id}/endpoints"),
          ("list_projects_associated_with_endpoint_group", "List the projects given an "
           "endpoint group.", "endpoint_groups/{id}/projects"),
          ("get_endpoint_group_in_project", "Check that a project is given an endpoint "
           "group.", "endpoint_groups/{id}/projects/{project_id}"),
          ("list_endpoint_groups_for_project", "List the endpoint groups given to a "
           "project.", "projects/{project_id}/endpoint_groups"),
          ("list_endpoints_for_project", "List the endpoints given to a project.",
           "projects/{project_id}/endpoints"),
          ("check_endpoint_in_project", "Check that a project is given an endpoint.",
           "projects/{project_id}/endpoints/{endpoint_id}"),
          ("list_projects_for_endpoint", "List the projects given an endpoint.",
           "endpoints/{endpoint_id}/projects"))],
    *[_rule(name, ADMIN, text, method, f"/v3/OS-EP-FILTER/{path}")
      for name, text, method, path in (
          ("create_endpoint_group", "Create an endpoint group.", "POST", "endpoint_groups"),
          ("update_endpoint_group", "Update an endpoint group.", "PATCH",
           "endpoint_groups/{id}"),
          ("delete_endpoint_group", "Delete an endpoint group.", "DELETE",
           "endpoint_groups/{id}"),
          ("add_endpoint_group_to_project", "Give a project an endpoint group.", "PUT",
           "endpoint_groups/{id}/projects/{project_id}"),
          ("remove_endpoint_group_from_project", "Take an endpoint group from a project.",
           "DELETE", "endpoint_groups/{id}/projects/{project_id}"),
          ("add_endpoint_to_project", "Give a project an endpoint.", "PUT",
           "projects/{project_id}/endpoints/{endpoint_id}"),
          ("remove_endpoint_from_project", "Take an endpoint from a project.", "DELETE",
           "projects/{project_id}/endpoints/{endpoint_id}"))],
]
