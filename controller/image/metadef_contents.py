"""What a metadata definition namespace holds: objects, properties and tags, each change
in one transaction. Names are unique within a namespace (409 otherwise); a rename
keeps the record. The namespace's visibility and policy rules are those of
``metadef_namespaces``.
"""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from controller import policy
from controller.api import errors
from controller.db.base import utcnow
from controller.image import metadef_views as views
from controller.image.metadef_models import (MetadefObject, MetadefProperty,
                                             MetadefResourceType, MetadefTag)
from controller.image.metadef_namespaces import (get_namespace, property_document,
                                                 require_unprotected, target)
from controller.image.paging import keyset_page


def _find(records, name, kind, namespace):
    for record in records:
        if record.name == name:
            return record
    raise errors.NotFound(f"Metadata definition {kind}={name} was not found in "
                          f"namespace={namespace}.")


def _check_unique(records, name, kind, namespace, renamed=None):
    if any(r.name == name and r is not renamed for r in records):
        raise errors.Conflict(f"A metadata definition {kind} with name={name} already "
                              f"exists in namespace={namespace}.")


class _Contents:
    def __init__(self, db):
        self.db = db

    def _namespace(self, session, auth, name, rule, for_update=False):
        record = get_namespace(session, auth, name, for_update=for_update)
        policy.authorize(auth, f"image:{rule}", target(record))
        return record

    def _delete(self, auth, namespace, name, rule, part, kind):
        """Remove the ``kind`` called ``name`` from the namespace's ``part``."""
        with self.db.session() as session:
            record = self._namespace(session, auth, namespace, rule, for_update=True)
            contents = getattr(record, part)
            item = _find(contents, name, kind, namespace)
            require_unprotected(record, part)
            contents.remove(item)


class MetadefObjects(_Contents):
    def list(self, auth, namespace):
        with self.db.session() as session:
            record = self._namespace(session, auth, namespace, "get_metadef_objects")
            if not policy.allowed(auth, "image:get_metadef_object", target(record)):
                return []
            return [views.metadef_object(namespace, o) for o in record.objects]

    def show(self, auth, namespace, name):
        with self.db.session() as session:
            record = self._namespace(session, auth, namespace, "get_metadef_object")
            return views.metadef_object(namespace,
                                        _find(record.objects, name, "object", namespace))

    def create(self, auth, namespace, body):
        with self.db.session() as session:
            record = self._namespace(session, auth, namespace, "add_metadef_object",
                                     for_update=True)
            _check_unique(record.objects, body["name"], "object", namespace)
            now = utcnow()
            item = MetadefObject(name=body["name"], description=body.get("description"),
                                 required=body.get("required"),
                                 properties=_properties(body), created_at=now,
                                 updated_at=now)
            record.objects.append(item)
            session.flush()
            return views.metadef_object(namespace, item)

    def update(self, auth, namespace, name, body):
        with self.db.session() as session:
            record = self._namespace(session, auth, namespace, "modify_metadef_object",
                                     for_update=True)
            item = _find(record.objects, name, "object", namespace)
            _check_unique(record.objects, body["name"], "object", namespace, item)
            item.name = body["name"]
            item.description = body.get("description")
            item.required = body.get("required")
            item.properties = _properties(body)
            item.updated_at = utcnow()
            session.flush()
            return views.metadef_object(namespace, item)

    def delete(self, auth, namespace, name):
        self._delete(auth, namespace, name, "delete_metadef_object", "objects", "object")


def _properties(body):
    if body.get("properties") is None:
        return None
    return {name: property_document(definition)
            for name, definition in body["properties"].items()}


