"""Reading and changing instance rows: lookups, the compare-and-swap update agents use
through the conductor, faults, deletion, and the dict an instance travels as."""
import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import lazyload

from contract import exception
from controller.compute import models, states
from controller.db.base import isotime, utcnow

# What an agent may change through ``instance_update``: never ownership, size or host.
AGENT_UPDATABLE = frozenset({"vm_state", "task_state", "power_state", "launched_at",
                             "network_info", "config_drive"})


def get(session, instance_uuid, lock=False, faults=True):
    """The instance, unless deleted; ``lock`` holds its row until the transaction ends
    (PostgreSQL; SQLite's write transactions are serialised anyway). ``faults=False``:
    its faults are read only if asked for within the transaction (the agents' reads and
    updates never do: one query less on each of a build's steps)."""
    query = select(models.Instance).where(models.Instance.uuid == instance_uuid,
                                          models.Instance.deleted_at.is_(None))
    if not faults:
        query = query.options(lazyload(models.Instance.faults))
    if lock:
        query = query.with_for_update()
    instance = session.scalars(query).first()
    if instance is None:
        raise exception.InstanceNotFound(f"Instance {instance_uuid} could not be found.")
    return instance


def _parse_time(value):
    if value is None or isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(value.rstrip("Z"))


# The key of ``Instance.retry`` that keeps the context (with the user's token) of the
# request that asked for a build, so that a build lost with a process or a message can be
# sent again on the user's behalf (``controller.conductor.recovery``); dropped once the
# build is over.
BUILD_CONTEXT = "context"


def forget_build_context(instance):
    if instance.retry and BUILD_CONTEXT in instance.retry:
        instance.retry = {key: value for key, value in instance.retry.items()
                          if key != BUILD_CONTEXT}


def update(session, instance_uuid, updates, expected_task_state=None, expected_host=None):
    """Apply an agent's ``updates`` if the task_state is still one it expected and (when
    given) the instance is still on the agent's host."""
    unknown = set(updates) - AGENT_UPDATABLE
    if unknown:
        raise ValueError(f"agents may not update {', '.join(sorted(unknown))}")
    instance = get(session, instance_uuid, lock=True, faults=False)
    states.check_expected_task_state(instance.task_state, expected_task_state)
    if expected_host is not None and instance.host != expected_host:
        raise exception.UnexpectedTaskState(
            f"Instance {instance_uuid} is on host {instance.host}, not {expected_host}.")
    for key, value in updates.items():
        setattr(instance, key, _parse_time(value) if key == "launched_at" else value)
    if instance.vm_state != states.BUILDING:
        forget_build_context(instance)
    instance.updated_at = utcnow()
    return instance


def add_fault(session, instance, code, message, details=None, host=None):
    session.add(models.InstanceFault(instance_uuid=instance.uuid, code=code,
                                     message=message[:255], details=details, host=host))


def set_error(session, instance, message, details=None, host=None, code=500):
    """The server failed for good: ERROR, with the reason as its fault."""
    instance.vm_state = states.ERROR
    instance.task_state = None
    instance.updated_at = utcnow()
    forget_build_context(instance)
    add_fault(session, instance, code, message, details, host or instance.host)


def mark_deleted(session, instance):
    """The server is gone: it leaves every count and list; its actions stay readable."""
    now = utcnow()
    instance.vm_state = states.DELETED
    instance.task_state = None
    forget_build_context(instance)
    instance.power_state = 0
    instance.deleted_at = now
    instance.terminated_at = now
    membership = session.scalars(select(models.ServerGroupMember).where(
        models.ServerGroupMember.instance_uuid == instance.uuid)).first()
    if membership is not None:
        session.delete(membership)
    session.execute(delete(models.ConsoleAuthToken).where(
        models.ConsoleAuthToken.instance_uuid == instance.uuid))


def on_host(session, host):
    return list(session.scalars(select(models.Instance).where(
        models.Instance.host == host, models.Instance.deleted_at.is_(None))))


def metadata_dict(instance):
    return {item.key: item.value for item in instance.metadata_items}


def to_primitive(instance):
    """The instance as it crosses the message bus to agents (see agent.virt.driver)."""
    return {
        "uuid": instance.uuid,
        "name": instance.name,
        "hostname": instance.hostname,
        "project_id": instance.project_id,
        "user_id": instance.user_id,
        "image_ref": instance.image_ref,
        "image_meta": instance.image_meta,
        "flavor": instance.flavor,
        "vm_state": instance.vm_state,
        "task_state": instance.task_state,
        "power_state": instance.power_state,
        "host": instance.host,
        "node": instance.node,
        "availability_zone": instance.availability_zone,
        "key_name": instance.key_name,
        "key_data": instance.key_data,
        "user_data": instance.user_data,
        "config_drive": instance.config_drive,
        "metadata": metadata_dict(instance),
        "requested_networks": instance.requested_networks or [],
        "network_info": instance.network_info or [],
        "launch_index": instance.launch_index,
        "launched_at": isotime(instance.launched_at),
        "block_device_mappings": [
            {"id": bdm.id, "source_type": bdm.source_type,
             "destination_type": bdm.destination_type,
             "boot_index": bdm.boot_index, "image_id": bdm.image_id,
             "volume_id": bdm.volume_id, "attachment_id": bdm.attachment_id,
             "volume_size": bdm.volume_size,
             "delete_on_termination": bdm.delete_on_termination,
             "device_name": bdm.device_name, "tag": bdm.tag}
            for bdm in instance.block_device_mappings],
    }
