"""Revocation matching: which events revoke which tokens."""
import datetime

import pytest

from controller.identity import tokens
from controller.identity.revocation import Event, RevocationIndex

T0 = datetime.datetime(2026, 11, 24, 8, 0, 0)
SECOND = datetime.timedelta(seconds=1)


def token(user="u1", project="p1", issued_at=T0, audit_ids=("aud1",)):
    return tokens.TokenPayload(user_id=user, methods=("password",), project_id=project,
                               issued_at=issued_at, expires_at=issued_at + 3600 * SECOND,
                               audit_ids=audit_ids)


def index_of(*events):
    index = RevocationIndex()
    for event in events:
        index.add(event)
    return index


@pytest.mark.parametrize("event, revoked", [
    (Event(T0, audit_id="aud1"), True),
    (Event(T0, audit_id="other"), False),
    (Event(T0, user_id="u1"), True),
    (Event(T0, user_id="u2"), False),
    (Event(T0, project_id="p1"), True),
    (Event(T0, project_id="p2"), False),
    (Event(T0 - SECOND, user_id="u1"), False),      # token issued after the event
    (Event(T0, user_id="u1", project_id="p1"), True),
    (Event(T0, user_id="u1", project_id="p2"), False),
    (Event(T0, user_id="u2", project_id="p1"), False),
])
def test_event_matching(event, revoked):
    assert event.matches(token()) is revoked
    assert index_of(event).is_revoked(token()) is revoked


def test_issued_before_is_exact_to_the_microsecond():
    """A new token issued right after a password change must not be caught by it."""
    event = Event(T0, user_id="u1")
    assert index_of(event).is_revoked(token(issued_at=T0))
    assert not index_of(event).is_revoked(
        token(issued_at=T0 + datetime.timedelta(microseconds=1)))


def test_revoking_a_token_spares_tokens_rescoped_from_it():
    """As in Keystone, DELETE of one token names its own audit ID only."""
    parent = token(audit_ids=("parent",))
    child = token(audit_ids=("child", "parent"))
    index = index_of(Event(T0, audit_id="parent"))
    assert index.is_revoked(parent)
    assert not index.is_revoked(child)
    assert index_of(Event(T0, audit_id="child")).is_revoked(child)


def test_unscoped_token_not_hit_by_project_event():
    assert not index_of(Event(T0, project_id="p1")).is_revoked(token(project=None))


def test_latest_event_per_key_wins():
    index = index_of(Event(T0 - SECOND, user_id="u1"), Event(T0, user_id="u1"),
                     Event(T0 - 2 * SECOND, user_id="u1"))
    assert index.is_revoked(token(issued_at=T0))


def test_prune_forgets_only_old_events():
    index = index_of(Event(T0 - 10 * SECOND, user_id="old"), Event(T0, user_id="new"),
                     Event(T0 - 10 * SECOND, user_id="old", project_id="p1"))
    index.prune(T0 - 5 * SECOND)
    assert not index.is_revoked(token(user="old", issued_at=T0 - 20 * SECOND))
    assert index.is_revoked(token(user="new", issued_at=T0))
