"""Metadata definition namespaces and their resource type associations, each change in
one transaction.

Who sees a namespace: an admin every one, others the public ones and their project's
own; anything else answers 404, as a missing one does. Changing the catalog is for
admins (Glance's default policy). A protected namespace, and everything in it, cannot
be deleted until it is made unprotected.
"""
from sqlalchemy import or_, select, true
from sqlalchemy.exc import IntegrityError

from controller import policy
from controller.api import errors
from controller.db.base import utcnow
from controller.image import metadef_views as views
from controller.image.paging import keyset_page
from controller.image.metadef_models import (MetadefAssociation, MetadefNamespace,
                                             MetadefObject, MetadefProperty,
                                             MetadefResourceType, MetadefTag)

NAMESPACE_SORT_KEYS = ("created_at", "updated_at", "namespace", "visibility", "owner",
                       "protected")
PROPERTY_ATTRIBUTES = ("title", "description", "operators", "type", "required",
                       "minimum", "maximum", "maxLength", "minLength", "pattern", "enum",
                       "readonly", "default", "items", "maxItems", "minItems",
                       "uniqueItems", "additionalItems")


def visible(auth):
    if auth.is_admin:
        return true()
    return or_(MetadefNamespace.owner == auth.project_id,
               MetadefNamespace.visibility == "public")


def get_namespace(session, auth, name, for_update=False):
    """The namespace ``name`` if the caller may see it, else NotFound."""
    query = select(MetadefNamespace).where(MetadefNamespace.namespace == name,
                                           visible(auth))
    if for_update:
        query = query.with_for_update()
    record = session.scalars(query).one_or_none()
    if record is None:
        raise errors.NotFound(f"Metadata definition namespace={name} was not found.")
    return record


def target(record):
    return {"project_id": record.owner, "visibility": record.visibility}


def require_unprotected(record, what):
    if record.protected:
        raise errors.Forbidden(f"Metadata definition namespace {record.namespace} is "
                               f"protected: its {what} cannot be deleted.")


def property_document(body):
    """What is kept of a property definition: its attributes, not its name."""
    return {name: body[name] for name in PROPERTY_ATTRIBUTES if name in body}


def resource_type_named(session, name):
    """The resource type ``name``, created (unprotected) on its first association."""
    record = session.scalars(select(MetadefResourceType)
                             .where(MetadefResourceType.name == name)).one_or_none()
    if record is None:
        now = utcnow()
        record = MetadefResourceType(name=name, protected=False, created_at=now,
                                     updated_at=now)
        session.add(record)
        session.flush()
    return record


def duplicate(name):
    return errors.Conflict(f"Metadata definition namespace={name} already exists.")


def namespace_exists(session, name):
    return session.scalars(select(MetadefNamespace.id).where(
        MetadefNamespace.namespace == name)).first() is not None


def insert_namespace(session, body, owner):
    """A new namespace with the contents ``body`` (valid for the namespace schema)
    gives; Conflict if the name is taken or two of its contents share a name."""
    name = body["namespace"]
    if namespace_exists(session, name):
        raise duplicate(name)
    now = utcnow()
    record = MetadefNamespace(
        namespace=name, display_name=body.get("display_name"),
        description=body.get("description"), visibility=body.get("visibility") or "private",
        protected=bool(body.get("protected")), owner=owner, created_at=now, updated_at=now)
    session.add(record)
    session.flush()
    for item in body.get("resource_type_associations") or ():
        if not item.get("name"):
            raise errors.BadRequest("A resource type association needs a 'name'.")
        record.associations.append(MetadefAssociation(
            resource_type=resource_type_named(session, item["name"]),
            prefix=item.get("prefix"), properties_target=item.get("properties_target"),
            created_at=now, updated_at=now))
    for item in body.get("objects") or ():
        if not item.get("name"):
            raise errors.BadRequest("An object needs a 'name'.")
        record.objects.append(MetadefObject(
            name=item["name"], description=item.get("description"),
            required=item.get("required"), properties=item.get("properties"),
            created_at=now, updated_at=now))
    for prop_name, definition in (body.get("properties") or {}).items():
        record.properties.append(MetadefProperty(
            name=prop_name, schema=property_document(definition), created_at=now,
            updated_at=now))
    for item in body.get("tags") or ():
        if not item.get("name"):
            raise errors.BadRequest("A tag needs a 'name'.")
        record.tags.append(MetadefTag(name=item["name"], created_at=now, updated_at=now))
    try:
        session.flush()
    except IntegrityError:
        raise errors.Conflict(f"Namespace {name}: two objects, properties, tags or "
                              f"associations share a name.")
    return record


