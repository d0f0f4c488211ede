"""Version discovery: ``/image/`` (300 Multiple Choices) and ``/image/versions`` (200).

keystoneauth (openstacksdk, the openstack CLI) reads the list at the catalog URL;
python-glanceclient asks ``/versions`` and then looks for a v2 entry.
"""
import falcon

# v2.6 brought interoperable import, v2.7 os_hidden and os_hash_*: all served here.
CURRENT = "v2.7"
SUPPORTED = tuple(f"v2.{minor}" for minor in range(6, -1, -1))


def versions_body(endpoint):
    href = endpoint.rstrip("/") + "/v2/"
    return {"versions": [{"id": version, "status": status,
                          "links": [{"rel": "self", "href": href}]}
                         for version, status in [(CURRENT, "CURRENT"),
                                                 *((v, "SUPPORTED") for v in SUPPORTED)]]}


class Versions:
    public_methods = {"GET"}

    def __init__(self, endpoint, explicit):
        self.endpoint = endpoint
        self.explicit = explicit

    def on_get(self, req, resp):
        resp.media = versions_body(self.endpoint)
        resp.status = falcon.HTTP_200 if self.explicit else falcon.HTTP_300