class MetadefProperties(_Contents):
    def list(self, auth, namespace):
        with self.db.session() as session:
            record = self._namespace(session, auth, namespace, "get_metadef_properties")
            return {p.name: views.property_schema(p) for p in record.properties}

    def show(self, auth, namespace, name, resource_type=None):
        """With ``resource_type``, ``name`` carries that type's prefix (as set on such a
        resource), which must match the namespace's association."""
        with self.db.session() as session:
            record = self._namespace(session, auth, namespace, "get_metadef_property")
            if resource_type:
                policy.authorize(auth, "image:get_metadef_resource_type", target(record))
                name = self._unprefixed(session, record, name, resource_type)
            return views.metadef_property(_find(record.properties, name, "property",
                                                namespace))

    @staticmethod
    def _unprefixed(session, record, name, resource_type):
        if session.scalars(select(MetadefResourceType.id).where(
                MetadefResourceType.name == resource_type)).first() is None:
            raise errors.NotFound(f"Metadata definition resource-type={resource_type} "
                                  f"was not found.")
        association = next((a for a in record.associations
                            if a.resource_type.name == resource_type), None)
        if association is None:
            raise errors.NotFound(f"The metadata definition resource-type association of "
                                  f"resource-type={resource_type} to namespace="
                                  f"{record.namespace}, was not found.")
        prefix = association.prefix
        if not prefix or not name.startswith(prefix):
            raise errors.NotFound(f"Property {name} does not start with the expected "
                                  f"resource type association prefix of '{prefix}'.")
        return name[len(prefix):]

    def create(self, auth, namespace, body):
        with self.db.session() as session:
            record = self._namespace(session, auth, namespace, "add_metadef_property",
                                     for_update=True)
            _check_unique(record.properties, body["name"], "property", namespace)
            now = utcnow()
            item = MetadefProperty(name=body["name"], schema=property_document(body),
                                   created_at=now, updated_at=now)
            record.properties.append(item)
            session.flush()
            return views.metadef_property(item)

    def update(self, auth, namespace, name, body):
        with self.db.session() as session:
            record = self._namespace(session, auth, namespace, "modify_metadef_property",
                                     for_update=True)
            item = _find(record.properties, name, "property", namespace)
            _check_unique(record.properties, body["name"], "property", namespace, item)
            item.name = body["name"]
            item.schema = property_document(body)
            item.updated_at = utcnow()
            session.flush()
            return views.metadef_property(item)

    def delete(self, auth, namespace, name):
        self._delete(auth, namespace, name, "remove_metadef_property", "properties", "property")


class MetadefTags(_Contents):
    def list(self, auth, namespace, page):
        with self.db.session() as session:
            record = self._namespace(session, auth, namespace, "get_metadef_tags")
            marker = (_find(record.tags, page.marker, "tag", namespace)
                      if page.marker else None)
            query = select(MetadefTag).where(MetadefTag.namespace_id == record.id)
            tags = keyset_page(session, query, MetadefTag, page, MetadefTag.id, marker)
            return [{"name": t.name} for t in tags]

    def show(self, auth, namespace, name):
        with self.db.session() as session:
            record = self._namespace(session, auth, namespace, "get_metadef_tag")
            return views.tag(_find(record.tags, name, "tag", namespace))

    def create(self, auth, namespace, name):
        with self.db.session() as session:
            record = self._namespace(session, auth, namespace, "add_metadef_tag",
                                     for_update=True)
            _check_unique(record.tags, name, "tag", namespace)
            now = utcnow()
            item = MetadefTag(name=name, created_at=now, updated_at=now)
            record.tags.append(item)
            session.flush()
            return views.tag(item)

    def create_many(self, auth, namespace, names, append):
        """``POST …/tags``: these tags, replacing the namespace's (or added to them with
        ``X-Openstack-Append: true``); all or none."""
        if len(set(names)) != len(names):
            raise errors.Conflict(f"A metadata tag name is given twice for "
                                  f"namespace={namespace}.")
        try:
            with self.db.session() as session:
                record = self._namespace(session, auth, namespace, "add_metadef_tags",
                                         for_update=True)
                if not append:
                    record.tags.clear()
                    session.flush()
                for name in names:
                    _check_unique(record.tags, name, "tag", namespace)
                now = utcnow()
                record.tags.extend(MetadefTag(name=name, created_at=now, updated_at=now)
                                   for name in names)
                session.flush()
        except IntegrityError:
            raise errors.Conflict(f"A metadata tag of these already exists in "
                                  f"namespace={namespace}.")
        return [{"name": name} for name in names]

    def update(self, auth, namespace, name, new_name):
        with self.db.session() as session:
            record = self._namespace(session, auth, namespace, "modify_metadef_tag",
                                     for_update=True)
            item = _find(record.tags, name, "tag", namespace)
            _check_unique(record.tags, new_name, "tag", namespace, item)
            item.name = new_name
            item.updated_at = utcnow()
            session.flush()
            return views.tag(item)

    def delete(self, auth, namespace, name):
        self._delete(auth, namespace, name, "delete_metadef_tag", "tags", "tag")
