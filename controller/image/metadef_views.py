"""Metadata definitions as Glance's v2 API shows them: attributes without a value are
left out, timestamps in ISO 8601, links relative to the API root."""
from controller.db.base import isotime


def _present(body):
    return {name: value for name, value in body.items() if value is not None}


def _times(record):
    return {"created_at": isotime(record.created_at),
            "updated_at": isotime(record.updated_at)}


def namespace_href(name):
    return f"/v2/metadefs/namespaces/{name}"


def namespace(record, associations=True):
    """A namespace's own attributes, with its resource type associations if it has any
    (as in Glance's listing); ``detail`` adds the rest of its contents."""
    body = _present({
        "namespace": record.namespace, "display_name": record.display_name,
        "description": record.description, "visibility": record.visibility,
        "protected": record.protected, "owner": record.owner, **_times(record),
        "self": namespace_href(record.namespace),
        "schema": "/v2/schemas/metadefs/namespace"})
    if associations and record.associations:
        body["resource_type_associations"] = [association(a)
                                              for a in record.associations]
    return body


def detail(record, resource_type=None):
    """A namespace with everything in it; with ``resource_type``, property names carry
    that resource type's prefix, as they would be set on such a resource."""
    body = namespace(record)
    prefix = next((a.prefix for a in record.associations
                   if a.resource_type.name == resource_type), None) or ""
    if record.properties:
        body["properties"] = {prefix + p.name: property_schema(p)
                              for p in record.properties}
    if record.objects:
        body["objects"] = [metadef_object(record.namespace, o, prefix)
                           for o in record.objects]
    if record.tags:
        body["tags"] = [{"name": t.name} for t in record.tags]
    return body


def association(record):
    return _present({"name": record.resource_type.name, "prefix": record.prefix,
                     "properties_target": record.properties_target, **_times(record)})


def resource_type(record):
    return {"name": record.name, **_times(record)}


def metadef_object(namespace_name, record, prefix=""):
    properties = record.properties
    required = record.required
    if prefix:
        properties = {prefix + name: value for name, value in (properties or {}).items()}
        required = [prefix + name for name in required or ()]
    return _present({
        "name": record.name, "description": record.description, "required": required,
        "properties": properties, **_times(record),
        "self": f"{namespace_href(namespace_name)}/objects/{record.name}",
        "schema": "/v2/schemas/metadefs/object"})


def property_schema(record):
    """A property as listed under its name: its definition, without the name."""
    return _present(dict(record.schema))


def metadef_property(record):
    return {"name": record.name, **property_schema(record)}


def tag(record):
    return {"name": record.name, **_times(record)}
