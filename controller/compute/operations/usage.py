"""What servers used over a time window (``openstack usage list/show``); the arithmetic
lives in ``controller.compute.usage``."""
from contract import exception
from controller.compute import usage


class InvalidMarker(exception.ComputeError):
    code = 400


def servers_in_window(db, start, stop, project_id=None, limit=None, marker=None):
    """The servers of ``project_id`` (None: all) that ran in [start, stop], a page of
    them when ``limit`` is given; 400 if ``marker`` names no such server."""
    with db.session() as session:
        try:
            return usage.servers_in_window(session, start, stop, project_id, limit, marker)
        except usage.MarkerNotFound as exc:
            raise InvalidMarker(str(exc)) from None
