"""Nova's API microversions: the client names the version it speaks in a header, every
response says which version answered, and handlers shape bodies by it.

Supported: 2.1 to ``MAX_VERSION``. Without a header a request gets 2.1; ``latest`` gets
the maximum.
"""
import re

from controller.api import errors

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 79)

_HEADER = "OpenStack-API-Version"
_LEGACY_HEADER = "X-OpenStack-Nova-API-Version"
_VERSION_RE = re.compile(r"^([1-9]\d*)\.(0|[1-9]\d*)$")


def to_string(version):
    return f"{version[0]}.{version[1]}"


def requested(openstack_header, legacy_header):
    """The version a request asks for, from its headers (pure)."""
    text = None
    if openstack_header:
        for item in openstack_header.split(","):
            service, _, value = item.strip().partition(" ")
            if service.lower() == "compute":
                text = value.strip()
    elif legacy_header:
        text = legacy_header.strip()
    if not text:
        return MIN_VERSION
    if text.lower() == "latest":
        return MAX_VERSION
    match = _VERSION_RE.match(text)
    if not match:
        raise errors.BadRequest(
            f"Invalid format for version string '{text}': it should be "
            f"'major.minor' or 'latest'.")
    version = (int(match.group(1)), int(match.group(2)))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise errors.NotAcceptable(
            f"Version {text} is not supported by the API. Minimum is "
            f"{to_string(MIN_VERSION)} and maximum is {to_string(MAX_VERSION)}.")
    return version


class MicroversionMiddleware:
    """Sets ``req.context.microversion`` (a tuple) and the version response headers."""

    def process_request(self, req, resp):
        req.context.microversion = MIN_VERSION
        resp.set_header(_HEADER, f"compute {to_string(MIN_VERSION)}")
        resp.set_header(_LEGACY_HEADER, to_string(MIN_VERSION))
        resp.set_header("Vary", f"{_HEADER}, {_LEGACY_HEADER}")
        version = requested(req.get_header(_HEADER), req.get_header(_LEGACY_HEADER))
        req.context.microversion = version
        resp.set_header(_HEADER, f"compute {to_string(version)}")
        resp.set_header(_LEGACY_HEADER, to_string(version))
