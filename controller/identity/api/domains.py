"""``/v3/domains``: read-only; pocketstack has the one ``default`` domain bootstrap makes."""
from controller import policy
from controller.identity import models, records
from controller.identity.api import common


def domain_view(req, domain):
    return {"id": domain.id, "name": domain.name, "description": domain.description,
            "enabled": domain.enabled, "tags": [], "options": {},
            "links": common.self_link(req, f"domains/{domain.id}")}


class Domains:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp):
        policy.authorize(req.context.auth, "identity:list_domains")
        domains = records.list_rows(self.db, models.Domain,
                                    common.filters(req, ("name", "enabled")),
                                    models.Domain.name)
        resp.media = common.collection(req, "domains", [domain_view(req, d) for d in domains])


class Domain:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, domain_id):
        policy.authorize(req.context.auth, "identity:get_domain", {"domain_id": domain_id})
        domain = records.show(self.db, models.Domain, domain_id, "domain")
        resp.media = {"domain": domain_view(req, domain)}
