"""Keystone's policy blob store (``/v3/policies``): blobs of a type, kept for services that
fetch them; nothing is enforced from them (as in Keystone). Each change is one
transaction."""
from controller.identity import models, records


def create_policy(db, fields):
    policy = models.Policy(**fields)
    with db.session() as session:
        session.add(policy)
        records.flush(session, "policy")
    return policy


def update_policy(db, policy_id, changes):
    with db.session() as session:
        policy = records.get_or_404(session, models.Policy, policy_id, "policy")
        if "extra" in changes:
            changes = {**changes, "extra": {**(policy.extra or {}), **changes["extra"]}}
        for key, value in changes.items():
            setattr(policy, key, value)
    return policy


def delete_policy(db, policy_id):
    with db.session() as session:
        session.delete(records.get_or_404(session, models.Policy, policy_id, "policy"))
