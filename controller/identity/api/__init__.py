"""The identity API (Keystone v3 subset), mounted at ``/identity``."""
from controller.api.app import make_service_app
from controller.identity.api import (auth_tokens, catalog, common, domains, projects, roles,
                                     users, versions)
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
        "/v3/auth/projects": auth_tokens.AuthProjects(db),
        "/v3/auth/catalog": auth_tokens.AuthCatalog(db),
        "/v3/domains": domains.Domains(db),
        "/v3/domains/{domain_id}": domains.Domain(db),
        "/v3/projects": projects.Projects(db),
        "/v3/projects/{project_id}": projects.Project(db, tokens),
        "/v3/projects/{project_id}/users/{user_id}/roles": roles.Grants(db),
        "/v3/projects/{project_id}/users/{user_id}/roles/{role_id}": roles.Grant(db, tokens),
        "/v3/users": users.Users(db, tokens),
        "/v3/users/{user_id}": users.User(db, tokens),
        "/v3/users/{user_id}/password": users.UserPassword(db, tokens),
        "/v3/users/{user_id}/projects": users.UserProjects(db),
        "/v3/roles": roles.Roles(db),
        "/v3/roles/{role_id}": roles.Role(db),
        "/v3/role_assignments": roles.RoleAssignments(db),
        "/v3/services": catalog.Services(db),
        "/v3/services/{service_id}": catalog.Service(db),
        "/v3/endpoints": catalog.Endpoints(db),
        "/v3/endpoints/{endpoint_id}": catalog.Endpoint(db),
    }
    for path, resource in routes.items():
        app.add_route(path, resource)
    return app
