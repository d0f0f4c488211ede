"""The web-download import method: image data fetched from an HTTP(S) URL.

The URL (and every redirect) must pass the operator's filters (``[image]
import_allowed_schemes``, ``_hosts``, ``_ports``), since the controller fetches it from
inside the cloud's own network.
"""
import urllib.parse

import requests

from controller.image import transfer

MAX_REDIRECTS = 5
DEFAULT_PORTS = {"http": 80, "https": 443}


class ImportFailed(Exception):
    """The data could not be fetched; the message says why."""


def check_uri(uri, conf):
    """Raise ImportFailed unless the operator allows fetching ``uri``."""
    try:
        parts = urllib.parse.urlsplit(uri)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError as exc:
        raise ImportFailed(f"Invalid URI {uri!r}: {exc}.")
    if parts.scheme not in conf.image.import_allowed_schemes:
        raise ImportFailed(f"URI scheme {parts.scheme!r} is not allowed for imports; "
                           f"allowed: {', '.join(conf.image.import_allowed_schemes)}.")
    if not parts.hostname:
        raise ImportFailed(f"URI {uri!r} names no host.")
    allowed_hosts = conf.image.import_allowed_hosts
    if allowed_hosts and parts.hostname not in allowed_hosts:
        raise ImportFailed(f"Host {parts.hostname!r} is not allowed for imports.")
    allowed_ports = conf.image.import_allowed_ports
    if allowed_ports and str(port) not in allowed_ports:
        raise ImportFailed(f"Port {port} is not allowed for imports; allowed: "
                           f"{', '.join(allowed_ports)}.")


def fetch(uri, conf):
    """Chunks of the document at ``uri``; raises ImportFailed on any failure."""
    with requests.Session() as session:
        for _ in range(MAX_REDIRECTS + 1):
            check_uri(uri, conf)
            try:
                response = session.get(uri, stream=True, allow_redirects=False,
                                       timeout=conf.image.import_timeout)
            except requests.RequestException as exc:
                raise ImportFailed(f"Could not fetch {uri}: {exc}") from exc
            with response:
                if response.is_redirect:
                    uri = urllib.parse.urljoin(uri, response.headers["Location"])
                    continue
                if response.status_code != 200:
                    raise ImportFailed(f"{uri} answered {response.status_code} "
                                       f"{response.reason}.")
                try:
                    yield from response.iter_content(transfer.CHUNK_SIZE)
                except requests.RequestException as exc:
                    raise ImportFailed(f"Fetching {uri} broke off: {exc}") from exc
                return
        raise ImportFailed(f"Too many redirects (more than {MAX_REDIRECTS}).")
