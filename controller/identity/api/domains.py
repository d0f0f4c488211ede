"""``/v3/domains``: read-only; pocketstack has the one ``default`` domain bootstrap makes."""
from sqlalchemy import select

from controller import policy
from controller.identity import models
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
        statement = common.apply_filters(req, select(models.Domain), models.Domain,
                                         ("name", "enabled"))
        with self.db.session() as session:
            domains = session.scalars(statement.order_by(models.Domain.name)).all()
            resp.media = common.collection(req, "domains",
                                           [domain_view(req, d) for d in domains])


class Domain:
    def __init__(self, db):
        self.db = db

    def on_get(self, req, resp, domain_id):
        policy.authorize(req.context.auth, "identity:get_domain", {"domain_id": domain_id})
        with self.db.session() as session:
            domain = common.get_or_404(session, models.Domain, domain_id, "domain")
            resp.media = {"domain": domain_view(req, domain)}
