"""Version discovery: what clients read before anything else (no token needed)."""
import falcon

from controller.volume.api import microversions


def _version(base_url):
    return {
        "id": "v3.0", "status": "CURRENT", "updated": "2026-11-24T00:00:00Z",
        "version": microversions.text(microversions.MAX_VERSION),
        "min_version": microversions.text(microversions.MIN_VERSION),
        "links": [{"rel": "self", "href": f"{base_url}/v3/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.volume+json;version=3"}],
    }


class Root:
    """``/volume/``: the API versions there are (Cinder answers 300 Multiple Choices)."""

    public_methods = {"GET"}

    def __init__(self, base_url):
        self.base_url = base_url

    def on_get(self, req, resp):
        resp.status = falcon.HTTP_300
        resp.media = {"versions": [_version(self.base_url)]}


class V3:
    """``/volume/v3/``: this version and its microversion range."""

    public_methods = {"GET"}

    def __init__(self, base_url):
        self.base_url = base_url

    def on_get(self, req, resp):
        resp.media = {"versions": [_version(self.base_url)]}
