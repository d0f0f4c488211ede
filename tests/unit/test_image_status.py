"""The image status machine."""
import pytest

from controller.image import status


@pytest.mark.parametrize("current, wanted", [
    ("queued", "saving"), ("saving", "active"), ("saving", "killed"),
    ("saving", "queued"), ("queued", "importing"), ("importing", "active"),
    ("importing", "queued"), ("active", "deleted"), ("killed", "deleted"),
    ("queued", "deleted"), ("saving", "deleted"),
])
def test_allowed_transitions(current, wanted):
    assert status.advance(current, wanted) == wanted


@pytest.mark.parametrize("current, wanted", [
    ("active", "saving"), ("killed", "saving"), ("saving", "saving"),
    ("importing", "saving"), ("active", "importing"), ("queued", "active"),
    ("killed", "active"), ("deleted", "queued"), ("active", "queued"),
])
def test_refused_transitions(current, wanted):
    with pytest.raises(status.InvalidTransition) as caught:
        status.advance(current, wanted)
    assert current in str(caught.value)


def test_upload_to_an_active_image_explains_itself():
    with pytest.raises(status.InvalidTransition,
                       match="only be uploaded to a queued image; this one is active"):
        status.advance("active", "saving")


def test_recovery_ends_every_interrupted_transfer():
    for interrupted, settled in status.RECOVERY.items():
        assert status.advance(interrupted, settled) == settled
    assert status.RECOVERY == {"saving": "killed", "importing": "queued"}


def test_every_status_has_its_transitions():
    assert set(status.TRANSITIONS) == set(status.ALL)
    for targets in status.TRANSITIONS.values():
        assert targets <= set(status.ALL)
