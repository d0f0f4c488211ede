"""Request bodies, checked with JSON Schema before a handler looks at them (as Cinder
does), so bad input gets a 400 naming the offending field and never reaches the data."""
import jsonschema

from controller.api import body as api_body
from controller.api import errors

MAX_INT = 2 ** 31 - 1   # Cinder's db.MAX_INT, the 32-bit integer columns' largest value

_name = {"type": ["string", "null"], "maxLength": 255}
METADATA_VALUES = {"type": ["object", "null"],
                   "additionalProperties": {"type": "string", "maxLength": 255},
                   "propertyNames": {"minLength": 1, "maxLength": 255}}
_metadata = METADATA_VALUES
_size = {"type": ["integer", "string", "null"], "pattern": "^[1-9][0-9]*$", "minimum": 1,
         "maximum": 1000000, "maxLength": 7}
_uuid = {"type": ["string", "null"], "maxLength": 36}
BOOL = {"type": ["boolean", "string"],
        "enum": [True, False, "true", "false", "True", "False", "1", "0", "yes", "no"]}
_bool = BOOL

CREATE_VOLUME = {
    "type": "object", "required": ["volume"],
    "properties": {"volume": {
        "type": "object",
        "properties": {
            "size": _size, "name": _name, "description": _name,
            "display_name": _name, "display_description": _name,
            "volume_type": {"type": ["string", "null"], "maxLength": 255},
            "metadata": _metadata, "snapshot_id": _uuid, "source_volid": _uuid,
            "imageRef": _uuid, "availability_zone": {"type": ["string", "null"]},
            "backup_id": {"type": "null"}, "consistencygroup_id": {"type": "null"},
            "group_id": {"type": "null"}, "multiattach": {"enum": [False, None]},
        }}},
}

UPDATE_VOLUME = {
    "type": "object", "required": ["volume"],
    "properties": {"volume": {
        "type": "object", "additionalProperties": False,
        "properties": {"name": _name, "description": _name, "display_name": _name,
                       "display_description": _name, "metadata": _metadata}}},
}

METADATA_ITEM = {"type": "object", "required": ["meta"],
                 "properties": {"meta": {**_metadata, "type": "object", "minProperties": 1}}}

METADATA = {"type": "object", "required": ["metadata"],
            "properties": {"metadata": _metadata}}

EXTEND = {"type": "object", "required": ["new_size"],
          "properties": {"new_size": {**_size, "type": ["integer", "string"]}}}

RESET_STATUS = {"type": "object", "required": ["status"],
                "properties": {"status": {"type": "string"},
                               "attach_status": {"type": ["string", "null"]},
                               "migration_status": {"type": ["string", "null"]}}}

CREATE_SNAPSHOT = {
    "type": "object", "required": ["snapshot"],
    "properties": {"snapshot": {
        "type": "object", "required": ["volume_id"],
        "properties": {"volume_id": _uuid,
                       "name": _name, "description": _name, "display_name": _name,
                       "display_description": _name, "force": _bool,
                       "metadata": _metadata}}},
}

UPDATE_SNAPSHOT = {
    "type": "object", "required": ["snapshot"],
    "properties": {"snapshot": {
        "type": "object", "additionalProperties": False,
        "properties": {"name": _name, "description": _name, "display_name": _name,
                       "display_description": _name}}},
}

UPDATE_SNAPSHOT_STATUS = {
    "type": "object", "required": ["status"],
    "properties": {"status": {"enum": ["creating", "available", "error", "deleting",
                                       "error_deleting"]},
                   "progress": {"type": ["string", "null"], "pattern": "^[0-9]{1,3}%$"}},
}

CREATE_TYPE = {
    "type": "object", "required": ["volume_type"],
    "properties": {"volume_type": {
        "type": "object", "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 255},
                       "description": _name,
                       "os-volume-type-access:is_public": _bool,
                       "extra_specs": _metadata}}},
}

UPDATE_TYPE = {
    "type": "object", "required": ["volume_type"],
    "properties": {"volume_type": {
        "type": "object", "additionalProperties": False,
        "properties": {"name": {"type": ["string", "null"], "minLength": 1,
                                "maxLength": 255},
                       "description": _name, "is_public": {**_bool, "enum": [
                           *_bool["enum"], None], "type": ["boolean", "string", "null"]}}}},
}

# Cinder's extra spec keys and values.
_extra_specs = {"type": "object",
                "additionalProperties": {"type": "string", "maxLength": 255},
                "propertyNames": {"pattern": "^[a-zA-Z0-9-_:. /]{1,255}$"}}

