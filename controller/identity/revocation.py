"""Token revocation: events recorded in the database, matched in memory.

Fernet tokens cannot be deleted, so revoking one records an event: "the token with this
audit ID", "every token of this user" or "every token scoped to this project", issued at
or before a moment. Every process that validates tokens keeps the events in memory, adds
its own at once and picks up other processes' events by polling the highest event ID.
Events older than the longest token lifetime are pruned: nothing they match is alive.
"""
import dataclasses
import datetime
import threading
import time

from sqlalchemy import delete, func, select

from controller.db.base import utcnow
from controller.identity import models


@dataclasses.dataclass(frozen=True)
class Event:
    issued_before: datetime.datetime
    audit_id: str | None = None
    user_id: str | None = None
    project_id: str | None = None

    def matches(self, payload):
        if payload.issued_at > self.issued_before:
            return False
        if self.audit_id is not None and self.audit_id != payload.audit_id:
            return False
        if self.user_id is not None and self.user_id != payload.user_id:
            return False
        if self.project_id is not None and self.project_id != payload.project_id:
            return False
        return True


class RevocationIndex:
    """The events of one process, indexed so a check costs three dictionary lookups.
    Only the latest ``issued_before`` per key matters."""

    def __init__(self):
        self._by_audit = {}
        self._by_user = {}
        self._by_project = {}
        self._other = []

    def add(self, event):
        keys = (event.audit_id, event.user_id, event.project_id)
        if sum(k is not None for k in keys) != 1:
            self._other.append(event)
            return
        if event.audit_id is not None:
            index, key = self._by_audit, event.audit_id
        elif event.user_id is not None:
            index, key = self._by_user, event.user_id
        else:
            index, key = self._by_project, event.project_id
        if key not in index or index[key] < event.issued_before:
            index[key] = event.issued_before

    def prune(self, horizon):
        """Forget events that only match tokens issued before ``horizon`` (all expired)."""
        for index in (self._by_audit, self._by_user, self._by_project):
            for key in [k for k, before in index.items() if before < horizon]:
                del index[key]
        self._other = [e for e in self._other if e.issued_before >= horizon]

    def is_revoked(self, payload):
        def _hit(index, key):
            before = index.get(key)
            return before is not None and payload.issued_at <= before

        return (_hit(self._by_audit, payload.audit_id)
                or _hit(self._by_user, payload.user_id)
                or (payload.project_id is not None
                    and _hit(self._by_project, payload.project_id))
                or any(event.matches(payload) for event in self._other))


class RevocationStore:
    """The database's revocation events, mirrored in this process."""

    def __init__(self, db, token_expiration, check_seconds):
        self.db = db
        self.token_expiration = token_expiration
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._index = RevocationIndex()
        self._last_id = 0
        self._checked = None
        self._generation = 0

    def generation(self):
        """Changes whenever this process learns of a revocation (its own or another's)."""
        self._refresh_if_due()
        return self._generation

    def is_revoked(self, payload):
        self._refresh_if_due()
        with self._lock:
            return self._index.is_revoked(payload)

    def revoke(self, *, audit_id=None, user_id=None, project_id=None, issued_before=None):
        """Record an event; this process honours it before this call returns."""
        event = Event(issued_before=issued_before or utcnow(), audit_id=audit_id,
                      user_id=user_id, project_id=project_id)
        horizon = utcnow() - datetime.timedelta(seconds=self.token_expiration)
        with self.db.session() as session:
            session.execute(delete(models.RevocationEvent)
                            .where(models.RevocationEvent.revoked_at < horizon))
            session.add(models.RevocationEvent(**dataclasses.asdict(event)))
        with self._lock:
            self._index.prune(horizon)
            self._index.add(event)
            self._generation += 1
        self._refresh()

    def _refresh_if_due(self):
        now = time.monotonic()
        checked = self._checked
        if checked is None or now - checked >= self.check_seconds:
            self._refresh()

    def _refresh(self):
        with self._lock:
            self._checked = time.monotonic()
            last_id = self._last_id
        with self.db.session() as session:
            newest = session.scalar(select(func.max(models.RevocationEvent.id))) or 0
            if newest <= last_id:
                return
            rows = session.scalars(select(models.RevocationEvent)
                                   .where(models.RevocationEvent.id > last_id)).all()
        with self._lock:
            fresh = [row for row in rows if row.id > self._last_id]
            for row in fresh:
                self._index.add(Event(issued_before=row.issued_before, audit_id=row.audit_id,
                                      user_id=row.user_id, project_id=row.project_id))
                self._last_id = max(self._last_id, row.id)
            if fresh:
                self._generation += 1
