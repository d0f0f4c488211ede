"""Nova's API microversions: 2.1 to ``MAX_VERSION``; handlers shape bodies by
``req.context.microversion``."""
from controller.api.microversion import VersionRange, text

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 79)

RANGE = VersionRange("compute", MIN_VERSION, MAX_VERSION, "X-OpenStack-Nova-API-Version")
requested = RANGE.requested
to_string = text


class MicroversionMiddleware:
    def process_request(self, req, resp):
        RANGE.negotiate(req, resp)
