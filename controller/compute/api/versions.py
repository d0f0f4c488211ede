"""Version discovery: what keystoneauth and the SDK read to learn the microversion range."""
from controller.compute.api import microversion

UPDATED = "2013-07-23T11:33:21Z"


def _document(req):
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": microversion.to_string(microversion.MAX_VERSION),
        "min_version": microversion.to_string(microversion.MIN_VERSION),
        "updated": UPDATED,
        "links": [{"rel": "self", "href": f"{req.prefix}/v2.1/"},
                  {"rel": "describedby", "type": "text/html",
                   "href": "https://docs.openstack.org/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.compute+json;version=2.1"}],
    }


class Versions:
    public_methods = {"GET"}

    def on_get(self, req, resp):
        resp.media = {"versions": [_document(req)]}


class Version:
    public_methods = {"GET"}

    def on_get(self, req, resp):
        resp.media = {"version": _document(req)}
