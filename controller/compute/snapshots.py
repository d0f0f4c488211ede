"""What a server's snapshot image says about itself, as Nova writes it: the base image's
properties (less those Nova never passes on), the user's metadata, and Nova's own
``image_type=snapshot``, ``instance_uuid``, ``base_image_ref`` and ``user_id``. Pure.

No disk or container format: the agent sets them when it uploads, as it alone knows
what it copied.
"""

# Properties Nova never copies into a snapshot (its non_inheritable_image_properties):
# a signature is of the base image's bytes, not of the snapshot's.
NON_INHERITABLE = frozenset({
    "cache_in_nova", "bittorrent", "img_signature", "img_signature_hash_method",
    "img_signature_key_type", "img_signature_certificate_uuid"})
# The image service's own namespace, which nobody may write.
RESERVED_PREFIX = "os_glance"


def image_document(instance, name, metadata, user_id, project_id):
    """The body of the image-create request, by user ``user_id`` of ``project_id``, for
    a snapshot of ``instance`` (a ``models.Instance`` booted from an image) called
    ``name``. The server's project owns the image; one an admin of another project
    takes is private, so it reveals nothing of that project to the admin's."""
    base = instance.image_meta or {}
    document = {key: str(value) for key, value in (base.get("properties") or {}).items()
                if key not in NON_INHERITABLE and not key.startswith(RESERVED_PREFIX)}
    document.update(metadata or {})
    document.update({
        "name": name,
        "image_type": "snapshot",
        "instance_uuid": instance.uuid,
        "base_image_ref": instance.image_ref,
        "user_id": user_id,
        # The snapshot is a copy of the whole root disk: it needs the flavor's disk.
        "min_disk": max(base.get("min_disk") or 0, instance.root_gb or 0),
        "min_ram": base.get("min_ram") or 0,
        "owner": instance.project_id,
    })
    if project_id != instance.project_id:
        document["visibility"] = "private"
    return document
