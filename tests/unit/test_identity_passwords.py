"""Password hashing: argon2id, and the same answer path for unknown users."""
from controller.identity.passwords import PasswordHasher

HASHER = PasswordHasher(time_cost=1, memory_cost=64)


def test_hash_and_verify():
    digest = HASHER.hash("s3cret")
    assert digest.startswith("$argon2id$")
    assert "s3cret" not in digest
    assert HASHER.verify(digest, "s3cret")
    assert not HASHER.verify(digest, "S3cret")


def test_each_hash_is_salted():
    assert HASHER.hash("same") != HASHER.hash("same")


def test_no_hash_never_verifies():
    # No user (or a user without password): compared against the dummy hash, refused.
    assert not HASHER.verify(None, "not a password of anyone")
    assert not HASHER.verify(None, "")


def test_corrupt_hash_is_refused():
    assert not HASHER.verify("not-a-hash", "x")
