"""Fernet tokens: what a token carries and how it is sealed.

Nothing about a token is stored: the payload (user, methods, project scope, issue and
expiry times, audit IDs) is packed with msgpack and encrypted and signed with the primary
Fernet key. Everything else in a token's body (names, roles, catalog) is read from the
database each time it is validated, so it is never stale.
"""
import base64
import binascii
import dataclasses
import datetime
import secrets
import uuid

import msgpack
from cryptography.fernet import InvalidToken as FernetInvalidToken

# 2 added domain and system scope and application credentials; 1 (project scope only) is
# still read.
PAYLOAD_VERSION = 2
METHODS = ("password", "token", "application_credential")


class InvalidToken(Exception):
    """The token is forged, damaged, sealed with an unknown key or of an unknown format."""


def new_audit_id():
    """A random, URL-safe ID that names a token (and its rescoped children) in logs and
    revocations without revealing it."""
    return base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()


def _utc(timestamp):
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).replace(tzinfo=None)


def _timestamp(value):
    return value.replace(tzinfo=datetime.timezone.utc).timestamp()


@dataclasses.dataclass(frozen=True)
class TokenPayload:
    user_id: str
    methods: tuple
    project_id: str | None
    issued_at: datetime.datetime   # naive UTC, microseconds kept
    expires_at: datetime.datetime  # naive UTC
    audit_ids: tuple               # (this token's, the token it was rescoped from, if any)
    domain_id: str | None = None
    system: bool = False
    app_cred_id: str | None = None

    @property
    def audit_id(self):
        return self.audit_ids[0]

    def is_expired(self, now):
        return now >= self.expires_at


def _pack_id(value):
    """32-digit hex IDs travel as 16 bytes; others (``default``) as text."""
    if value is None:
        return None
    try:
        packed = uuid.UUID(hex=value)
    except ValueError:
        return value
    return packed.bytes if packed.hex == value else value


def _unpack_id(value):
    if value is None or isinstance(value, str):
        return value
    return uuid.UUID(bytes=value).hex


def _pack_audit_id(value):
    return base64.urlsafe_b64decode(value + "==")


def _unpack_audit_id(value):
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def pack(payload):
    """TokenPayload → compact bytes."""
    methods = sum(1 << METHODS.index(m) for m in payload.methods)
    return msgpack.packb([
        PAYLOAD_VERSION, _pack_id(payload.user_id), methods, _pack_id(payload.project_id),
        _timestamp(payload.issued_at), _timestamp(payload.expires_at),
        [_pack_audit_id(a) for a in payload.audit_ids],
        _pack_id(payload.domain_id), payload.system, _pack_id(payload.app_cred_id)],
        use_bin_type=True)


def unpack(data):
    """Bytes → TokenPayload; InvalidToken for anything that is not a payload we made."""
    try:
        fields = msgpack.unpackb(data, raw=False)
        version = fields[0]
        if version == 1:
            fields = fields + [None, False, None]
        elif version != PAYLOAD_VERSION:
            raise InvalidToken(f"unknown token payload version {version}")
        (_, user_id, methods, project_id, issued_at, expires_at, audit_ids, domain_id,
         system, app_cred_id) = fields
        return TokenPayload(
            user_id=_unpack_id(user_id),
            methods=tuple(m for i, m in enumerate(METHODS) if methods & (1 << i)),
            project_id=_unpack_id(project_id),
            issued_at=_utc(issued_at), expires_at=_utc(expires_at),
            audit_ids=tuple(_unpack_audit_id(a) for a in audit_ids),
            domain_id=_unpack_id(domain_id), system=bool(system),
            app_cred_id=_unpack_id(app_cred_id))
    except InvalidToken:
        raise
    except (ValueError, TypeError, IndexError, msgpack.UnpackException,
            binascii.Error) as exc:
        raise InvalidToken("malformed token payload") from exc


class FernetTokenFormatter:
    """Seals payloads with the key repository's primary key and opens them with any."""

    def __init__(self, key_repository):
        self.keys = key_repository

    def create(self, payload):
        token = self.keys.fernet().encrypt(pack(payload))
        # Keystone strips the base64 padding: '=' would need quoting in URLs.
        return token.rstrip(b"=").decode()

    def open(self, token):
        if not token or len(token) > 1024:
            raise InvalidToken("malformed token")
        padded = token + "=" * (-len(token) % 4)
        try:
            data = self.keys.fernet().decrypt(padded.encode("ascii"))
        except (FernetInvalidToken, UnicodeEncodeError, ValueError) as exc:
            raise InvalidToken("token cannot be decrypted") from exc
        return unpack(data)
