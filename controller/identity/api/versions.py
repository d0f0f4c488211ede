"""Version discovery: ``/identity/`` (300, every version) and ``/identity/v3``, as
keystoneauth expects them."""
import falcon

from controller.identity.api.common import identity_url

V3_ID = "v3.14"
V3_UPDATED = "2020-04-07T00:00:00Z"
MEDIA_TYPES = [{"base": "application/json",
                "type": "application/vnd.openstack.identity-v3+json"}]


def v3_version(req):
    return {"id": V3_ID, "status": "stable", "updated": V3_UPDATED,
            "links": [{"rel": "self", "href": identity_url(req) + "/v3/"}],
            "media-types": MEDIA_TYPES}


class Versions:
    public_methods = {"GET"}

    def on_get(self, req, resp):
        resp.status = falcon.HTTP_300
        resp.media = {"versions": {"values": [v3_version(req)]}}


class Version:
    public_methods = {"GET"}

    def on_get(self, req, resp):
        resp.media = {"version": v3_version(req)}
