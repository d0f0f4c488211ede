"""The JSON schemas Glance publishes under ``/v2/schemas``, and validation against them.

python-glanceclient downloads the image schema, builds its command-line options from it
and validates every image it receives with it, so it must describe exactly what the API
returns: core attributes with their types, and ``additionalProperties`` of type string
for custom properties.
"""
import jsonschema

UUID_PATTERN = ("^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"
                "-([0-9a-fA-F]){12}$")
VISIBILITIES = ("public", "private", "community", "shared")
MEMBER_STATUSES = ("pending", "accepted", "rejected")
IMAGE_STATUSES = ("queued", "saving", "active", "killed", "deleted", "uploading",
                  "importing", "pending_delete", "deactivated")
PROPERTY_VALUE_MAX = 65535


def _nullable(kind, **extra):
    return {"type": ["null", kind], **extra}


def _read_only(schema, description):
    return {**schema, "readOnly": True, "description": description}


def _commonly_used(description, **extra):
    # Well-known custom properties (Glance's "is_base": false ones), listed so the
    # clients offer them as options.
    return {"type": "string", "description": description, "is_base": False, **extra}


def image_schema(conf):
    properties = {
        "id": {"type": "string", "pattern": UUID_PATTERN,
               "description": "An identifier for the image"},
        "name": _nullable("string", maxLength=255,
                          description="Descriptive name for the image"),
        "status": _read_only({"type": "string", "enum": list(IMAGE_STATUSES)},
                             "Status of the image"),
        "visibility": {"type": "string", "enum": list(VISIBILITIES),
                       "description": "Scope of image accessibility"},
        "protected": {"type": "boolean",
                      "description": "If true, image will not be deletable."},
        "os_hidden": {"type": "boolean", "description": "If true, image will not "
                      "appear in default image list response."},
        "checksum": _read_only(_nullable("string", maxLength=32),
                               "md5 hash of image contents."),
        "os_hash_algo": _read_only(_nullable("string", maxLength=64),
                                   "Algorithm to calculate the os_hash_value"),
        "os_hash_value": _read_only(_nullable("string", maxLength=128),
                                    "Hexdigest of the image contents using the "
                                    "algorithm specified by the os_hash_algo"),
        "owner": _nullable("string", maxLength=255, description="Owner of the image"),
        "size": _read_only(_nullable("integer"), "Size of image file in bytes"),
        "virtual_size": _read_only(_nullable("integer"), "Virtual size of image in bytes"),
        "container_format": _nullable("string", enum=[None, *conf.image.container_formats],
                                      description="Format of the container"),
        "disk_format": _nullable("string", enum=[None, *conf.image.disk_formats],
                                 description="Format of the disk"),
        "created_at": _read_only({"type": "string"}, "Date and time of image registration"),
        "updated_at": _read_only({"type": "string"},
                                 "Date and time of the last image modification"),
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 255},
                 "description": "List of strings related to the image"},
        "direct_url": _read_only({"type": "string"},
                                 "URL to access the image file kept in external store"),
        "min_ram": {"type": "integer", "minimum": 0,
                    "description": "Amount of ram (in MB) required to boot image."},
        "min_disk": {"type": "integer", "minimum": 0,
                     "description": "Amount of disk space (in GB) required to boot image."},
        "self": _read_only({"type": "string"}, "An image self url"),
        "file": _read_only({"type": "string"}, "An image file url"),
        "schema": _read_only({"type": "string"}, "An image schema url"),
        "architecture": _commonly_used("Operating system architecture, e.g. x86_64"),
        "os_distro": _commonly_used("Common name of the operating system distribution"),
        "os_version": _commonly_used("Operating system version as specified by the "
                                     "distributor"),
        "kernel_id": {**_commonly_used("ID of an image to use as the kernel when "
                                       "booting an AMI-style image."),
                      "type": ["null", "string"], "pattern": UUID_PATTERN},
        "ramdisk_id": {**_commonly_used("ID of an image to use as the ramdisk when "
                                        "booting an AMI-style image."),
                       "type": ["null", "string"], "pattern": UUID_PATTERN},
        "instance_uuid": _commonly_used("ID of the instance this image was taken from "
                                        "(informational only)."),
    }
    return {
        "name": "image",
        "properties": properties,
        "additionalProperties": {"type": "string", "maxLength": PROPERTY_VALUE_MAX},
        "links": [{"rel": "self", "href": "{self}"},
                  {"rel": "enclosure", "href": "{file}"},
                  {"rel": "describedby", "href": "{schema}"}],
    }


