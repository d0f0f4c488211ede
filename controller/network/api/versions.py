"""Version discovery: ``/networking`` lists v2.0, ``/networking/v2.0`` its resources.
Both are public, as in Neutron, so clients can discover before they authenticate."""
from controller.network.api import common

RESOURCES = (("network", "networks"), ("subnet", "subnets"), ("port", "ports"),
             ("router", "routers"), ("floatingip", "floatingips"))


class Versions:
    public_methods = {"GET"}

    def __init__(self, runtime):
        self.runtime = runtime

    def on_get(self, req, resp):
        href = f"{self.runtime.endpoint('/networking')}/v2.0/"
        resp.media = {"versions": [{"id": "v2.0", "status": "CURRENT",
                                    "links": [{"href": href, "rel": "self"}]}]}


class V2:
    public_methods = {"GET"}

    def __init__(self, runtime):
        self.runtime = runtime

    def on_get(self, req, resp):
        resp.media = {"resources": [
            {"name": name, "collection": collection,
             "links": [{"href": common.collection_url(self.runtime, collection),
                        "rel": "self"}]}
            for name, collection in RESOURCES]}
