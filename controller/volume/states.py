"""The status machines of volumes and snapshots: which event may happen in which status.

Pure data and logic, no database: the manager asks ``machine.transition(event)`` for the
statuses an event may start from and the one it leads to, and applies it with a single
conditional UPDATE (``WHERE status IN sources``), so two requests racing on one volume
cannot both win.
"""
import dataclasses


class InvalidStatus(Exception):
    """The event is not allowed in the current status (the API answers 400)."""


@dataclasses.dataclass(frozen=True)
class Transition:
    """``event`` may happen in ``sources`` and leads to ``target`` (None: unchanged)."""

    event: str
    sources: frozenset
    target: str | None


class Machine:
    def __init__(self, kind, statuses, transitions):
        self.kind = kind
        self.statuses = frozenset(statuses)
        self._transitions = {}
        for event, (sources, target) in transitions.items():
            sources = frozenset(sources)
            unknown = (sources | {target}) - {None} - self.statuses
            if unknown:
                raise ValueError(f"{kind} event {event!r} names unknown statuses {unknown}")
            self._transitions[event] = Transition(event, sources, target)

    def transition(self, event):
        return self._transitions[event]

    def next_status(self, status, event):
        """The status after ``event`` happens in ``status``, or InvalidStatus."""
        transition = self._transitions[event]
        if status not in transition.sources:
            raise InvalidStatus(self.refusal(transition, status))
        return status if transition.target is None else transition.target

    def refusal(self, transition, status):
        allowed = " or ".join(sorted(transition.sources))
        return (f"{self.kind} status must be {allowed} to {transition.event.replace('_', ' ')}, "
                f"but current status is: {status}.")

    def check_reset(self, status):
        """Validate the status an admin forces with os-reset_status."""
        if status not in self.statuses:
            raise InvalidStatus(f"Invalid {self.kind.lower()} status {status!r}: must be one "
                                f"of {', '.join(sorted(self.statuses))}.")
        return status


VOLUME_STATUSES = ("creating", "available", "reserved", "attaching", "in-use", "detaching",
                   "extending", "deleting", "error", "error_extending", "error_deleting",
                   "maintenance", "awaiting-transfer", "uploading")

# Errors keep the data: a failed extend or delete leaves the file as it was, and the
# volume may be deleted (or reset by an admin) afterwards.
DELETABLE = ("available", "error", "error_extending", "error_deleting")

VOLUME = Machine("Volume", VOLUME_STATUSES, {
    "finish_create": (["creating"], "available"),
    "fail_create": (["creating"], "error"),
    # Attachments: reserve (no connector yet) → attach (export started) → complete.
    "reserve": (["available"], "reserved"),
    "attach": (["available", "reserved"], "attaching"),
    "roll_back_attach": (["reserved", "attaching"], "available"),
    "complete_attach": (["attaching"], "in-use"),
    "detach": (["in-use", "attaching", "reserved"], "detaching"),
    "finish_detach": (["detaching"], "available"),
    # Cinder's older attach calls, which only keep the books of an attachment made by
    # someone else: os-reserve/os-unreserve, os-attach, os-begin_detaching/
    # os-roll_detaching and os-detach.
    "legacy_reserve": (["available"], "attaching"),
    "legacy_unreserve": (["attaching"], "available"),
    "legacy_attach": (["available", "attaching", "reserved"], "in-use"),
    "begin_detaching": (["in-use"], "detaching"),
    "roll_detaching": (["detaching"], "in-use"),
    "legacy_detach": (["in-use", "detaching", "attaching"], "available"),
    # An admin's os-force_detach: whatever the status, the attachment goes.
    "force_detach": (VOLUME_STATUSES, "available"),
    "update_readonly_flag": (["available"], None),
    "retype": (["available", "in-use"], None),
    "transfer": (["available"], "awaiting-transfer"),
    "finish_transfer": (["awaiting-transfer"], "available"),
    "change_image_metadata": (["available", "in-use"], None),
    # Copying the volume into an image (os-volume_upload_image): whether it worked or
    # not, the volume is as it was.
    "upload": (["available"], "uploading"),
    "finish_upload": (["uploading"], "available"),
    "extend": (["available"], "extending"),
    "finish_extend": (["extending"], "available"),
    "fail_extend": (["extending"], "error_extending"),
    "delete": (DELETABLE, "deleting"),
    # An admin's os-force_delete: from any status but attached (Cinder's force).
    "force_delete": ([s for s in VOLUME_STATUSES if s != "in-use"], "deleting"),
    "fail_delete": (["deleting"], "error_deleting"),
    # Taking a snapshot leaves the volume's status alone; an attached volume only with
    # force (its copy is then crash-consistent, like pulling the plug).
    "snapshot": (["available"], None),
    "force_snapshot": (["available", "in-use"], None),
})

# A restart interrupts these; recovery moves each to the status named here.
VOLUME_INTERRUPTED = {"creating": "error", "extending": "error_extending",
                      "deleting": "error_deleting", "uploading": "available"}

SNAPSHOT_STATUSES = ("creating", "available", "deleting", "error", "error_deleting")

SNAPSHOT = Machine("Snapshot", SNAPSHOT_STATUSES, {
    "finish_create": (["creating"], "available"),
    "fail_create": (["creating"], "error"),
    "delete": (["available", "error", "error_deleting"], "deleting"),
    "force_delete": (SNAPSHOT_STATUSES, "deleting"),
    "fail_delete": (["deleting"], "error_deleting"),
    # A volume made from a snapshot reads it while the snapshot stays available.
    "copy": (["available"], None),
})

SNAPSHOT_INTERRUPTED = {"creating": "error", "deleting": "error_deleting"}
