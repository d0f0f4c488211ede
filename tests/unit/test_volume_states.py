"""The volume and snapshot status machines."""
import pytest

from controller.volume import states


@pytest.mark.parametrize("start, events, end", [
    # create, attach with a connector, complete, detach
    ("creating", ["finish_create", "attach", "complete_attach", "detach", "finish_detach"],
     "available"),
    # Nova's way: reserve first, the connector comes later
    ("available", ["reserve", "attach", "complete_attach"], "in-use"),
    ("available", ["reserve", "detach", "finish_detach"], "available"),
    ("available", ["extend", "finish_extend", "delete"], "deleting"),
    # Cinder's older attach bookkeeping (os-reserve, os-attach, os-begin_detaching...)
    ("available", ["legacy_reserve", "legacy_unreserve"], "available"),
    ("available", ["legacy_reserve", "legacy_attach", "begin_detaching", "roll_detaching",
                   "legacy_detach"], "available"),
    # A transfer offered, withdrawn or accepted; an upload to an image
    ("available", ["transfer", "finish_transfer", "upload", "finish_upload"], "available"),
    # An admin forgets an attachment whatever the status
    ("error", ["force_detach"], "available"),
])
def test_lifecycles(start, events, end):
    status = start
    for event in events:
        status = states.VOLUME.next_status(status, event)
    assert status == end


@pytest.mark.parametrize("status", ["in-use", "attaching", "reserved", "detaching",
                                    "creating", "extending", "deleting"])
def test_busy_or_attached_volumes_cannot_be_deleted(status):
    with pytest.raises(states.InvalidStatus, match=f"current status is: {status}"):
        states.VOLUME.next_status(status, "delete")


@pytest.mark.parametrize("status", ["available", "error", "error_extending", "error_deleting"])
def test_idle_and_failed_volumes_can_be_deleted(status):
    assert states.VOLUME.next_status(status, "delete") == "deleting"


def test_refusal_names_the_allowed_statuses_like_cinder():
    with pytest.raises(states.InvalidStatus) as exc:
        states.VOLUME.next_status("in-use", "extend")
    assert str(exc.value) == ("Volume status must be available to extend, but current "
                              "status is: in-use.")


def test_failures_keep_the_volume_deletable():
    assert states.VOLUME.next_status("creating", "fail_create") == "error"
    assert states.VOLUME.next_status("extending", "fail_extend") == "error_extending"
    assert states.VOLUME.next_status("deleting", "fail_delete") == "error_deleting"
    for status in ("error", "error_extending", "error_deleting"):
        assert states.VOLUME.next_status(status, "delete") == "deleting"


def test_snapshot_needs_force_while_attached_and_keeps_the_status():
    assert states.VOLUME.next_status("available", "snapshot") == "available"
    with pytest.raises(states.InvalidStatus):
        states.VOLUME.next_status("in-use", "snapshot")
    assert states.VOLUME.next_status("in-use", "force_snapshot") == "in-use"
    with pytest.raises(states.InvalidStatus):
        states.VOLUME.next_status("creating", "force_snapshot")


def test_a_failed_attach_rolls_back_to_available():
    assert states.VOLUME.next_status("attaching", "roll_back_attach") == "available"
    assert states.VOLUME.next_status("reserved", "roll_back_attach") == "available"
    with pytest.raises(states.InvalidStatus):
        states.VOLUME.next_status("in-use", "roll_back_attach")


def test_snapshot_machine():
    assert states.SNAPSHOT.next_status("creating", "finish_create") == "available"
    assert states.SNAPSHOT.next_status("available", "copy") == "available"
    with pytest.raises(states.InvalidStatus):
        states.SNAPSHOT.next_status("creating", "copy")
    with pytest.raises(states.InvalidStatus):
        states.SNAPSHOT.next_status("deleting", "delete")


def test_reset_accepts_only_known_statuses():
    assert states.VOLUME.check_reset("error") == "error"
    with pytest.raises(states.InvalidStatus, match="Invalid volume status 'broken'"):
        states.VOLUME.check_reset("broken")


def test_interrupted_work_maps_to_error_statuses():
    for status, after in states.VOLUME_INTERRUPTED.items():
        # An upload only read the volume: it is as it was.
        assert status in states.VOLUME_STATUSES and (
            after.startswith("error") or (status, after) == ("uploading", "available"))
    for status, after in states.SNAPSHOT_INTERRUPTED.items():
        assert status in states.SNAPSHOT_STATUSES and after.startswith("error")


def test_machine_rejects_transitions_to_unknown_statuses():
    with pytest.raises(ValueError, match="unknown statuses"):
        states.Machine("Thing", ["a"], {"go": (["a"], "b")})


@pytest.mark.parametrize("status, event", [
    ("awaiting-transfer", "delete"), ("uploading", "delete"), ("in-use", "transfer"),
    ("in-use", "update_readonly_flag"), ("error", "retype"), ("in-use", "upload"),
])
def test_offered_uploading_or_busy_volumes_refuse(status, event):
    with pytest.raises(states.InvalidStatus):
        states.VOLUME.next_status(status, event)
