"""Bulk creation (``POST /v2.0/networks`` with ``{"networks": [...]}``, also subnets and
ports): all of them or none, as Neutron emulates it for its plugins — each created in
turn and, when one fails, the ones already made are deleted before the error goes back.
"""
import logging

LOG = logging.getLogger(__name__)


def create_all(creates, undo):
    """``creates``: callables, each making one resource and returning it; ``undo(row)``
    deletes one made. Returns the rows, in order."""
    done = []
    try:
        for create in creates:
            done.append(create())
    except Exception:
        for row in reversed(done):
            try:
                undo(row)
            except Exception:
                LOG.exception("could not undo %s of a failed bulk create", row.id)
        raise
    return done
