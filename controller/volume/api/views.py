"""Rows → the JSON bodies of Cinder v3 that the SDK and the CLI read."""
from controller.db.base import isotime
from controller.volume import capabilities


def links(base_url, project_id, collection, item_id):
    return [{"rel": "self", "href": f"{base_url}/v3/{project_id}/{collection}/{item_id}"},
            {"rel": "bookmark", "href": f"{base_url}/{project_id}/{collection}/{item_id}"}]


def volume_attachment(attachment):
    return {"id": attachment.volume_id, "attachment_id": attachment.id,
            "volume_id": attachment.volume_id, "server_id": attachment.instance_uuid,
            "host_name": attachment.attached_host, "device": attachment.mountpoint,
            "attached_at": isotime(attachment.attach_time)}


def visible_admin_metadata(row):
    """What a volume's metadata shows of its admin metadata (as Cinder's
    add_visible_admin_metadata): the read-only flag and the mode it is attached in."""
    return {key: value for key, value in (row.admin_metadata or {}).items()
            if key in ("readonly", "attached_mode")}


# Microversions that add fields to a volume (Cinder's v3 view builder).
GROUP_ID = (3, 13)
SHARED_TARGETS = (3, 48)
VOLUME_TYPE_ID = (3, 63)
CONSUMES_QUOTA = (3, 65)


def volume(row, type_name, attachments, base_url, is_admin, version, extended):
    """A volume as Cinder shows it at microversion ``version``.

    ``extended``: the body of a show or a detailed list, which Cinder's API extensions
    enrich (owner project, image metadata, and for admins host and migration details);
    create and update answer with the base view only."""
    body = {
        "id": row.id, "name": row.name, "description": row.description,
        "size": row.size, "status": row.status,
        "attachments": [volume_attachment(a) for a in attachments if a.status == "attached"],
        "availability_zone": row.availability_zone,
        "bootable": "true" if row.bootable else "false",
        "encrypted": False, "multiattach": False, "consistencygroup_id": None,
        "replication_status": None,
        "snapshot_id": row.snapshot_id, "source_volid": row.source_volid,
        "volume_type": type_name,
        "metadata": {**row.metadata_, **visible_admin_metadata(row)}, "user_id": row.user_id,
        "created_at": isotime(row.created_at), "updated_at": isotime(row.updated_at),
        "links": links(base_url, row.project_id, "volumes", row.id),
    }
    if is_admin:
        body["migration_status"] = None
    if version >= GROUP_ID:
        body["group_id"] = None
    if version >= SHARED_TARGETS:
        # Each volume has an export of its own: nothing to lock between volumes.
        body.update(shared_targets=False, service_uuid=None)
    if version >= VOLUME_TYPE_ID:
        body["volume_type_id"] = row.volume_type_id
    if version >= CONSUMES_QUOTA:
        body["consumes_quota"] = True
    if extended:
        body["os-vol-tenant-attr:tenant_id"] = row.project_id
        if row.image_metadata:
            body["volume_image_metadata"] = row.image_metadata
        if is_admin:
            body.update({"os-vol-host-attr:host": f"{row.host}@{capabilities.BACKEND}#{capabilities.POOL}",
                         "os-vol-mig-status-attr:migstat": None,
                         "os-vol-mig-status-attr:name_id": None})
    return body


def volume_summary(row, base_url):
    return {"id": row.id, "name": row.name,
            "links": links(base_url, row.project_id, "volumes", row.id)}


GROUP_SNAPSHOT_ID = (3, 14)
SNAPSHOT_USER_ID = (3, 41)


def snapshot(row, version, extended):
    """A snapshot as Cinder shows it at ``version``; ``extended``: a show or a detailed
    list, where Cinder's extended-snapshot-attributes extension adds progress and owner.
    A plain list shows the same base fields (Cinder's summary view is the base view)."""
    body = {"id": row.id, "name": row.name, "description": row.description,
            "volume_id": row.volume_id, "size": row.size, "status": row.status,
            "metadata": row.metadata_,
            "created_at": isotime(row.created_at), "updated_at": isotime(row.updated_at)}
    if version >= GROUP_SNAPSHOT_ID:
        body["group_snapshot_id"] = None
    if version >= SNAPSHOT_USER_ID:
        body["user_id"] = row.user_id
    if version >= CONSUMES_QUOTA:
        body["consumes_quota"] = True
    if extended:
        body.update({
            "os-extended-snapshot-attributes:progress":
                row.progress or ("100%" if row.status == "available" else "0%"),
            "os-extended-snapshot-attributes:project_id": row.project_id})
    return body


def volume_type(row, created=False, updated=False):
    """A volume type as Cinder shows it. The answer to its creation carries no QoS specs
    id (Cinder adds it only when the type is read back); the answer to an update neither
    that nor the type access extension's ``is_public``."""
    body = {"id": row.id, "name": row.name, "description": row.description,
            "is_public": row.is_public, "extra_specs": row.extra_specs}
    if not updated:
        body["os-volume-type-access:is_public"] = row.is_public
    if not (created or updated):
        body["qos_specs_id"] = row.qos_specs_id
    return body


def attachment(row, connection_info):
    return {"id": row.id, "status": row.status, "instance": row.instance_uuid,
            "volume_id": row.volume_id, "attach_mode": row.attach_mode,
            "attached_at": isotime(row.attach_time), "detached_at": None,
            "connection_info": connection_info or {}}


def attachment_summary(row):
    return {"id": row.id, "status": row.status, "instance": row.instance_uuid,
            "volume_id": row.volume_id}
