"""The JSON schemas of the metadata definitions, as Glance publishes them under
``/v2/schemas/metadefs/…`` and validates requests with (``additionalProperties: false``:
an attribute the schema does not name is refused).

python-glanceclient's ``md-*`` commands build their options from these documents.
"""
import copy

from controller.image import schemas

READ_ONLY = ("self", "schema", "created_at", "updated_at")
PROPERTY_TYPES = ["array", "boolean", "integer", "number", "object", "string", None]


def _stamp(what):
    return {
        "created_at": {"type": "string", "readOnly": True, "format": "date-time",
                       "description": f"Date and time of {what} creation"},
        "updated_at": {"type": "string", "readOnly": True, "format": "date-time",
                       "description": f"Date and time of the last {what} modification"},
    }


_LINKS = {"schema": {"readOnly": True, "type": "string"},
          "self": {"readOnly": True, "type": "string"}}


def _definitions(min_items):
    string_array = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
    if min_items:
        string_array["minItems"] = 1
    return {
        "positiveInteger": {"type": "integer", "minimum": 0},
        "positiveIntegerDefault0": {"allOf": [{"$ref": "#/definitions/positiveInteger"},
                                              {"default": 0}]},
        "stringArray": string_array,
    }


def _property_attributes():
    """What one property definition may say (a JSON-schema subset)."""
    return {
        "name": {"type": "string", "maxLength": 80},
        "title": {"type": "string"},
        "description": {"type": "string"},
        "operators": {"type": "array", "items": {"type": "string"}},
        "type": {"type": "string", "enum": PROPERTY_TYPES},
        "required": {"$ref": "#/definitions/stringArray"},
        "minimum": {"type": "number"},
        "maximum": {"type": "number"},
        "maxLength": {"$ref": "#/definitions/positiveInteger"},
        "minLength": {"$ref": "#/definitions/positiveIntegerDefault0"},
        "pattern": {"type": "string", "format": "regex"},
        "enum": {"type": "array"},
        "readonly": {"type": "boolean"},
        "default": {},
        "items": {"type": "object", "properties": {
            "type": {"type": "string", "enum": PROPERTY_TYPES},
            "enum": {"type": "array"}}},
        "maxItems": {"$ref": "#/definitions/positiveInteger"},
        "minItems": {"$ref": "#/definitions/positiveIntegerDefault0"},
        "uniqueItems": {"type": "boolean", "default": False},
        "additionalItems": {"type": "boolean"},
    }


def _namespace_definitions():
    return {**_definitions(min_items=False),
            "property": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["title", "type"],
                "properties": _property_attributes()}}}


def _schema(name, properties, required, definitions=None):
    document = {"name": name, "properties": properties, "additionalProperties": False}
    if definitions:
        document["definitions"] = definitions
    if required:
        document["required"] = required
    return document


def _collection(name, item, as_dict=False):
    item = copy.deepcopy(item)
    definitions = item.pop("definitions", None)
    items = ({"type": "object", "additionalProperties": item} if as_dict
             else {"type": "array", "items": item})
    document = {
        "name": name,
        "properties": {name: items, "first": {"type": "string"},
                       "next": {"type": "string"}, "schema": {"type": "string"}},
        "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                  {"rel": "describedby", "href": "{schema}"}],
    }
    if definitions:
        document["definitions"] = definitions
    return document


def association_schema():
    text = {"type": "string", "maxLength": 80}
    return _schema("resource_type_association", {
        "name": {**text, "description": "Resource type names should be aligned with "
                 "Heat resource types whenever possible: https://docs.openstack.org/heat/"
                 "latest/template_guide/openstack.html"},
        "prefix": {**text, "description": "Specifies the prefix to use for the given "
                   "resource type. Any properties in the namespace should be prefixed "
                   "with this prefix when being applied to the specified resource type. "
                   "Must include prefix separator (e.g. a colon :)."},
        "properties_target": {**text, "description": "Some resource types allow more "
                              "than one key / value pair per instance. For example, "
                              "Cinder allows user and image metadata on volumes. Only the "
                              "image properties metadata is evaluated by Nova (scheduling "
                              "or drivers). This property allows a namespace target to "
                              "remove the ambiguity."},
        **_stamp("resource type association"),
    }, ["name"])


def tag_schema():
    return _schema("tag", {"name": {"type": "string", "maxLength": 80},
                           **_stamp("tag")}, ["name"])


def tags_request_schema():
    """The body of ``POST …/tags`` (several tags at once)."""
    return _schema("tags", {"tags": {"type": "array", "items": {
        "type": "object", "properties": {"name": {"type": "string"}},
        "required": ["name"], "additionalProperties": False}}}, None)


def object_schema():
    return _schema("object", {
        "name": {"type": "string", "maxLength": 80},
        "description": {"type": "string"},
        "required": {"$ref": "#/definitions/stringArray"},
        "properties": {"$ref": "#/definitions/property"},
        **_LINKS, **_stamp("object"),
    }, ["name"], _namespace_definitions())


def property_schema(require_name=True):
    required = ["type", "title", "name"] if require_name else ["type", "title"]
    return _schema("property", _property_attributes(), required,
                   _definitions(min_items=True))


def namespace_schema():
    text = {"type": "string"}
    return _schema("namespace", {
        "namespace": {**text, "maxLength": 80, "description": "The unique namespace text."},
        "display_name": {**text, "maxLength": 80, "description": "The user friendly "
                         "name for the namespace. Used by UI if available."},
        "description": {**text, "maxLength": 500, "description": "Provides a user "
                        "friendly description of the namespace."},
        "visibility": {**text, "enum": ["public", "private"],
                       "description": "Scope of namespace accessibility."},
        "protected": {"type": "boolean",
                      "description": "If true, namespace will not be deletable."},
        "owner": {**text, "maxLength": 255, "description": "Owner of the namespace."},
        **_stamp("namespace"), **_LINKS,
        "resource_type_associations": {"type": "array", "items": {
            "type": "object", "properties": {"name": text, "prefix": text,
                                             "properties_target": text}}},
        "properties": {"$ref": "#/definitions/property"},
        "objects": {"type": "array", "items": {"type": "object", "properties": {
            "name": text, "description": text,
            "required": {"$ref": "#/definitions/stringArray"},
            "properties": {"$ref": "#/definitions/property"}}}},
        "tags": {"type": "array", "items": {"type": "object",
                                            "properties": {"name": text}}},
    }, ["namespace"], _namespace_definitions())


def documents():
    """``/v2/schemas/<path>`` → the schema published there."""
    single_property = property_schema()
    listed_property = property_schema()
    listed_property["required"].remove("name")    # the name is the key in a listing
    return {
        "metadefs/namespace": namespace_schema(),
        "metadefs/namespaces": _collection("namespaces", namespace_schema()),
        "metadefs/resource_type": association_schema(),
        "metadefs/resource_types": _collection("resource_type_associations",
                                               association_schema()),
        "metadefs/object": object_schema(),
        "metadefs/objects": _collection("objects", object_schema()),
        "metadefs/property": single_property,
        "metadefs/properties": _collection("properties", listed_property, as_dict=True),
        "metadefs/tag": tag_schema(),
        "metadefs/tags": _collection("tags", tag_schema()),
    }


def validate(schema, document):
    """A request body against its schema: BadRequest-worthy SchemaError if it does not
    match. (Read-only attributes are refused before this, with 403, as Glance does.)"""
    if not isinstance(document, dict):
        raise schemas.SchemaError(f"Expecting a JSON object for {schema['name']}.")
    schemas.validate(schema, document)
