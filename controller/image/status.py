"""The life of an image's data, as a table of allowed status changes.

``queued`` (a record without data) → ``saving`` (an upload streams in) → ``active``.
An upload whose content is refused (wrong or unsafe format, over a size limit) goes back
to ``queued`` so the owner can upload again, as Glance does; one cut short (client gone,
short body, I/O error, a crash) becomes ``killed``. A web-download import runs
``queued`` → ``importing`` → ``active``, or back to ``queued`` on failure. Any image may
be ``deleted``. An admin may deactivate an active image (its data cannot be downloaded
by others until it is reactivated) and reactivate it.
"""

QUEUED = "queued"
SAVING = "saving"
ACTIVE = "active"
KILLED = "killed"
DELETED = "deleted"
IMPORTING = "importing"
DEACTIVATED = "deactivated"

ALL = (QUEUED, SAVING, ACTIVE, KILLED, DELETED, IMPORTING, DEACTIVATED)
# Every status Glance has: a list may filter on any of them (pocketstack never reaches
# ``pending_delete``, having no delayed delete, nor ``uploading``, having no staging).
GLANCE_STATUSES = (*ALL, "pending_delete", "uploading")

TRANSITIONS = {
    QUEUED: {SAVING, IMPORTING, DELETED},
    SAVING: {ACTIVE, QUEUED, KILLED, DELETED},
    IMPORTING: {ACTIVE, QUEUED, DELETED},
    ACTIVE: {DEACTIVATED, DELETED},
    DEACTIVATED: {ACTIVE, DELETED},
    KILLED: {DELETED},
    DELETED: set(),
}

# What a restart does to data transfers the previous process was running.
RECOVERY = {SAVING: KILLED, IMPORTING: QUEUED}


class InvalidTransition(Exception):
    """A status change the life cycle does not allow; the message is for the user."""

    def __init__(self, current, wanted):
        self.current = current
        self.wanted = wanted
        super().__init__(_MESSAGES.get(wanted, "Image status {current} cannot become "
                                               "{wanted}.").format(current=current,
                                                                   wanted=wanted))


_MESSAGES = {
    SAVING: "Image data can only be uploaded to a queued image; this one is {current}.",
    IMPORTING: "Image data can only be imported into a queued image; this one is "
               "{current}.",
}


def advance(current, wanted):
    """Return ``wanted`` if an image in ``current`` may move there, else raise."""
    if wanted not in TRANSITIONS.get(current, ()):
        raise InvalidTransition(current, wanted)
    return wanted
