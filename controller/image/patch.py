"""Glance's JSON-patch dialects: ``application/openstack-images-v2.1-json-patch``
(RFC 6902 operations) and the older ``…-v2.0-json-patch`` (draft 4, where an operation
names its path under its verb: ``{"replace": "/name", "value": "x"}``), which clients such
as tempest still send; it is read as the same operations.

RFC 6902 add/remove/replace (jsonpatch does the applying) on an image seen as one flat
object of its editable attributes, custom properties and tags, with Glance's rules on
top: server-set and reserved attributes may not be touched (403), core attributes may be
replaced but not removed (403), and replacing or removing a property the image does not
have is a conflict (409).
"""
import jsonpatch
import jsonpointer

MEDIA_TYPE = "application/openstack-images-v2.1-json-patch"
DRAFT4_MEDIA_TYPE = "application/openstack-images-v2.0-json-patch"
MEDIA_TYPES = (MEDIA_TYPE, DRAFT4_MEDIA_TYPE)
OPERATIONS = ("add", "remove", "replace")
CORE_EDITABLE = ("name", "visibility", "protected", "os_hidden", "owner", "min_disk",
                 "min_ram", "disk_format", "container_format", "tags")
RESERVED = frozenset({"id", "locations", "deleted", "deleted_at", "stores"})
RESERVED_PREFIX = "os_glance_"


class PatchError(Exception):
    """A patch that cannot be applied; ``status`` is the HTTP status to answer with."""

    status = 400


class PatchForbidden(PatchError):
    status = 403


class PatchConflict(PatchError):
    status = 409


def check_settable(name, read_only):
    """Raise PatchForbidden if a request may not set the attribute ``name``."""
    if name in read_only:
        raise PatchForbidden(f"Attribute '{name}' is read-only.")
    if name in RESERVED or name.startswith(RESERVED_PREFIX):
        raise PatchForbidden(f"Attribute '{name}' is reserved.")


def as_rfc6902(operations, content_type):
    """The operations of a patch sent as ``content_type``, in RFC 6902 form."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type != DRAFT4_MEDIA_TYPE or not isinstance(operations, list):
        return operations
    converted = []
    for operation in operations:
        if not isinstance(operation, dict):
            raise PatchError("Each JSON patch operation must be an object.")
        verbs = [op for op in OPERATIONS if op in operation]
        if len(verbs) != 1:
            raise PatchError(f"Each operation must name exactly one of "
                             f"{', '.join(OPERATIONS)} and its path.")
        op = verbs[0]
        unknown = set(operation) - {op, "value"}
        if unknown:
            raise PatchError(f"Unexpected keys in a patch operation: "
                             f"{', '.join(sorted(unknown))}.")
        converted.append({"op": op, "path": operation[op],
                          **({"value": operation["value"]} if "value" in operation else {})})
    return converted


def apply(document, operations, read_only):
    """Return a copy of ``document`` with ``operations`` applied, in order."""
    if not isinstance(operations, list):
        raise PatchError("A JSON patch must be a list of operations.")
    for operation in operations:
        name, nested = _check(operation, read_only)
        if (operation["op"] in ("remove", "replace") and not nested
                and name not in document):
            raise PatchConflict(f"Property {name} does not exist.")
        try:
            document = jsonpatch.apply_patch(document, [operation])
        except jsonpatch.JsonPatchConflict as exc:
            raise PatchConflict(f"Cannot {operation['op']} {operation['path']}: {exc}.")
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            raise PatchError(f"Invalid operation on {operation['path']}: {exc}.")
    return document


def _check(operation, read_only):
    """Validate one operation's shape and target; return (attribute, nested?)."""
    if not isinstance(operation, dict):
        raise PatchError("Each JSON patch operation must be an object.")
    op, path = operation.get("op"), operation.get("path")
    if op not in OPERATIONS:
        raise PatchError(f"Operation {op!r} is not supported; use one of "
                         f"{', '.join(OPERATIONS)}.")
    if not isinstance(path, str):
        raise PatchError("Each JSON patch operation needs a 'path' string.")
    if op != "remove" and "value" not in operation:
        raise PatchError(f"Operation {op!r} on {path} needs a 'value'.")
    try:
        parts = jsonpointer.JsonPointer(path).parts
    except jsonpointer.JsonPointerException as exc:
        raise PatchError(f"Invalid JSON pointer {path!r}: {exc}.")
    if not parts or not parts[0]:
        raise PatchError(f"Invalid JSON pointer for an image: {path!r}.")
    name, nested = parts[0], len(parts) > 1
    if nested and name != "tags":
        raise PatchError(f"Invalid JSON pointer for an image: {path!r}; only tags are "
                         f"patched below the top level.")
    check_settable(name, read_only)
    if op == "remove" and name in CORE_EDITABLE and not nested:
        raise PatchForbidden(f"Attribute '{name}' cannot be removed.")
    return name, nested