def images_schema(conf):
    return {
        "name": "images",
        "properties": {
            "images": {"type": "array", "items": image_schema(conf)},
            "schema": {"type": "string"},
            "first": {"type": "string"},
            "next": {"type": "string"},
        },
        "links": [{"rel": "first", "href": "{first}"},
                  {"rel": "next", "href": "{next}"},
                  {"rel": "describedby", "href": "{schema}"}],
    }


def member_schema():
    return {
        "name": "member",
        "properties": {
            "created_at": {"type": "string",
                           "description": "Date and time of image member creation"},
            "updated_at": {"type": "string",
                           "description": "Date and time of last modification of image "
                                          "member"},
            "image_id": {"type": "string", "pattern": UUID_PATTERN,
                         "description": "An identifier for the image"},
            "member_id": {"type": "string",
                          "description": "An identifier for the image member (tenantId)"},
            "status": {"type": "string", "enum": list(MEMBER_STATUSES),
                       "description": "The status of this image member"},
            "schema": {"type": "string", "readOnly": True},
        },
    }


def members_schema():
    return {
        "name": "members",
        "properties": {
            "members": {"type": "array", "items": member_schema()},
            "schema": {"type": "string"},
        },
        "links": [{"rel": "describedby", "href": "{schema}"}],
    }


def task_schema(stub=False):
    """``/v2/schemas/task``; a listing's tasks (``stub``) have no input, result or
    message."""
    text = {"type": "string"}
    properties = {
        "id": {**text, "pattern": UUID_PATTERN, "description": "An identifier for the task"},
        "type": {**text, "enum": ["import", "api_image_import", "location_import"],
                 "description": "The type of task represented by this content"},
        "status": {**text, "enum": ["pending", "processing", "success", "failure"],
                   "description": "The current status of this task"},
        "input": {"type": ["null", "object"],
                  "description": "The parameters required by task, JSON blob"},
        "result": {"type": ["null", "object"],
                   "description": "The result of current task, JSON blob"},
        "owner": {**text, "description": "An identifier for the owner of this task"},
        "message": {**text, "description": "Human-readable informative message only "
                    "included when appropriate (usually on failure)"},
        "image_id": {**text, "description": "Image associated with the task"},
        "request_id": {**text, "description": "Human-readable informative request-id"},
        "user_id": {**text, "description": "User associated with the task"},
        "expires_at": {"type": ["null", "string"], "description": "Datetime when this "
                       "resource would be subject to removal"},
        "created_at": {**text, "description": "Datetime when this resource was created"},
        "updated_at": {**text, "description": "Datetime when this resource was updated"},
        "self": {"readOnly": True, **text},
        "schema": {"readOnly": True, **text},
    }
    if stub:
        for name in ("input", "result", "message"):
            del properties[name]
    return {"name": "task", "properties": properties, "additionalProperties": False}


def tasks_schema():
    return {
        "name": "tasks",
        "properties": {"tasks": {"type": "array", "items": task_schema(stub=True)},
                       "first": {"type": "string"}, "next": {"type": "string"},
                       "schema": {"type": "string"}},
        "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                  {"rel": "describedby", "href": "{schema}"}],
    }


def read_only_attributes(conf):
    """Attributes the server sets; a request may not."""
    return {name for name, schema in image_schema(conf)["properties"].items()
            if schema.get("readOnly")}


class SchemaError(ValueError):
    """A document does not match its schema; the message says where."""


def validate(schema, document):
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft4Validator(schema).iter_errors(document))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path)
        raise SchemaError(f"Provided object does not match schema '{schema['name']}': "
                          f"{error.message}" + (f" (at '{where}')" if where else ""))