class MetadefNamespaces:
    def __init__(self, db):
        self.db = db

    def list(self, auth, page, visibility=None, resource_types=()):
        policy.authorize(auth, "image:get_metadef_namespaces")
        with self.db.session() as session:
            query = select(MetadefNamespace).where(visible(auth))
            if visibility:
                query = query.where(MetadefNamespace.visibility == visibility)
            if resource_types:
                query = query.where(MetadefNamespace.associations.any(
                    MetadefAssociation.resource_type.has(
                        MetadefResourceType.name.in_(resource_types))))
            marker = (get_namespace(session, auth, page.marker)
                      if page.marker is not None else None)
            records = keyset_page(session, query, MetadefNamespace, page,
                                  MetadefNamespace.id, marker)
            more = page.limit is not None and records and len(records) == page.limit
            return ([views.namespace(r) for r in records],
                    records[-1].namespace if more else None)

    def create(self, auth, body):
        policy.authorize(auth, "image:add_metadef_namespace")
        for part, rule in (("resource_type_associations",
                            "add_metadef_resource_type_association"),
                           ("objects", "add_metadef_object"),
                           ("properties", "add_metadef_property"),
                           ("tags", "add_metadef_tag")):
            if body.get(part):
                policy.authorize(auth, f"image:{rule}")
        name = body["namespace"]
        try:
            with self.db.session() as session:
                created = views.namespace(
                    insert_namespace(session, body, body.get("owner") or auth.project_id),
                    associations=False)
        except IntegrityError:
            raise duplicate(name)
        return {**created, **self._echo_contents(body)}

    @staticmethod
    def _echo_contents(body):
        """The contents of a created namespace, as the request gave them (Glance)."""
        echo = {}
        if body.get("resource_type_associations"):
            echo["resource_type_associations"] = body["resource_type_associations"]
        if body.get("properties"):
            echo["properties"] = {name: property_document(definition)
                                  for name, definition in body["properties"].items()}
        for part in ("objects", "tags"):
            if body.get(part):
                echo[part] = body[part]
        return echo

    def show(self, auth, name, resource_type=None):
        with self.db.session() as session:
            record = get_namespace(session, auth, name)
            policy.authorize(auth, "image:get_metadef_namespace", target(record))
            return views.detail(record, resource_type)

    def update(self, auth, name, body):
        """Glance's PUT: every attribute as given, the optional ones back to their
        defaults when left out; the contents stay."""
        try:
            with self.db.session() as session:
                record = get_namespace(session, auth, name, for_update=True)
                policy.authorize(auth, "image:modify_metadef_namespace", target(record))
                new_name = body["namespace"]
                if new_name != name and namespace_exists(session, new_name):
                    raise duplicate(new_name)
                record.namespace = new_name
                record.display_name = body.get("display_name")
                record.description = body.get("description")
                record.visibility = body.get("visibility") or "private"
                record.protected = bool(body.get("protected"))
                record.owner = body.get("owner") or auth.project_id
                record.updated_at = utcnow()
                session.flush()
                return views.namespace(record, associations=False)
        except IntegrityError:
            raise duplicate(body["namespace"])

    def delete(self, auth, name):
        with self.db.session() as session:
            record = get_namespace(session, auth, name, for_update=True)
            policy.authorize(auth, "image:delete_metadef_namespace", target(record))
            require_unprotected(record, "definitions")
            session.delete(record)

    def delete_contents(self, auth, name, part):
        """Delete all of a namespace's ``objects``, ``properties`` or ``tags``."""
        with self.db.session() as session:
            record = get_namespace(session, auth, name, for_update=True)
            policy.authorize(auth, "image:delete_metadef_namespace", target(record))
            if part == "tags":
                policy.authorize(auth, "image:delete_metadef_tags", target(record))
            require_unprotected(record, part)
            getattr(record, part).clear()

    def resource_types(self, auth):
        policy.authorize(auth, "image:list_metadef_resource_types")
        with self.db.session() as session:
            records = session.scalars(select(MetadefResourceType)
                                      .order_by(MetadefResourceType.id))
            return [views.resource_type(r) for r in records]

    def associations(self, auth, name):
        with self.db.session() as session:
            record = get_namespace(session, auth, name)
            policy.authorize(auth, "image:list_metadef_resource_types", target(record))
            if not policy.allowed(auth, "image:get_metadef_resource_type", target(record)):
                return []
            return [views.association(a) for a in record.associations]

    def associate(self, auth, name, body):
        with self.db.session() as session:
            record = get_namespace(session, auth, name, for_update=True)
            policy.authorize(auth, "image:add_metadef_resource_type_association",
                             target(record))
            resource_type = resource_type_named(session, body["name"])
            if any(a.resource_type_id == resource_type.id for a in record.associations):
                raise errors.Conflict(f"The metadata definition resource-type association "
                                      f"of resource-type={body['name']} to "
                                      f"namespace={name}, already exists.")
            now = utcnow()
            association = MetadefAssociation(
                resource_type=resource_type, prefix=body.get("prefix"),
                properties_target=body.get("properties_target"), created_at=now,
                updated_at=now)
            record.associations.append(association)
            session.flush()
            return views.association(association)

    def dissociate(self, auth, name, resource_type):
        with self.db.session() as session:
            record = get_namespace(session, auth, name, for_update=True)
            policy.authorize(auth, "image:remove_metadef_resource_type_association",
                             target(record))
            found = [a for a in record.associations
                     if a.resource_type.name == resource_type]
            if not found:
                raise errors.NotFound(f"Failed to find resource type {resource_type} "
                                      f"to delete")
            require_unprotected(record, "resource type associations")
            record.associations.remove(found[0])
