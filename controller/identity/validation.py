"""Token validation for every API: ``make_validator(runtime, local)``.

Where identity runs in the same process (the api role), tokens are opened with the Fernet
keys and checked against the database directly, and a revocation made here is seen at
once. Elsewhere tokens are validated over HTTP by identity, as keystonemiddleware does.
"""
import datetime
import logging
import threading

import requests

from controller.api import errors
from controller.api.auth import RequestAuth
from controller.identity.token_service import TokenService

LOG = logging.getLogger(__name__)


def request_auth(valid_token):
    """ValidToken → the RequestAuth handlers see."""
    user, project = valid_token.user, valid_token.project
    return RequestAuth(
        token=valid_token.token, user_id=user.id, user_name=user.name,
        user_domain_id=user.domain_id,
        project_id=project.id if project else None,
        project_name=project.name if project else None,
        project_domain_id=project.domain_id if project else None,
        roles=frozenset(role.name for role in valid_token.roles),
        expires_at=valid_token.payload.expires_at,
        domain_id=valid_token.domain.id if valid_token.domain else None,
        system_scope=valid_token.system)


def _parse_time(value):
    parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def request_auth_from_body(token, body):
    """A Keystone token body (GET /v3/auth/tokens) → RequestAuth."""
    data = body["token"]
    user, project = data["user"], data.get("project")
    return RequestAuth(
        token=token, user_id=user["id"], user_name=user["name"],
        user_domain_id=user["domain"]["id"],
        project_id=project["id"] if project else None,
        project_name=project["name"] if project else None,
        project_domain_id=project["domain"]["id"] if project else None,
        roles=frozenset(role["name"] for role in data.get("roles", ())),
        expires_at=_parse_time(data["expires_at"]),
        domain_id=data["domain"]["id"] if "domain" in data else None,
        system_scope=bool(data.get("system", {}).get("all")))


class LocalValidator:
    """Validates with this process's TokenService (shared with the identity API)."""

    def __init__(self, token_service):
        self.token_service = token_service

    def validate(self, token):
        return request_auth(self.token_service.validate(token))

    def revocation_generation(self):
        return self.token_service.revocations.generation()


class RemoteValidator:
    """Asks identity over HTTP; revocations elsewhere reach it when the middleware's
    short cache (``[api] token_cache_seconds``) lapses."""

    def __init__(self, auth_url, timeout=10):
        self.url = auth_url.rstrip("/") + "/auth/tokens"
        self.timeout = timeout
        self._local = threading.local()

    def _session(self):
        """One keep-alive HTTP session per thread (requests.Session is not thread-safe)."""
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def validate(self, token):
        try:
            resp = self._session().get(self.url, params={"nocatalog": "1"}, timeout=self.timeout,
                                 headers={"X-Auth-Token": token, "X-Subject-Token": token})
        except requests.RequestException as exc:
            LOG.error("identity at %s is unreachable: %s", self.url, exc)
            raise errors.ServiceUnavailable("Identity is unreachable.") from None
        if resp.status_code in (401, 403, 404):
            raise errors.Unauthorized("The request you have made requires authentication.")
        if resp.status_code != 200:
            LOG.error("identity answered %s to a token validation", resp.status_code)
            raise errors.ServiceUnavailable("Identity cannot validate tokens now.")
        return request_auth_from_body(token, resp.json())

    def revocation_generation(self):
        return 0


def make_validator(runtime, local):
    if local:
        return LocalValidator(TokenService(runtime.conf, runtime.db))
    auth_url = runtime.conf.identity.auth_url or runtime.endpoint("/identity/v3")
    return RemoteValidator(auth_url)
