"""Token validation shared by every API: the one middleware, and who the caller is.

Identity supplies a ``TokenValidator``; this middleware asks it about every token, keeps
an answer for at most ``[api] token_cache_seconds`` (and never past the token's expiry or
a revocation the validator has seen), and hands the handler a ``RequestAuth``.
"""
import dataclasses
import datetime
import threading
import time
from typing import Protocol

from controller.api import errors
from controller.db.base import utcnow


@dataclasses.dataclass(frozen=True)
class RequestAuth:
    """The validated caller: user, scope and effective roles (implied roles included)."""

    token: str
    user_id: str
    user_name: str
    user_domain_id: str
    project_id: str | None
    project_name: str | None
    project_domain_id: str | None
    roles: frozenset
    expires_at: datetime.datetime
    domain_id: str | None = None
    system_scope: bool = False

    @property
    def scoped(self):
        return bool(self.project_id or self.domain_id or self.system_scope)

    @property
    def is_admin(self):
        return "admin" in self.roles

    def policy_credentials(self):
        """The dict oslo.policy checks rules against."""
        return {"user_id": self.user_id, "project_id": self.project_id,
                "roles": sorted(self.roles), "domain_id": self.domain_id,
                "system_scope": "all" if self.system_scope else None}

    def rpc_context(self, request_id=None):
        """The RequestContext that carries this caller across the message bus."""
        from contract.rpc import RequestContext
        return RequestContext(auth_token=self.token, user_id=self.user_id,
                              project_id=self.project_id, roles=sorted(self.roles),
                              is_admin=self.is_admin, request_id=request_id,
                              user_name=self.user_name, project_name=self.project_name)


class TokenValidator(Protocol):
    def validate(self, token: str) -> RequestAuth:
        """Return the token's caller, or raise errors.Unauthorized (expired, revoked,
        forged, disabled user or project)."""

    def revocation_generation(self) -> int:
        """A number that changes whenever this process learns of a revocation."""


class AuthMiddleware:
    """Falcon middleware: every responder needs a valid token unless its resource lists
    the HTTP method in ``public_methods`` (version discovery, ``POST /v3/auth/tokens``).
    With ``require_scope`` (every service but identity) an unscoped token is refused as
    keystonemiddleware refuses it: it names no project to act in."""

    def __init__(self, validator, cache_seconds, max_entries=10000, require_scope=False):
        self.validator = validator
        self.require_scope = require_scope
        self.cache_seconds = cache_seconds
        self.max_entries = max_entries
        self._cache = {}
        self._lock = threading.Lock()

    def process_request(self, req, resp):
        # When the request arrived and when its token was validated: the first two steps
        # of a server build's trace.
        req.context.received_at = utcnow()
        req.context.authenticated_at = None

    def process_resource(self, req, resp, resource, params):
        req.context.auth = None
        if resource is None or req.method in getattr(resource, "public_methods", ()):
            return
        token = req.get_header("X-Auth-Token")
        if not token:
            raise errors.Unauthorized("The request you have made requires authentication.")
        auth = self.authenticate(token)
        if self.require_scope and not auth.scoped:
            raise errors.Unauthorized("The request you have made requires authentication: "
                                      "the token is not scoped to a project.")
        req.context.auth = auth
        req.context.authenticated_at = utcnow()

    def authenticate(self, token):
        generation = self.validator.revocation_generation()
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(token)
        if cached is not None:
            auth, fetched, cached_generation = cached
            if (cached_generation == generation and now - fetched < self.cache_seconds
                    and auth.expires_at > utcnow()):
                return auth
        auth = self.validator.validate(token)
        if self.cache_seconds > 0:
            with self._lock:
                if len(self._cache) >= self.max_entries:
                    self._cache.clear()
                self._cache[token] = (auth, now, generation)
        return auth
