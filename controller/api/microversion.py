"""API microversions as Nova and Cinder negotiate them: the client names the version it
speaks in ``OpenStack-API-Version: <service> <major.minor>`` (or a service's legacy
header), ``latest`` means the newest, no header means the oldest, and a version outside
the range is refused with 406. Each service describes its range with a ``VersionRange``.
"""
import re

from controller.api import errors

HEADER = "OpenStack-API-Version"
_VERSION_RE = re.compile(r"^([1-9]\d*)\.(0|[1-9]\d*)$")


def text(version):
    return f"{version[0]}.{version[1]}"


class VersionRange:
    """The versions ``service`` (the header's service type) serves."""

    def __init__(self, service, minimum, maximum, legacy_header):
        self.service = service
        self.minimum = minimum
        self.maximum = maximum
        self.legacy_header = legacy_header

    def requested(self, header_value, legacy_value=None):
        """The version a request asks for, from its headers' values (pure). An
        ``OpenStack-API-Version`` header naming this service wins over the legacy one."""
        wanted = None
        for item in (header_value or "").split(","):
            service, _, value = item.strip().partition(" ")
            if service.lower() == self.service:
                wanted = value.strip()
        if wanted is None and not header_value:
            wanted = legacy_value and legacy_value.strip()
        if not wanted:
            return self.minimum
        if wanted.lower() == "latest":
            return self.maximum
        match = _VERSION_RE.match(wanted)
        if not match:
            raise errors.BadRequest(f"Invalid format for version string '{wanted}': it "
                                    f"should be 'major.minor' or 'latest'.")
        version = (int(match.group(1)), int(match.group(2)))
        if not self.minimum <= version <= self.maximum:
            raise errors.NotAcceptable(
                f"Version {wanted} is not supported by the API. Minimum is "
                f"{text(self.minimum)} and maximum is {text(self.maximum)}.")
        return version

    def negotiate(self, req, resp):
        """Put the request's version on ``req.context.microversion`` and name it in the
        response (both headers), so that clients know which behaviour they got."""
        req.context.microversion = self.minimum
        resp.set_header("Vary", f"{HEADER}, {self.legacy_header}")
        version = self.requested(req.get_header(HEADER), req.get_header(self.legacy_header))
        req.context.microversion = version
        resp.set_header(HEADER, f"{self.service} {text(version)}")
        resp.set_header(self.legacy_header, text(version))
