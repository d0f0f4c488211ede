"""The image service: a Glance v2 compatible API over a filesystem store.

Image data is streamed, inspected (its bytes must be the disk format it claims, and a
qcow2 may not point at host files) and hashed on the way in, written atomically, and
streamed back out; metadata, tags and members live in the controller's database.
"""
