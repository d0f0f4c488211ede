"""``/v3/groups``: groups of users, their members, and the groups of a user (the rules
are in ``controller.identity.groups``)."""
import falcon

from controller import policy
from controller.identity import groups, models
from controller.identity.api import common
from controller.identity.api.users import user_view

FIELDS = ("name", "domain_id", "description")


def group_view(req, group):
    return common.with_extra({"id": group.id, "name": group.name,
                              "domain_id": group.domain_id, "description": group.description,
                              "links": common.self_link(req, f"groups/{group.id}")}, group)


class Groups:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_groups",
                         {"domain_id": req.get_param("domain_id")})
        rows = groups.list_groups(self.db, common.filters(req, ("name", "domain_id")))
        resp.media = common.collection(req, "groups", [group_view(req, g) for g in rows])

    def on_post(self, req, resp):
        data = common.read_json(req, "group")
        extra = common.extra_attributes(data, FIELDS, "group")
        common.check_fields(data, FIELDS + tuple(extra), ("name",), "group")
        domain_id = data.get("domain_id") or req.context.auth.domain_id \
            or models.DEFAULT_DOMAIN_ID
        policy.authorize(req.context.auth, "identity:create_group", {"domain_id": domain_id})
        group = groups.create_group(self.db, common.string(data, "name", "group", 64),
                                    domain_id, common.text(data, "description", "group") or "",
                                    extra)
        resp.status = falcon.HTTP_201
        resp.media = {"group": group_view(req, group)}


class Group(common.Record):
    kind, model = "group", models.Group
    view = staticmethod(group_view)
    delete = staticmethod(groups.delete_group)

    def on_patch(self, req, resp, group_id):
        policy.authorize(req.context.auth, "identity:update_group")
        data = common.read_json(req, "group")
        extra = common.extra_attributes(data, FIELDS, "group", group_id)
        common.check_fields(data, FIELDS + tuple(extra) + ("id",), where="group")
        changes = {"extra": extra} if extra else {}
        if "domain_id" in data:
            changes["domain_id"] = data["domain_id"]
        if "name" in data:
            changes["name"] = common.string(data, "name", "group", 64)
        if "description" in data:
            changes["description"] = common.text(data, "description", "group") or ""
        resp.media = {"group": group_view(req, groups.update_group(self.db, group_id,
                                                                   changes))}


class GroupUsers:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, group_id):
        policy.authorize(req.context.auth, "identity:list_users_in_group")
        rows = groups.list_members(self.db, group_id,
                                   common.filters(req, ("name", "domain_id", "enabled")))
        resp.media = common.collection(req, "users", [user_view(req, u) for u in rows])


class GroupUser:
    def __init__(self, db):
        self.db = db

    def on_put(self, req, resp, group_id, user_id):
        policy.authorize(req.context.auth, "identity:add_user_to_group")
        groups.add_member(self.db, group_id, user_id)
        resp.status = falcon.HTTP_204

    def on_head(self, req, resp, group_id, user_id):
        policy.authorize(req.context.auth, "identity:check_user_in_group")
        groups.check_member(self.db, group_id, user_id)
        resp.status = falcon.HTTP_204

    on_get = on_head

    def on_delete(self, req, resp, group_id, user_id):
        policy.authorize(req.context.auth, "identity:remove_user_from_group")
        groups.remove_member(self.db, group_id, user_id)
        resp.status = falcon.HTTP_204


class UserGroups:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, user_id):
        policy.authorize(req.context.auth, "identity:list_groups_for_user",
                         {"user_id": user_id})
        rows = groups.list_groups(self.db, common.filters(req, ("name", "domain_id")),
                                  user_id=user_id)
        resp.media = common.collection(req, "groups", [group_view(req, g) for g in rows])
