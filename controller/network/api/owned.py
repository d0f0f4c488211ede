"""The handler shape that routers and floating IPs share: rows a project owns, rendered
from a view table, seen by whom the ``get_<member>`` rule lets see them, and a 404 (never
a 403 that would tell the row exists) for the others."""
import dataclasses
from typing import Callable

import falcon

from controller import policy
from controller.db.base import isotime
from controller.network.api import common, query


def standard_view(**attributes):
    """A view table: ``attributes`` (API name → how to read it from the row) between the
    id and the standard attributes every Neutron resource has."""
    return {"id": lambda row: row.id, **attributes,
            "created_at": lambda row: isotime(row.created_at),
            "updated_at": lambda row: isotime(row.updated_at or row.created_at),
            "revision_number": lambda row: row.revision_number}


def target(row):
    """The policy target of a row its project owns."""
    return {"project_id": row.project_id}


@dataclasses.dataclass(frozen=True)
class Kind:
    member: str                     # "router": the body's key, the rules' suffix
    collection: str                 # "routers": the list's key and path
    view: dict                      # API attribute → how to read it from the row
    not_found: Callable             # id → the resource's 404

    def render(self, row, params):
        return query.trim({name: read(row) for name, read in self.view.items()}, params)

    def listing(self, runtime, req, rows):
        """The body of GET on the collection: the visible ``rows``, filtered, sorted and
        paged as the query asks."""
        auth = req.context.auth
        visible = [self.render(row, {}) for row in rows
                   if policy.allowed(auth, f"get_{self.member}", target(row))]
        return query.apply(visible, req.params, self.collection,
                           common.collection_url(runtime, self.collection), self.view)

    def find(self, auth, row_id, get):
        """``get(row_id, scope)``'s row, if the caller may see it."""
        row = get(row_id, common.scope_of(auth))
        if not policy.allowed(auth, f"get_{self.member}", target(row)):
            raise self.not_found(row_id)
        return row

    def created(self, resp, row):
        resp.status = falcon.HTTP_201
        resp.media = {self.member: self.render(row, {})}

    def show(self, req, resp, row_id, get):
        resp.media = {self.member: self.render(self.find(req.context.auth, row_id, get),
                                               req.params)}

    def delete(self, req, resp, row_id, get, delete):
        """Check ``delete_<member>`` on the visible row, then ``delete(row_id, scope)``."""
        auth = req.context.auth
        policy.authorize(auth, f"delete_{self.member}", target(self.find(auth, row_id, get)))
        delete(row_id, common.scope_of(auth))
        resp.status = falcon.HTTP_204
