"""``/v2.0/security-groups`` and ``/v2.0/security-group-rules``: parse, authorize and
call one operation of ``controller.network.security_groups``.

A group or rule of another project is a 404, never a 403 that would tell it exists.
"""
import falcon

from controller import policy
from controller.network import security_groups
from controller.network.api import attributes, common, query, views


def group_target(row):
    return {"project_id": row.project_id}


def _group_view(row, params):
    return query.trim(views.render(views.SECURITY_GROUP, row), params)


def _rule_view(row, params):
    return query.trim(views.render(views.SECURITY_GROUP_RULE, row), params)


class SecurityGroups:
    def __init__(self, runtime, operations):
        self.runtime = runtime
        self.operations = operations

    def on_get(self, req, resp):
        auth = req.context.auth
        rows = self.operations.list_groups(common.scope_of(auth), auth.project_id,
                                           query.values(req.params, "id") or None)
        visible = [_group_view(row, {}) for row in rows
                   if policy.allowed(auth, "get_security_group", group_target(row))]
        resp.media = query.apply(visible, req.params, "security_groups",
                                 common.collection_url(self.runtime, "security-groups"),
                                 views.SECURITY_GROUP)

    def on_post(self, req, resp):
        auth = req.context.auth
        values = attributes.read_body(req, "security_group", attributes.SECURITY_GROUP,
                                      "POST")
        project_id = common.owner_project(auth, values)
        policy.authorize(auth, "create_security_group", {"project_id": project_id})
        fields = attributes.fields_of(values, attributes.SECURITY_GROUP)
        fields.pop("project_id", None)
        group = self.operations.create_group(project_id, **fields)
        resp.status = falcon.HTTP_201
        resp.media = {"security_group": _group_view(group, {})}


class SecurityGroup:
    def __init__(self, runtime, operations):
        self.runtime = runtime
        self.operations = operations

    def _find(self, auth, group_id):
        group = self.operations.get_group(group_id, common.scope_of(auth))
        if not policy.allowed(auth, "get_security_group", group_target(group)):
            raise security_groups.group_not_found(group_id)
        return group

    def on_get(self, req, resp, group_id):
        group = self._find(req.context.auth, group_id)
        resp.media = {"security_group": _group_view(group, req.params)}

    def on_put(self, req, resp, group_id):
        auth = req.context.auth
        values = attributes.read_body(req, "security_group", attributes.SECURITY_GROUP,
                                      "PUT")
        policy.authorize(auth, "update_security_group", group_target(self._find(auth, group_id)))
        group = self.operations.update_group(
            group_id, common.scope_of(auth),
            attributes.fields_of(values, attributes.SECURITY_GROUP))
        resp.media = {"security_group": _group_view(group, {})}

    def on_delete(self, req, resp, group_id):
        auth = req.context.auth
        policy.authorize(auth, "delete_security_group",
                         group_target(self._find(auth, group_id)))
        self.operations.delete_group(group_id, common.scope_of(auth), auth.is_admin)
        resp.status = falcon.HTTP_204


class SecurityGroupRules:
    def __init__(self, runtime, operations):
        self.runtime = runtime
        self.operations = operations

    def on_get(self, req, resp):
        auth = req.context.auth
        rows = self.operations.list_rules(common.scope_of(auth))
        visible = [_rule_view(row, {}) for row in rows
                   if policy.allowed(auth, "get_security_group_rule", group_target(row))]
        resp.media = query.apply(visible, req.params, "security_group_rules",
                                 common.collection_url(self.runtime,
                                                       "security-group-rules"),
                                 views.SECURITY_GROUP_RULE)

    def on_post(self, req, resp):
        auth = req.context.auth
        values = attributes.read_body(req, "security_group_rule",
                                      attributes.SECURITY_GROUP_RULE, "POST")
        scope = common.scope_of(auth)
        group = self.operations.get_group(values["security_group_id"], scope)
        if not policy.allowed(auth, "get_security_group", group_target(group)):
            raise security_groups.group_not_found(values["security_group_id"])
        policy.authorize(auth, "create_security_group_rule", group_target(group))
        fields = attributes.fields_of(values, attributes.SECURITY_GROUP_RULE)
        fields.pop("project_id", None)
        rule = self.operations.create_rule(scope, fields.pop("security_group_id"), fields,
                                           fields.pop("description", ""))
        resp.status = falcon.HTTP_201
        resp.media = {"security_group_rule": _rule_view(rule, {})}


class SecurityGroupRule:
    def __init__(self, runtime, operations):
        self.runtime = runtime
        self.operations = operations

    def _find(self, auth, rule_id):
        rule = self.operations.get_rule(rule_id, common.scope_of(auth))
        if not policy.allowed(auth, "get_security_group_rule", group_target(rule)):
            raise security_groups.rule_not_found(rule_id)
        return rule

    def on_get(self, req, resp, rule_id):
        resp.media = {"security_group_rule": _rule_view(self._find(req.context.auth,
                                                                   rule_id), req.params)}

    def on_delete(self, req, resp, rule_id):
        auth = req.context.auth
        policy.authorize(auth, "delete_security_group_rule",
                         group_target(self._find(auth, rule_id)))
        self.operations.delete_rule(rule_id, common.scope_of(auth))
        resp.status = falcon.HTTP_204
