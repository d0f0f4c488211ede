"""Generic credentials: an opaque ``blob`` of a ``type``, owned by a user (and for ``ec2``
a project), each change in one transaction; and EC2 key pairs (``OS-EC2``), ec2 credentials
whose blob holds the access and secret keys. An ec2 credential's blob is JSON with an
``access`` key, and its ID is the SHA-256 of that key, as Keystone makes it. Blobs are
stored as given (Keystone encrypts them at rest; pocketstack does not yet)."""
import hashlib
import json
import uuid

from sqlalchemy import select

from controller.api import errors
from controller.identity import models, records


def _ec2_id(blob, project_id):
    try:
        access = json.loads(blob).get("access")
    except (ValueError, AttributeError):
        access = None
    if not isinstance(access, str) or not access:
        raise errors.BadRequest("Invalid blob in credential: an ec2 credential's blob is a "
                                "JSON object with an access key.")
    if not project_id:
        raise errors.BadRequest("An ec2 credential needs a project_id.")
    return hashlib.sha256(access.encode()).hexdigest()


def create_credential(db, fields):
    credential = models.Credential(**fields)
    if fields["type"] == "ec2":
        credential.id = _ec2_id(fields["blob"], fields.get("project_id"))
    with db.session() as session:
        records.get_or_404(session, models.User, fields["user_id"], "user")
        if credential.id and session.get(models.Credential, credential.id) is not None:
            raise errors.Conflict("Conflict occurred attempting to store credential - "
                                  "Duplicate ID.")
        session.add(credential)
        records.flush(session, "credential")
    return credential


def list_credentials(db, filters, owner_id=None):
    """Credentials matching ``filters``; only ``owner_id``'s when given."""
    statement = records.apply_filters(select(models.Credential), models.Credential, filters)
    if owner_id is not None:
        statement = statement.where(models.Credential.user_id == owner_id)
    with db.session() as session:
        return session.scalars(statement.order_by(models.Credential.id)).all()


def show_credential(db, credential_id):
    return records.show(db, models.Credential, credential_id, "credential")


def update_credential(db, credential_id, changes, owner_id=None):
    """Apply ``changes``; 404 for another user's credential when ``owner_id`` is given."""
    with db.session() as session:
        credential = records.get_or_404(session, models.Credential, credential_id,
                                        "credential")
        if owner_id is not None and credential.user_id != owner_id:
            raise errors.NotFound(f"Could not find credential: {credential_id}.")
        if changes.get("user_id", credential.user_id) != credential.user_id:
            records.get_or_404(session, models.User, changes["user_id"], "user")
        for key, value in changes.items():
            setattr(credential, key, value)
        if credential.type == "ec2":
            _ec2_id(credential.blob, credential.project_id)
    return credential


def delete_credential(db, credential_id, owner_id=None):
    with db.session() as session:
        credential = records.get_or_404(session, models.Credential, credential_id,
                                        "credential")
        if owner_id is not None and credential.user_id != owner_id:
            raise errors.NotFound(f"Could not find credential: {credential_id}.")
        session.delete(credential)


def create_ec2(db, user_id, project_id):
    """A new EC2 key pair of the user for the project; (credential, its blob)."""
    blob = {"access": uuid.uuid4().hex, "secret": uuid.uuid4().hex, "trust_id": None}
    with db.session() as session:
        records.get_or_404(session, models.User, user_id, "user")
        records.get_or_404(session, models.Project, project_id, "project")
    return create_credential(db, {"user_id": user_id, "project_id": project_id,
                                  "type": "ec2", "blob": json.dumps(blob)})


def list_ec2(db, user_id):
    with db.session() as session:
        records.get_or_404(session, models.User, user_id, "user")
        return session.scalars(select(models.Credential)
                               .where(models.Credential.user_id == user_id,
                                      models.Credential.type == "ec2")
                               .order_by(models.Credential.id)).all()


def _ec2_of(session, user_id, access):
    credential = session.get(models.Credential, hashlib.sha256(access.encode()).hexdigest())
    if credential is None or credential.user_id != user_id or credential.type != "ec2":
        raise errors.NotFound(f"Could not find credential: {access}.")
    return credential


def show_ec2(db, user_id, access):
    with db.session() as session:
        return _ec2_of(session, user_id, access)


def delete_ec2(db, user_id, access):
    with db.session() as session:
        session.delete(_ec2_of(session, user_id, access))
