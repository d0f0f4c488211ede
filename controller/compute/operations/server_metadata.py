"""A server's key/value metadata, within its project's ``metadata_items`` quota."""
from contract import exception
from controller.compute import instances, models, quota, states
from controller.compute.operations.servers import authorized


class MetadataItemNotFound(exception.ComputeError):
    code = 404


class MetadataQuotaExceeded(exception.ComputeError):
    code = 403


def _replace(session, conf, instance, values, merge):
    """Set the metadata (merged into or replacing the old), within the quota."""
    current = instances.metadata_dict(instance) if merge else {}
    current.update(values)
    limit = quota.limits(session, conf, instance.project_id)["metadata_items"]
    if limit != quota.UNLIMITED and len(current) > limit:
        raise MetadataQuotaExceeded(f"Quota exceeded for metadata_items: Requested "
                                    f"{len(current)}, but the limit is {limit}")
    by_key = {item.key: item for item in instance.metadata_items}
    for key, item in by_key.items():
        if key not in current:
            instance.metadata_items.remove(item)
    for key, value in current.items():
        if key in by_key:
            by_key[key].value = value
        else:
            instance.metadata_items.append(models.InstanceMetadata(key=key, value=value))
    return current


def _changeable(session, auth, instance_uuid, authorize):
    instance = authorized(session, auth, instance_uuid, authorize, lock=True)
    states.check_action("update_metadata", instance, auth.is_admin)
    return instance


def get_all(db, auth, instance_uuid, authorize):
    with db.session() as session:
        return instances.metadata_dict(authorized(session, auth, instance_uuid, authorize))


def get_item(db, auth, instance_uuid, key, authorize):
    """``{key: value}``; 404 if the server has no such key."""
    metadata = get_all(db, auth, instance_uuid, authorize)
    if key not in metadata:
        raise MetadataItemNotFound("Metadata item was not found")
    return {key: metadata[key]}


def update(db, conf, auth, instance_uuid, values, merge, authorize):
    """Merge ``values`` into the metadata (``merge``) or replace it with them; returns
    the server's metadata as it now is."""
    with db.session() as session:
        instance = _changeable(session, auth, instance_uuid, authorize)
        return _replace(session, conf, instance, values, merge)


def delete_item(db, conf, auth, instance_uuid, key, authorize):
    with db.session() as session:
        instance = _changeable(session, auth, instance_uuid, authorize)
        metadata = instances.metadata_dict(instance)
        if key not in metadata:
            raise MetadataItemNotFound("Metadata item was not found")
        del metadata[key]
        _replace(session, conf, instance, metadata, merge=False)
