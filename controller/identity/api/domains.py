"""``/v3/domains``: create, list, show, update and delete domains (the rules, cascading
deletion among them, are in ``controller.identity.domains``)."""
import falcon

from controller import policy
from controller.api import errors
from controller.identity import domains, models, records
from controller.identity.api import common

FIELDS = ("name", "description", "enabled", "explicit_domain_id")


def domain_view(req, domain):
    return {"id": domain.id, "name": domain.name, "description": domain.description,
            "enabled": domain.enabled, "tags": [], "options": {},
            "links": common.self_link(req, f"domains/{domain.id}")}


def _changes(data):
    changes = {}
    if "name" in data:
        changes["name"] = common.string(data, "name", "domain", max_length=64)
    if "description" in data:
        changes["description"] = common.text(data, "description", "domain") or ""
    if "enabled" in data:
        changes["enabled"] = common.boolean(data, "enabled", "domain")
    return changes


class Domains:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_domains")
        rows = records.list_rows(self.db, models.Domain,
                                 common.filters(req, ("name", "enabled")), models.Domain.name)
        resp.media = common.collection(req, "domains", [domain_view(req, d) for d in rows])

    def on_post(self, req, resp):
        policy.authorize(req.context.auth, "identity:create_domain")
        data = common.read_json(req, "domain")
        common.check_fields(data, FIELDS, ("name",), "domain")
        explicit_id = data.get("explicit_domain_id")
        if explicit_id is not None and not (isinstance(explicit_id, str)
                                            and common.is_hex_id(explicit_id)):
            raise errors.BadRequest("Invalid input for field 'explicit_domain_id' in "
                                    "domain: expecting a 32-digit hexadecimal ID.")
        changes = _changes(data)
        domain = domains.create_domain(self.db, changes["name"],
                                       changes.get("description", ""),
                                       changes.get("enabled", True), explicit_id)
        resp.status = falcon.HTTP_201
        resp.media = {"domain": domain_view(req, domain)}


class Domain:
    def __init__(self, db, token_service):
        self.db = db
        self.tokens = token_service

    def on_get(self, req, resp, domain_id):
        policy.authorize(req.context.auth, "identity:get_domain", {"domain_id": domain_id})
        domain = records.show(self.db, models.Domain, domain_id, "domain")
        resp.media = {"domain": domain_view(req, domain)}

    def on_patch(self, req, resp, domain_id):
        policy.authorize(req.context.auth, "identity:update_domain", {"domain_id": domain_id})
        data = common.read_json(req, "domain")
        common.check_fields(data, FIELDS[:3], where="domain")
        domain = domains.update_domain(self.db, domain_id, _changes(data))
        resp.media = {"domain": domain_view(req, domain)}

    def on_delete(self, req, resp, domain_id):
        policy.authorize(req.context.auth, "identity:delete_domain", {"domain_id": domain_id})
        domains.delete_domain(self.db, self.tokens, domain_id)
        resp.status = falcon.HTTP_204
