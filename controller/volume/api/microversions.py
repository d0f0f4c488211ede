"""Cinder's API microversions: the client asks with ``OpenStack-API-Version: volume 3.N``.

3.0 is assumed when the header is missing, ``latest`` means MAX_VERSION, and a version
outside the range is refused with 406 as Cinder does. Behaviour that changed across the
range and that this service implements:
  3.27  the attachments API;
  3.66  snapshots of in-use volumes need no ``force``;
  3.67  the project id in URLs is optional.
The newest attachment-related features Nova may ask for (3.44 complete, 3.54 attach mode)
are in the range too; extending an attached volume (3.42) is refused by this backend.
"""
import re

from controller.api import errors

MIN_VERSION = (3, 0)
MAX_VERSION = (3, 70)
HEADER = "OpenStack-API-Version"
LEGACY_HEADER = "OpenStack-Volume-microversion"
SERVICE = "volume"

ATTACHMENTS = (3, 27)
SNAPSHOT_IN_USE_WITHOUT_FORCE = (3, 66)

_VERSION = re.compile(r"^(\d+)\.(\d+)$")


def text(version):
    return f"{version[0]}.{version[1]}"


def requested(header_value, legacy_value=None):
    """The version a request asks for, from its headers' values."""
    wanted = None
    if header_value:
        for item in header_value.split(","):
            parts = item.strip().split()
            if len(parts) == 2 and parts[0].lower() == SERVICE:
                wanted = parts[1]
    if wanted is None:
        wanted = legacy_value
    if not wanted:
        return MIN_VERSION
    if wanted.lower() == "latest":
        return MAX_VERSION
    match = _VERSION.match(wanted.strip())
    if not match:
        raise errors.BadRequest(f"API Version String {wanted} is of invalid format. Must be "
                                f"of format MajorNum.MinorNum.")
    version = (int(match.group(1)), int(match.group(2)))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise errors.NotAcceptable(f"Version {wanted} is not supported by the API. Minimum "
                                   f"is {text(MIN_VERSION)} and maximum is "
                                   f"{text(MAX_VERSION)}.")
    return version


class MicroversionMiddleware:
    """Puts the request's version on ``req.context.microversion`` and names it in the
    response, so clients know which behaviour they got."""

    def process_request(self, req, resp):
        req.context.microversion = MIN_VERSION
        resp.set_header("Vary", HEADER)
        if req.path.startswith("/v3/") or req.path == "/v3":
            version = requested(req.get_header(HEADER), req.get_header(LEGACY_HEADER))
            req.context.microversion = version
            resp.set_header(HEADER, f"{SERVICE} {text(version)}")


def require(req, version, what):
    if req.context.microversion < version:
        raise errors.NotFound(f"{what} requires API version {text(version)} or later.")
