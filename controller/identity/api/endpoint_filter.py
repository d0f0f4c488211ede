"""``/v3/OS-EP-FILTER/…``: endpoint groups, and the endpoints and endpoint groups given
to projects (the rules are in ``controller.identity.endpoint_filter``)."""
import falcon

from controller import policy
from controller.api import errors
from controller.identity.api import common
from controller.identity.api.catalog import endpoint_view
from controller.identity.api.projects import project_view
from controller.identity.endpoint_filter import FILTER_KEYS

PREFIX = "OS-EP-FILTER"
GROUP_FIELDS = ("name", "description", "filters")


def group_view(req, group):
    return {"id": group.id, "name": group.name, "description": group.description,
            "filters": group.filters,
            "links": common.self_link(req, f"{PREFIX}/endpoint_groups/{group.id}")}


def _group_fields(data, creating):
    common.check_fields(data, (*GROUP_FIELDS, "id") if not creating else GROUP_FIELDS,
                        ("name", "filters") if creating else (), "endpoint_group")
    if not creating and not data:
        raise errors.BadRequest("Expecting at least one attribute in endpoint_group.")
    fields = {}
    if "name" in data:
        fields["name"] = common.string(data, "name", "endpoint_group")
    if "description" in data:
        fields["description"] = common.text(data, "description", "endpoint_group")
    if "filters" in data:
        filters = data["filters"]
        if not isinstance(filters, dict):
            raise errors.BadRequest(f"Invalid input for field 'filters': {filters!r} is "
                                    f"not of type 'object'.")
        if creating and not filters:
            raise errors.BadRequest("filters field is required and cannot be empty")
        if any(key not in FILTER_KEYS or not isinstance(value, str)
               for key, value in filters.items()):
            raise errors.BadRequest(f"Invalid filters: each must be one of "
                                    f"{' or '.join(FILTER_KEYS)}, with a string value.")
        fields["filters"] = filters
    return fields


def _authorize(req, action):
    policy.authorize(req.context.auth, f"identity:{action}")


class EndpointGroups:
    def __init__(self, endpoint_filter):
        self.filter = endpoint_filter

    def on_get(self, req, resp):
        _authorize(req, "list_endpoint_groups")
        groups = self.filter.list_groups(req.get_param("name"))
        resp.media = common.collection(req, "endpoint_groups",
                                       [group_view(req, g) for g in groups])

    def on_post(self, req, resp):
        _authorize(req, "create_endpoint_group")
        group = self.filter.create_group(
            _group_fields(common.read_json(req, "endpoint_group"), creating=True))
        resp.status = falcon.HTTP_201
        resp.media = {"endpoint_group": group_view(req, group)}


class EndpointGroup:
    def __init__(self, endpoint_filter):
        self.filter = endpoint_filter

    def on_get(self, req, resp, group_id):
        _authorize(req, "get_endpoint_group")
        resp.media = {"endpoint_group": group_view(req, self.filter.get_group(group_id))}

    def on_head(self, req, resp, group_id):
        _authorize(req, "get_endpoint_group")
        self.filter.get_group(group_id)

    def on_patch(self, req, resp, group_id):
        _authorize(req, "update_endpoint_group")
        data = common.read_json(req, "endpoint_group")
        if "id" in data and data["id"] != group_id:
            raise errors.BadRequest("The ID of an endpoint group cannot be changed.")
        data.pop("id", None)
        group = self.filter.update_group(group_id, _group_fields(data, creating=False))
        resp.media = {"endpoint_group": group_view(req, group)}

    def on_delete(self, req, resp, group_id):
        _authorize(req, "delete_endpoint_group")
        self.filter.delete_group(group_id)
        resp.status = falcon.HTTP_204


class GroupEndpoints:
    def __init__(self, endpoint_filter):
        self.filter = endpoint_filter

    def on_get(self, req, resp, group_id):
        _authorize(req, "list_endpoints_associated_with_endpoint_group")
        resp.media = common.collection(req, "endpoints", [
            endpoint_view(req, e) for e in self.filter.group_endpoints(group_id)])


