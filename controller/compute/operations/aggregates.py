"""Host aggregates and their availability zones (admins), each change in one transaction;
the rules live in ``controller.compute.aggregates``."""
from controller.compute import aggregates


def list_aggregates(db):
    with db.session() as session:
        return aggregates.list_all(session)


def get(db, aggregate_id):
    with db.session() as session:
        return aggregates.get(session, aggregate_id)


def create(db, name, zone=None):
    with db.session() as session:
        return aggregates.create(session, name, zone)


def update(db, aggregate_id, changes):
    with db.session() as session:
        return aggregates.update(session, aggregate_id, changes)


def delete(db, aggregate_id):
    with db.session() as session:
        aggregates.delete(session, aggregate_id)


# aggregate action → what carries it out, given the session, the aggregate's id and the
# action's argument
_ACTIONS = {
    "add_host": lambda session, aggregate_id, argument: aggregates.add_host(
        session, aggregate_id, argument["host"]),
    "remove_host": lambda session, aggregate_id, argument: aggregates.remove_host(
        session, aggregate_id, argument["host"]),
    "set_metadata": lambda session, aggregate_id, argument: aggregates.set_metadata(
        session, aggregate_id, argument["metadata"]),
}


def act(db, aggregate_id, action, argument):
    """Run ``add_host``, ``remove_host`` or ``set_metadata``; returns the aggregate."""
    with db.session() as session:
        return _ACTIONS[action](session, aggregate_id, argument)
