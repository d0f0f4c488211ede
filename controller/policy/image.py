"""Who may do what in the image API (Glance's rule names, prefixed ``image:``).

Whether a caller can see an image at all (its own, public, community, or shared with its
project) is decided by the image service itself, answering 404 otherwise; these rules
decide what a caller who sees it may do. Targets carry the image's ``project_id`` (its
owner) and, for member updates, the ``member_id`` being changed.
"""
from controller.policy import documented


def _rule(name, check_str, description, path, *methods):
    return documented(f"image:{name}", check_str, description, path, *methods)


# Metadata definitions (Glance's defaults): anyone with a reader role reads public
# namespaces and their project's own; only admins change the catalog.
_METADEF_READ = "rule:admin or (role:reader and (project_id:%(project_id)s or " \
    "'public':%(visibility)s))"
_NAMESPACES = "/v2/metadefs/namespaces"
_NAMESPACE = _NAMESPACES + "/{namespace_name}"


def _metadef_rules():
    reads = [
        ("get_metadef_namespace", "Show a metadata definition namespace.", _NAMESPACE),
        ("get_metadef_object", "Show a namespace's object.", _NAMESPACE + "/objects/{name}"),
        ("get_metadef_objects", "List a namespace's objects.", _NAMESPACE + "/objects"),
        ("list_metadef_resource_types", "List resource types and a namespace's "
         "associations with them.", "/v2/metadefs/resource_types"),
        ("get_metadef_resource_type", "Show a namespace's resource type associations.",
         _NAMESPACE + "/resource_types"),
        ("get_metadef_property", "Show a namespace's property.",
         _NAMESPACE + "/properties/{name}"),
        ("get_metadef_properties", "List a namespace's properties.",
         _NAMESPACE + "/properties"),
        ("get_metadef_tag", "Show a namespace's tag.", _NAMESPACE + "/tags/{name}"),
        ("get_metadef_tags", "List a namespace's tags.", _NAMESPACE + "/tags"),
    ]
    changes = [
        ("add_metadef_namespace", "Create a namespace.", _NAMESPACES, "POST"),
        ("modify_metadef_namespace", "Update a namespace.", _NAMESPACE, "PUT"),
        ("delete_metadef_namespace", "Delete a namespace, or all its objects, "
         "properties or tags.", _NAMESPACE, "DELETE"),
        ("add_metadef_object", "Create an object.", _NAMESPACE + "/objects", "POST"),
        ("modify_metadef_object", "Update an object.", _NAMESPACE + "/objects/{name}",
         "PUT"),
        ("delete_metadef_object", "Delete an object.", _NAMESPACE + "/objects/{name}",
         "DELETE"),
        ("add_metadef_resource_type_association", "Associate a namespace with a "
         "resource type.", _NAMESPACE + "/resource_types", "POST"),
        ("remove_metadef_resource_type_association", "Dissociate a namespace from a "
         "resource type.", _NAMESPACE + "/resource_types/{name}", "DELETE"),
        ("add_metadef_property", "Create a property.", _NAMESPACE + "/properties", "POST"),
        ("modify_metadef_property", "Update a property.",
         _NAMESPACE + "/properties/{name}", "PUT"),
        ("remove_metadef_property", "Delete a property.",
         _NAMESPACE + "/properties/{name}", "DELETE"),
        ("add_metadef_tag", "Create a tag.", _NAMESPACE + "/tags/{name}", "POST"),
        ("add_metadef_tags", "Create tags.", _NAMESPACE + "/tags", "POST"),
        ("modify_metadef_tag", "Update a tag.", _NAMESPACE + "/tags/{name}", "PUT"),
        ("delete_metadef_tag", "Delete a tag.", _NAMESPACE + "/tags/{name}", "DELETE"),
        ("delete_metadef_tags", "Delete all of a namespace's tags.", _NAMESPACE + "/tags",
         "DELETE"),
    ]
    return ([_rule("get_metadef_namespaces", "rule:project_reader",
                   "List metadata definition namespaces.", _NAMESPACES, "GET")]
            + [_rule(name, _METADEF_READ, text, path, "GET") for name, text, path in reads]
            + [_rule(name, "rule:admin", text, path, method)
               for name, text, path, method in changes])


METADEF_RULES = _metadef_rules()


RULES = [
    _rule("get_images", "rule:admin or role:reader", "List images.",
          "/v2/images", "GET"),
    _rule("get_image", "rule:admin or role:reader", "Show an image.",
          "/v2/images/{image_id}", "GET"),
    _rule("add_image", "rule:project_member",
          "Create an image owned by the project in the target.", "/v2/images", "POST"),
    _rule("modify_image", "rule:project_member",
          "Update an image's attributes, properties or tags.",
          "/v2/images/{image_id}", "PATCH"),
    _rule("publicize_image", "rule:admin", "Make an image public.",
          "/v2/images/{image_id}", "PATCH"),
    _rule("communitize_image", "rule:project_member",
          "Make an image a community image.", "/v2/images/{image_id}", "PATCH"),
    _rule("delete_image", "rule:project_member", "Delete an image.",
          "/v2/images/{image_id}", "DELETE"),
    _rule("upload_image", "rule:project_member", "Upload an image's data.",
          "/v2/images/{image_id}/file", "PUT"),
    _rule("import_image", "rule:project_member",
          "Import an image's data from a URL (web-download).",
          "/v2/images/{image_id}/import", "POST"),
    _rule("download_image", "rule:admin or role:reader", "Download an image's data.",
          "/v2/images/{image_id}/file", "GET"),
    _rule("deactivate", "rule:project_member", "Deactivate an image (its data cannot be "
          "downloaded by non-admins).", "/v2/images/{image_id}/actions/deactivate", "POST"),
    _rule("reactivate", "rule:project_member", "Reactivate a deactivated image.",
          "/v2/images/{image_id}/actions/reactivate", "POST"),
    _rule("get_members", "rule:admin or role:reader", "List an image's members.",
          "/v2/images/{image_id}/members", "GET"),
    _rule("get_member", "rule:admin or role:reader", "Show an image member.",
          "/v2/images/{image_id}/members/{member_id}", "GET"),
    _rule("add_member", "rule:project_member", "Share an image with a project.",
          "/v2/images/{image_id}/members", "POST"),
    _rule("delete_member", "rule:project_member", "Stop sharing an image with a project.",
          "/v2/images/{image_id}/members/{member_id}", "DELETE"),
    _rule("modify_member", "rule:admin or (role:member and project_id:%(member_id)s)",
          "Accept or reject an image shared with the caller's project.",
          "/v2/images/{image_id}/members/{member_id}", "PUT"),
    _rule("tasks_api_access", "rule:admin", "Use the tasks API at all.", "/v2/tasks",
          "GET", "POST"),
    _rule("get_tasks", "rule:admin", "List tasks.", "/v2/tasks", "GET"),
    _rule("get_task", "rule:admin", "Show a task.", "/v2/tasks/{task_id}", "GET"),
    _rule("add_task", "rule:admin", "Create a task.", "/v2/tasks", "POST"),
    *METADEF_RULES,
]
