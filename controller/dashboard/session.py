"""Who is signed in to the dashboard: a Keystone token, scoped to the chosen project,
kept in a cookie no script can read (HttpOnly), sent only over HTTPS or to this
machine (Secure) and never by another site's request (SameSite=Strict). Nothing secret
ever goes into a URL.

CSRF: every form and every htmx request carries a token derived from the session's
Keystone token (a page of another site cannot know it); the login form, before there
is a session, carries a random one that must match its cookie.
"""
import dataclasses
import hashlib
import hmac
import secrets

TOKEN_COOKIE = "pocketstack_session"
LOGIN_CSRF_COOKIE = "pocketstack_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
PATH = "/dashboard"


class NotSignedIn(Exception):
    """No session, or its token expired or was revoked."""


class CsrfRefused(Exception):
    """A state-changing request without the session's CSRF token."""


@dataclasses.dataclass
class Session:
    token: str
    user: dict
    project: dict
    roles: list
    catalog: list

    @property
    def is_admin(self):
        return "admin" in self.roles

    @property
    def csrf(self):
        return csrf_of(self.token)


def csrf_of(token):
    return hashlib.sha256(b"pocketstack-dashboard-csrf:" + token.encode()).hexdigest()[:40]


def session_of(data, token):
    return Session(token=token, user=data["user"], project=data.get("project") or {},
                   roles=[role["name"] for role in data.get("roles", ())],
                   catalog=data.get("catalog", []))


def set_cookie(resp, name, value, max_age=None):
    resp.set_cookie(name, value, path=PATH, secure=True, http_only=True,
                    same_site="Strict", max_age=max_age)


def check_csrf(req, form, expected):
    """Refuse a POST whose header or form field does not carry ``expected``."""
    given = req.get_header(CSRF_HEADER) or form.get(CSRF_FIELD)
    if not given or not hmac.compare_digest(str(given), expected):
        raise CsrfRefused("The form is stale or came from another site: reload the page.")


def new_login_csrf():
    return secrets.token_urlsafe(24)
