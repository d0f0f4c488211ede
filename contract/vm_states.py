"""A server's ``vm_state`` (where it is at rest) and ``task_state`` (what is being done to
it now; None when nothing is): the values the agent reports over the bus and the
controller stores. Which moves between them are allowed is the controller's business
(``controller.compute.states``).
"""
# vm_state
BUILDING = "building"
ACTIVE = "active"
STOPPED = "stopped"
PAUSED = "paused"
SUSPENDED = "suspended"
ERROR = "error"
DELETED = "deleted"
# A resize or cold migration finished, waiting for its confirm or revert.
RESIZED = "resized"
# Shelved: snapshotted and stopped on its host; offloaded: on no host at all.
SHELVED = "shelved"
SHELVED_OFFLOADED = "shelved_offloaded"
# Booted from a rescue image, its own disk attached second.
RESCUED = "rescued"

# task_state
SCHEDULING = "scheduling"
NETWORKING = "networking"
BLOCK_DEVICE_MAPPING = "block_device_mapping"
SPAWNING = "spawning"
POWERING_OFF = "powering-off"
POWERING_ON = "powering-on"
REBOOTING = "rebooting"
REBOOTING_HARD = "rebooting_hard"
PAUSING = "pausing"
UNPAUSING = "unpausing"
SUSPENDING = "suspending"
RESUMING = "resuming"
IMAGE_SNAPSHOT = "image_snapshot"
IMAGE_UPLOADING = "image_uploading"
IMAGE_BACKUP = "image_backup"
REBUILDING = "rebuilding"
REBUILD_SPAWNING = "rebuild_spawning"
DELETING = "deleting"
# A resize or cold migration, in Nova's order (source host, then destination host), and
# its revert (destination, then source).
RESIZE_PREP = "resize_prep"
RESIZE_MIGRATING = "resize_migrating"
RESIZE_MIGRATED = "resize_migrated"
RESIZE_FINISH = "resize_finish"
RESIZE_REVERTING = "resize_reverting"
# Shelving (the snapshot, then the offload) and unshelving.
SHELVING = "shelving"
SHELVING_IMAGE_PENDING_UPLOAD = "shelving_image_pending_upload"
SHELVING_IMAGE_UPLOADING = "shelving_image_uploading"
SHELVING_OFFLOADING = "shelving_offloading"
UNSHELVING = "unshelving"
RESCUING = "rescuing"
UNRESCUING = "unrescuing"
# A live migration: the guest runs on while it moves (Nova's MIGRATING).
MIGRATING = "migrating"
