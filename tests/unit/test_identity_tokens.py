"""Fernet token rules: payload packing, sealing, expiry and key rotation."""
import datetime

import pytest

from controller.identity import keys, tokens

NOW = datetime.datetime(2026, 11, 24, 8, 0, 0, 123456)


def payload(**overrides):
    values = dict(user_id="a" * 32, methods=("password",), project_id="b" * 32,
                  issued_at=NOW, expires_at=NOW + datetime.timedelta(hours=1),
                  audit_ids=(tokens.new_audit_id(),))
    values.update(overrides)
    return tokens.TokenPayload(**values)


@pytest.fixture
def repository(tmp_path):
    repo = keys.KeyRepository(str(tmp_path / "keys"), max_active_keys=3)
    repo.initialize()
    return repo


@pytest.mark.parametrize("overrides", [
    {},
    {"project_id": None},
    {"user_id": "default-admin"},                     # not a UUID: kept as text
    {"user_id": "A" * 32},                            # upper-case hex must not be lowered
    {"methods": ("password", "token"), "audit_ids": (tokens.new_audit_id(),
                                                     tokens.new_audit_id())},
])
def test_pack_unpack_round_trip(overrides):
    original = payload(**overrides)
    assert tokens.unpack(tokens.pack(original)) == original


def test_uuid_ids_pack_to_bytes():
    # 32-digit IDs travel as 16 bytes, keeping tokens short.
    assert len(tokens.pack(payload())) < len(tokens.pack(payload(user_id="x" * 32)))


@pytest.mark.parametrize("data", [b"", b"\x93\x01\x02\x03", b"not msgpack \xff",
                                  b"\x97\x09\xa1a\x01\xc0\x00\x00\x90"])
def test_unpack_rejects_garbage(data):
    with pytest.raises(tokens.InvalidToken):
        tokens.unpack(data)


def test_expiry():
    token = payload()
    assert not token.is_expired(NOW)
    assert not token.is_expired(token.expires_at - datetime.timedelta(microseconds=1))
    assert token.is_expired(token.expires_at)


def test_seal_and_open(repository):
    formatter = tokens.FernetTokenFormatter(repository)
    original = payload()
    token = formatter.create(original)
    assert "=" not in token and token.startswith("gAAAAA")
    assert formatter.open(token) == original


def test_forged_and_damaged_tokens_are_refused(repository, tmp_path):
    formatter = tokens.FernetTokenFormatter(repository)
    token = formatter.create(payload())
    other = keys.KeyRepository(str(tmp_path / "other"))
    other.initialize()
    forged = tokens.FernetTokenFormatter(other).create(payload())
    flipped = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    for bad in (forged, flipped, token[:-5], "", "x" * 2000, "gAAAAA€"):
        with pytest.raises(tokens.InvalidToken):
            formatter.open(bad)


def test_initialize_creates_staged_and_primary_once(repository):
    assert repository.key_indexes() == [0, 1]
    assert not repository.initialize()
    assert repository.key_indexes() == [0, 1]


def test_rotation_keeps_previous_primary_valid(repository):
    formatter = tokens.FernetTokenFormatter(repository)
    original = payload()
    before = formatter.create(original)
    assert repository.rotate() == 2
    assert repository.key_indexes() == [0, 1, 2]
    assert formatter.open(before) == original
    assert formatter.open(formatter.create(original)) == original


def test_rotation_purges_keys_beyond_max_active(repository):
    formatter = tokens.FernetTokenFormatter(repository)
    token = formatter.create(payload())          # signed by key 1
    repository.rotate()                          # keys 0, 1, 2
    formatter.open(token)
    repository.rotate()                          # keys 0, 2, 3: key 1 is gone
    assert repository.key_indexes() == [0, 2, 3]
    with pytest.raises(tokens.InvalidToken):
        formatter.open(token)


def test_staged_key_already_validates(repository, tmp_path):
    """A host that rotated first signs with the key still staged here: it must validate."""
    import shutil
    ahead_path = str(tmp_path / "ahead")
    shutil.copytree(repository.path, ahead_path)
    ahead = keys.KeyRepository(ahead_path)
    ahead.rotate()
    token = tokens.FernetTokenFormatter(ahead).create(payload())
    assert tokens.FernetTokenFormatter(repository).open(token).user_id == "a" * 32


def test_missing_repository_is_an_error(tmp_path):
    with pytest.raises(keys.KeyRepositoryError):
        keys.KeyRepository(str(tmp_path / "none")).fernet()
    with pytest.raises(keys.KeyRepositoryError):
        keys.KeyRepository(str(tmp_path / "none")).rotate()
