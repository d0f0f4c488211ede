"""Who may do what in the image API (Glance's rule names, prefixed ``image:``).

Whether a caller can see an image at all (its own, public, community, or shared with its
project) is decided by the image service itself, answering 404 otherwise; these rules
decide what a caller who sees it may do. Targets carry the image's ``project_id`` (its
owner) and, for member updates, the ``member_id`` being changed.
"""
from oslo_policy import policy


def _rule(name, check_str, description, path, *methods):
    return policy.DocumentedRuleDefault(
        f"image:{name}", check_str, description,
        [{"path": path, "method": method} for method in methods])


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
]