EXTRA_SPECS = {"type": "object", "required": ["extra_specs"],
               "properties": {"extra_specs": _extra_specs}}

EXTRA_SPEC_ITEM = {**_extra_specs, "minProperties": 1, "maxProperties": 1}

_project = {"type": "object", "required": ["project"],
            "properties": {"project": {"type": "string", "minLength": 1, "maxLength": 255}}}

TYPE_ACCESS_ACTION = {
    "type": "object", "minProperties": 1, "maxProperties": 1,
    "properties": {"addProjectAccess": _project, "removeProjectAccess": _project},
    "additionalProperties": False,
}

CREATE_TRANSFER = {
    "type": "object", "required": ["transfer"],
    "properties": {"transfer": {
        "type": "object", "required": ["volume_id"],
        "properties": {"volume_id": {"type": "string", "maxLength": 36},
                       "name": _name, "no_snapshots": _bool}}},
}

ACCEPT_TRANSFER = {
    "type": "object", "required": ["accept"],
    "properties": {"accept": {
        "type": "object", "required": ["auth_key"],
        "properties": {"auth_key": {"type": "string", "minLength": 1, "maxLength": 255}}}},
}

_qos_value = {"type": "string", "maxLength": 255}

CREATE_QOS = {
    "type": "object", "required": ["qos_specs"],
    "properties": {"qos_specs": {
        "type": "object", "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 255,
                                "pattern": "\\S"},
                       "consumer": {"enum": ["front-end", "back-end", "both"]}},
        "additionalProperties": _qos_value}},
}

UPDATE_QOS = {
    "type": "object", "required": ["qos_specs"],
    "properties": {"qos_specs": {
        "type": "object", "minProperties": 1,
        "properties": {"consumer": {"enum": ["front-end", "back-end", "both"]}},
        "additionalProperties": _qos_value}},
}

QOS_DELETE_KEYS = {
    "type": "object", "required": ["keys"],
    "properties": {"keys": {"type": "array", "minItems": 1, "uniqueItems": True,
                            "items": {"type": "string", "minLength": 1,
                                      "maxLength": 255}}},
}

SERVICE_CHANGE = {
    "type": "object", "required": ["host"],
    "properties": {"host": {"type": "string", "minLength": 1, "maxLength": 255},
                   "binary": {"type": "string", "maxLength": 255},
                   "service": {"type": "string", "maxLength": 255},
                   "disabled_reason": {"type": ["string", "null"], "maxLength": 255}},
}

QUOTA_SET = {
    "type": "object", "required": ["quota_set"],
    "properties": {"quota_set": {
        "type": "object",
        "additionalProperties": {"type": ["integer", "string"], "pattern": "^-?[0-9]+$",
                                 "minimum": -1, "maximum": MAX_INT}}},
}

_connector = {"type": ["object", "null"],
              "properties": {"host": {"type": "string"}, "ip": {"type": "string"}}}

CREATE_ATTACHMENT = {
    "type": "object", "required": ["attachment"],
    "properties": {"attachment": {
        "type": "object", "required": ["volume_uuid"],
        "properties": {"volume_uuid": {"type": "string", "maxLength": 36},
                       "instance_uuid": _uuid, "connector": _connector,
                       "mode": {"enum": ["rw"]}}}},
}

UPDATE_ATTACHMENT = {
    "type": "object", "required": ["attachment"],
    "properties": {"attachment": {
        "type": "object", "required": ["connector"],
        "properties": {"connector": {**_connector, "type": "object"}}}},
}


def validate(body, schema):
    """Raise BadRequest unless ``body`` matches ``schema``."""
    if not isinstance(body, dict):
        raise errors.BadRequest("The request body must be a JSON object.")
    error = jsonschema.exceptions.best_match(
        api_body.StrictValidator(schema).iter_errors(body))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "body"
        raise errors.BadRequest(f"Invalid input for field/attribute {where}. "
                                f"Value: {error.instance!r}. {error.message}")
    return body


BOOL_STRINGS = ("true", "false", "True", "False", "1", "0", "yes", "no")


def to_bool(value):
    return value in (True, "true", "True", "1", "yes")


def to_int(value, name="value", minimum=-1, maximum=MAX_INT):
    """``value`` (already matched as digits by a schema) as an int in the column's range."""
    if value is None:
        return None
    number = int(value)
    if not minimum <= number <= maximum:
        raise errors.BadRequest(f"Invalid input received: {name} must be between "
                                f"{minimum} and {maximum}.")
    return number
