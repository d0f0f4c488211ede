"""Block storage (Cinder v3 compatible): volumes, snapshots, types, quotas and attachments.

Volumes are sparse raw files on the storage host, exported over NBD by one
``qemu-storage-daemon`` per attached volume, so any compute host can attach any volume.
"""
