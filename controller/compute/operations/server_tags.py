"""A server's tags (Nova's server tags, from 2.26): read by its project's readers, changed
by its members while the server is active, paused, suspended or stopped."""
from controller.api import errors
from controller.compute import models, states
from controller.compute.exception import InstanceInvalidState
from controller.compute.operations.servers import authorized

MAX_TAGS = 50   # Nova's per-server limit
_CHANGEABLE = (states.ACTIVE, states.PAUSED, states.SUSPENDED, states.STOPPED)


def _changeable(session, auth, instance_uuid, authorize, action):
    instance = authorized(session, auth, instance_uuid, authorize, lock=True)
    if instance.vm_state not in _CHANGEABLE:
        raise InstanceInvalidState(f"Cannot '{action}' instance {instance_uuid} while it "
                                   f"is in vm_state {instance.vm_state}")
    return instance


def tags_of(db, auth, instance_uuid, authorize):
    with db.session() as session:
        return [t.tag for t in authorized(session, auth, instance_uuid, authorize).tags]


def check(db, auth, instance_uuid, tag, authorize):
    """404 unless the server has ``tag``."""
    if tag not in tags_of(db, auth, instance_uuid, authorize):
        raise errors.NotFound(f"Server {instance_uuid} has no tag '{tag}'")


def add(db, auth, instance_uuid, tag, authorize):
    """Tag the server; False if it had the tag already."""
    with db.session() as session:
        instance = _changeable(session, auth, instance_uuid, authorize, "update tag")
        present = [t.tag for t in instance.tags]
        if len(present) >= MAX_TAGS:
            raise errors.BadRequest(f"The number of tags exceeded the per-server limit "
                                    f"{MAX_TAGS}")
        if tag in present:
            return False
        instance.tags.append(models.InstanceTag(tag=tag))
        return True


def replace(db, auth, instance_uuid, tags, authorize):
    """The server's tags become ``tags`` (each once, in order); returns them."""
    wanted = list(dict.fromkeys(tags))
    with db.session() as session:
        instance = _changeable(session, auth, instance_uuid, authorize, "update tags")
        instance.tags = [t for t in instance.tags if t.tag in wanted]
        session.flush()
        kept = {t.tag for t in instance.tags}
        instance.tags.extend(models.InstanceTag(tag=tag) for tag in wanted
                             if tag not in kept)
    return wanted


def remove(db, auth, instance_uuid, tag, authorize):
    with db.session() as session:
        instance = _changeable(session, auth, instance_uuid, authorize, "delete tag")
        found = [t for t in instance.tags if t.tag == tag]
        if not found:
            raise errors.NotFound(f"Tag {tag} could not be found.")
        instance.tags.remove(found[0])


def remove_all(db, auth, instance_uuid, authorize):
    with db.session() as session:
        _changeable(session, auth, instance_uuid, authorize, "delete tags").tags = []
