"""Cinder's API microversions: the client asks with ``OpenStack-API-Version: volume 3.N``.

3.0 is assumed when the header is missing, ``latest`` means MAX_VERSION, and a version
outside the range is refused with 406 as Cinder does. Behaviour that changed across the
range and that this service implements:
  3.3   user messages;
  3.12  the volume summary (3.36 adds its metadata);
  3.27  the attachments API;
  3.55  the volume-transfers API and transfers without snapshots (3.57: their projects);
  3.66  snapshots of in-use volumes need no ``force``;
  3.67  the project id in URLs is optional.
The newest attachment-related features Nova may ask for (3.44 complete, 3.54 attach mode)
are in the range too; extending an attached volume (3.42) is refused by this backend.
"""
from controller.api import errors
from controller.api.microversion import VersionRange, text

MIN_VERSION = (3, 0)
MAX_VERSION = (3, 70)

MESSAGES = (3, 3)
VOLUME_SUMMARY = (3, 12)
SUMMARY_METADATA = (3, 36)
ATTACHMENTS = (3, 27)
TRANSFER_NO_SNAPSHOTS = (3, 55)
TRANSFER_PROJECTS = (3, 57)
SNAPSHOT_IN_USE_WITHOUT_FORCE = (3, 66)

RANGE = VersionRange("volume", MIN_VERSION, MAX_VERSION, "OpenStack-Volume-microversion")
requested = RANGE.requested


class MicroversionMiddleware:
    """Negotiates on the versioned API (``/v3``); the version document is unversioned."""

    def process_request(self, req, resp):
        req.context.microversion = MIN_VERSION
        if req.path.startswith("/v3/") or req.path == "/v3":
            RANGE.negotiate(req, resp)


def require(req, version, what):
    if req.context.microversion < version:
        raise errors.NotFound(f"{what} requires API version {text(version)} or later.")
