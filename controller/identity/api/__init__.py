"""The identity API (Keystone v3 subset), mounted at ``/identity``."""
from controller.api.app import make_service_app
from controller.identity.api import (app_credentials, auth_tokens, catalog, common,
                                     credentials, domains, endpoint_filter, grants, groups,
                                     policies, projects, roles, users, versions)
from controller.identity.endpoint_filter import EndpointFilter
from controller.identity.token_service import TokenService
from controller.identity.validation import LocalValidator


def create_app(runtime):
    # Share the middleware's TokenService so a revocation here is seen by every API at once.
    if isinstance(runtime.validator, LocalValidator):
        tokens = runtime.validator.token_service
    else:
        tokens = TokenService(runtime.conf, runtime.db)
    db = runtime.db
    app = make_service_app(runtime, common.error_body, require_scope=False)
    routes = {
        "/": versions.Versions(),
        "/v3": versions.Version(),
        "/v3/auth/tokens": auth_tokens.Tokens(tokens),
        "/v3/auth/projects": auth_tokens.AuthScopes(db, "projects"),
        "/v3/auth/domains": auth_tokens.AuthScopes(db, "domains"),
        "/v3/auth/system": auth_tokens.AuthScopes(db, "system"),
        "/v3/auth/catalog": auth_tokens.AuthCatalog(db),
        "/v3/domains": domains.Domains(db),
        "/v3/domains/{domain_id}": domains.Domain(db, tokens),
        "/v3/projects": projects.Projects(db),
        "/v3/projects/{project_id}": projects.Project(db, tokens),
        "/v3/projects/{project_id}/tags": projects.ProjectTags(db),
        "/v3/projects/{project_id}/tags/{value}": projects.ProjectTag(db),
        "/v3/users": users.Users(db, tokens),
        "/v3/users/{user_id}": users.User(db, tokens),
        "/v3/users/{user_id}/password": users.UserPassword(db, tokens),
        "/v3/users/{user_id}/projects": users.UserProjects(db),
        "/v3/users/{user_id}/groups": groups.UserGroups(db),
        "/v3/users/{user_id}/application_credentials":
            app_credentials.ApplicationCredentials(db, tokens),
        "/v3/users/{user_id}/application_credentials/{credential_id}":
            app_credentials.ApplicationCredential(db, tokens),
        "/v3/groups": groups.Groups(db),
        "/v3/groups/{group_id}": groups.Group(db),
        "/v3/groups/{group_id}/users": groups.GroupUsers(db),
        "/v3/groups/{group_id}/users/{user_id}": groups.GroupUser(db),
        "/v3/roles": roles.Roles(db),
        "/v3/roles/{role_id}": roles.Role(db),
        "/v3/roles/{role_id}/implies": roles.ImpliedRoles(db),
        "/v3/roles/{role_id}/implies/{implied_role_id}": roles.ImpliedRole(db),
        "/v3/role_inferences": roles.RoleInferences(db),
        "/v3/role_assignments": grants.RoleAssignments(db),
        "/v3/services": catalog.Services(db),
        "/v3/services/{service_id}": catalog.Service(db),
        "/v3/endpoints": catalog.Endpoints(db),
        "/v3/endpoints/{endpoint_id}": catalog.Endpoint(db),
        "/v3/credentials": credentials.Credentials(db),
        "/v3/users/{user_id}/credentials/OS-EC2": credentials.Ec2Credentials(db),
        "/v3/users/{user_id}/credentials/OS-EC2/{access}": credentials.Ec2Credential(db),
        "/v3/credentials/{credential_id}": credentials.Credential(db),
        "/v3/policies": policies.Policies(db),
        "/v3/policies/{policy_id}": policies.Policy(db),
        "/v3/regions": catalog.Regions(db),
        "/v3/regions/{region_id}": catalog.Region(db),
        **endpoint_filter.routes(EndpointFilter(db)),
    }
    for collection, member, target, actor, inherited in grants.grant_routes():
        routes[collection] = grants.Grants(db, tokens, target, actor, inherited)
        routes[member] = grants.Grant(db, tokens, target, actor, inherited)
    for path, resource in routes.items():
        app.add_route(path, resource)
    return app
