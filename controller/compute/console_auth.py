"""One-time console tokens, as Nova's consoleauth: a token names one server's console
(the host and port its agent reported), expires after ``[consoleauth] token_ttl`` and
opens that console once. Only the token's SHA-256 is stored, so the database never
holds a usable token.
"""
import dataclasses
import datetime
import hashlib
import secrets
import urllib.parse

from sqlalchemy import delete, select

from controller.compute import models
from controller.db.base import utcnow


@dataclasses.dataclass(frozen=True)
class Connection:
    """Where the console proxy connects for a token."""

    instance_uuid: str
    console_type: str
    host: str
    port: int
    internal_access_path: str | None = None


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def purge_expired(session):
    session.execute(delete(models.ConsoleAuthToken).where(
        models.ConsoleAuthToken.expires <= utcnow()))


def issue(session, instance_uuid, console_type, connect_info, ttl):
    """A new token for the console at ``connect_info`` (``host``, ``port``,
    ``internal_access_path``) of the server, valid ``ttl`` seconds; returns the token."""
    purge_expired(session)
    token = secrets.token_urlsafe(32)
    session.add(models.ConsoleAuthToken(
        token_hash=token_hash(token), console_type=console_type,
        host=connect_info["host"], port=int(connect_info["port"]),
        internal_access_path=connect_info.get("internal_access_path"),
        instance_uuid=instance_uuid,
        expires=utcnow() + datetime.timedelta(seconds=ttl)))
    return token


def consume(session, token):
    """The ``Connection`` that ``token`` opens, once: the token is deleted as it is
    used. None for an unknown, used or expired token, or one whose server is gone."""
    if not token:
        return None
    row = session.scalars(select(models.ConsoleAuthToken).where(
        models.ConsoleAuthToken.token_hash == token_hash(token))).first()
    if row is None:
        return None
    # Two proxies racing for the same token: only the one whose delete removed the row
    # may use it.
    if session.execute(delete(models.ConsoleAuthToken).where(
            models.ConsoleAuthToken.id == row.id)).rowcount != 1:
        return None
    if row.expires <= utcnow():
        return None
    live = session.scalars(select(models.Instance.uuid).where(
        models.Instance.uuid == row.instance_uuid,
        models.Instance.deleted_at.is_(None))).first()
    if live is None:
        return None
    return Connection(row.instance_uuid, row.console_type, row.host, row.port,
                      row.internal_access_path)


def access_url(console_type, base_url, token):
    """The URL the API returns: noVNC's page takes the WebSocket's path with the token
    in its ``path`` parameter (as Nova does since noVNC 1.1); a serial console's
    WebSocket URL takes it as ``token``."""
    if console_type == "novnc":
        query = urllib.parse.urlencode({"path": f"?token={token}"})
    else:
        query = urllib.parse.urlencode({"token": token})
    return f"{base_url}{'&' if '?' in base_url else '?'}{query}"
