"""``/v3/policies``: Keystone's policy blob store (the rules are in
``controller.identity.policies``)."""
import falcon

from controller import policy as access
from controller.identity import models, policies, records
from controller.identity.api import common

FIELDS = ("type", "blob")


def policy_view(req, policy):
    return common.with_extra({"id": policy.id, "type": policy.type, "blob": policy.blob,
                              "links": common.self_link(req, f"policies/{policy.id}")},
                             policy)


def _fields(data, where_id=None):
    extra = common.extra_attributes(data, FIELDS, "policy", where_id)
    common.check_fields(data, FIELDS + tuple(extra) + ("id",), where="policy")
    fields = {key: common.string(data, key, "policy", 65535) for key in FIELDS
              if key in data}
    if extra:
        fields["extra"] = extra
    return fields


class Policies:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        access.authorize(req.context.auth, "identity:list_policies")
        rows = records.list_rows(self.db, models.Policy, common.filters(req, ("type",)),
                                 models.Policy.id)
        resp.media = common.collection(req, "policies", [policy_view(req, p) for p in rows])

    def on_post(self, req, resp):
        access.authorize(req.context.auth, "identity:create_policy")
        data = common.read_json(req, "policy")
        common.check_fields(data, tuple(data), FIELDS, "policy")
        policy = policies.create_policy(self.db, _fields(data))
        resp.status = falcon.HTTP_201
        resp.media = {"policy": policy_view(req, policy)}


class Policy:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, policy_id):
        access.authorize(req.context.auth, "identity:get_policy")
        resp.media = {"policy": policy_view(req, records.show(self.db, models.Policy,
                                                              policy_id, "policy"))}

    def on_patch(self, req, resp, policy_id):
        access.authorize(req.context.auth, "identity:update_policy")
        changes = _fields(common.read_json(req, "policy"), policy_id)
        resp.media = {"policy": policy_view(req, policies.update_policy(self.db, policy_id,
                                                                        changes))}

    def on_delete(self, req, resp, policy_id):
        access.authorize(req.context.auth, "identity:delete_policy")
        policies.delete_policy(self.db, policy_id)
        resp.status = falcon.HTTP_204
