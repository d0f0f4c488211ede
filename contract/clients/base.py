"""What every client of a sibling API shares: a keystoneauth1 Session acting with a
token (the user's own, or the service user's), retries of idempotent requests when the
service cannot be reached, and one mapping of error answers to ``ClientError``.

Each client names its error class (``NetworkApiError``, ``ImageError``, ``VolumeError``)
and how to read its service's fault body; callers catch that class, or ``ClientError``
for any sibling.
"""
import requests
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session

# Methods a retry cannot do twice (RFC 9110 §9.2.2); POST and PATCH are sent once.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
CONNECT_RETRIES = 2
CONNECT_RETRY_DELAY = 0.5


class ClientError(Exception):
    """A sibling API refused a request, failed it, or could not be reached (``status``
    None). The message is the service's own when it gave one."""

    def __init__(self, message, status=None, error_type=None):
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


class HTTPClient:
    """Requests to one API at ``endpoint`` with ``token``, through a keystoneauth1
    Session over ``self.session`` (a ``requests.Session`` that carries the token)."""

    #: The ClientError subclass this API's errors are raised as.
    error = ClientError
    #: What the API is called in error messages.
    service_name = "The service"

    def __init__(self, endpoint, token=None, timeout=60.0, headers=None, transport=None):
        """``token``: the one to act with on every call (else each call passes its own);
        ``transport``: a requests adapter for the endpoint's URLs (e.g. ``WSGIAdapter``)."""
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        if token is not None:
            self.session.headers["X-Auth-Token"] = token
        self.session.headers.update(headers or {})
        if transport is not None:
            self.session.mount(self.endpoint + "/", transport)
        self._ks = ks_session.Session(session=self.session, timeout=timeout)

    @property
    def base_url(self):
        return self.endpoint

    def request(self, method, url, token=None, check=True, **kwargs):
        """The answer to ``method url`` (a path under the endpoint, or a full URL).
        Error answers raise ``self.error`` unless ``check`` is false; a service that
        cannot be reached raises it with status None."""
        if not url.startswith(("http://", "https://")):
            url = self.endpoint + url
        headers = dict(kwargs.pop("headers", None) or {})
        if token is not None:
            headers["X-Auth-Token"] = token
        # A file being sent cannot be sent again from its start.
        repeatable = not hasattr(kwargs.get("data"), "read")
        retries = CONNECT_RETRIES if method in IDEMPOTENT_METHODS and repeatable else 0
        try:
            response = self._ks.request(
                url, method, headers=headers, raise_exc=False, authenticated=False,
                connect_retries=retries, connect_retry_delay=CONNECT_RETRY_DELAY,
                log=not kwargs.get("stream") and "data" not in kwargs, **kwargs)
        except ks_exceptions.ConnectionError as exc:
            raise self.error(*self.unreachable(url, exc)) from exc
        if check and response.status_code >= 400:
            raise self.error(*self.fault(response))
        return response

    def unreachable(self, url, exc):
        """The error's arguments when the service did not answer."""
        return (f"{self.service_name} unreachable at {url}: {exc}",)

    def fault(self, response):
        """The error's arguments (message, status, error type) for an error answer."""
        return (f"{self.service_name} answered {response.status_code}: "
                f"{response.text[:200]}", response.status_code)