class GroupProjects:
    def __init__(self, endpoint_filter):
        self.filter = endpoint_filter

    def on_get(self, req, resp, group_id):
        _authorize(req, "list_projects_associated_with_endpoint_group")
        resp.media = common.collection(req, "projects", [
            project_view(req, p) for p in self.filter.group_projects(group_id)])


class GroupProject:
    """``/endpoint_groups/{id}/projects/{project_id}``: a group given to a project."""

    def __init__(self, endpoint_filter):
        self.filter = endpoint_filter

    def on_get(self, req, resp, group_id, project_id):
        _authorize(req, "get_endpoint_group_in_project")
        row = self.filter.group_in_project(group_id, project_id)
        resp.media = {"project_endpoint_group": {
            "endpoint_group_id": row.endpoint_group_id, "project_id": row.project_id,
            "links": common.self_link(
                req, f"{PREFIX}/endpoint_groups/{group_id}/projects/{project_id}")}}

    def on_head(self, req, resp, group_id, project_id):
        _authorize(req, "get_endpoint_group_in_project")
        self.filter.group_in_project(group_id, project_id)

    def on_put(self, req, resp, group_id, project_id):
        _authorize(req, "add_endpoint_group_to_project")
        self.filter.add_group_to_project(group_id, project_id)
        resp.status = falcon.HTTP_204

    def on_delete(self, req, resp, group_id, project_id):
        _authorize(req, "remove_endpoint_group_from_project")
        self.filter.remove_group_from_project(group_id, project_id)
        resp.status = falcon.HTTP_204


class ProjectGroups:
    def __init__(self, endpoint_filter):
        self.filter = endpoint_filter

    def on_get(self, req, resp, project_id):
        _authorize(req, "list_endpoint_groups_for_project")
        resp.media = common.collection(req, "endpoint_groups", [
            group_view(req, g) for g in self.filter.project_groups(project_id)])


class ProjectEndpoints:
    def __init__(self, endpoint_filter):
        self.filter = endpoint_filter

    def on_get(self, req, resp, project_id):
        _authorize(req, "list_endpoints_for_project")
        resp.media = common.collection(req, "endpoints", [
            endpoint_view(req, e) for e in self.filter.project_endpoints(project_id)])


class ProjectEndpoint:
    """``/projects/{project_id}/endpoints/{endpoint_id}``: an endpoint given to a
    project."""

    def __init__(self, endpoint_filter):
        self.filter = endpoint_filter

    def on_get(self, req, resp, project_id, endpoint_id):
        _authorize(req, "check_endpoint_in_project")
        self.filter.check_endpoint_in_project(project_id, endpoint_id)
        resp.status = falcon.HTTP_204

    on_head = on_get

    def on_put(self, req, resp, project_id, endpoint_id):
        _authorize(req, "add_endpoint_to_project")
        self.filter.add_endpoint_to_project(project_id, endpoint_id)
        resp.status = falcon.HTTP_204

    def on_delete(self, req, resp, project_id, endpoint_id):
        _authorize(req, "remove_endpoint_from_project")
        self.filter.remove_endpoint_from_project(project_id, endpoint_id)
        resp.status = falcon.HTTP_204


class EndpointProjects:
    def __init__(self, endpoint_filter):
        self.filter = endpoint_filter

    def on_get(self, req, resp, endpoint_id):
        _authorize(req, "list_projects_for_endpoint")
        resp.media = common.collection(req, "projects", [
            project_view(req, p) for p in self.filter.endpoint_projects(endpoint_id)])


def routes(endpoint_filter):
    base = f"/v3/{PREFIX}"
    group = f"{base}/endpoint_groups/{{group_id}}"
    resources = {
        f"{base}/endpoint_groups": EndpointGroups,
        group: EndpointGroup,
        f"{group}/endpoints": GroupEndpoints,
        f"{group}/projects": GroupProjects,
        f"{group}/projects/{{project_id}}": GroupProject,
        f"{base}/projects/{{project_id}}/endpoint_groups": ProjectGroups,
        f"{base}/projects/{{project_id}}/endpoints": ProjectEndpoints,
        f"{base}/projects/{{project_id}}/endpoints/{{endpoint_id}}": ProjectEndpoint,
        f"{base}/endpoints/{{endpoint_id}}/projects": EndpointProjects,
    }
    return {path: resource(endpoint_filter) for path, resource in resources.items()}
