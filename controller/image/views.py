"""Images and members as the Glance v2 API shows them."""
from controller.db.base import isotime

CORE_ATTRIBUTES = ("id", "name", "status", "visibility", "protected", "os_hidden",
                   "checksum", "os_hash_algo", "os_hash_value", "owner", "size",
                   "virtual_size", "min_disk", "min_ram", "disk_format",
                   "container_format")


def image(record):
    body = {name: getattr(record, name) for name in CORE_ATTRIBUTES}
    body.update({
        "created_at": isotime(record.created_at),
        # Glance sets updated_at on creation; the schema does not allow null.
        "updated_at": isotime(record.updated_at or record.created_at),
        "tags": sorted(tag.value for tag in record.tags),
        "self": f"/v2/images/{record.id}",
        "file": f"/v2/images/{record.id}/file",
        "schema": "/v2/schemas/image",
    })
    for prop in record.properties:
        body[prop.name] = prop.value
    return body


def member(record):
    return {
        "image_id": record.image_id,
        "member_id": record.member,
        "status": record.status,
        "created_at": isotime(record.created_at),
        "updated_at": isotime(record.updated_at or record.created_at),
        "schema": "/v2/schemas/member",
    }
