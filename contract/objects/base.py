"""The base of the objects that cross RPC, and the serializer that carries them.

Versions follow ``oslo.versionedobjects``: a minor version only adds fields; anything
else (a field removed, renamed or changed in meaning) is a new major version. Each class
keeps its history in its docstring, and its ``obj_make_compatible`` drops what came
after the version asked for.

The compatibility rule between a controller and an agent of different releases:

- A sender that knows the receiver's versions sends each object backported to them
  (``backport`` → ``obj_make_compatible``): the newer fields are dropped before they
  leave. An agent tells the conductor its versions (``versions()``) with each request
  that answers objects, so a newer conductor answers in the agent's versions.
- A receiver given a newer minor version of an object it knows reads it as the version
  it has, ignoring the fields it does not know (minor versions only add fields). A newer
  major version is refused (``IncompatibleObjectVersion``).

The objects behave as read-write mappings too (``obj["uuid"]``, ``obj.get(...)`` as a
dict's), the shape the agent's code and drivers were written against.
"""
import logging

from oslo_utils import versionutils
from oslo_versionedobjects import base as ovo_base
from oslo_versionedobjects import exception as ovo_exception
from oslo_versionedobjects import fields

LOG = logging.getLogger(__name__)

NAMESPACE = "pocketstack"


class Json(fields.FieldType):
    """A value as JSON has it (dicts, lists, strings, numbers, None) — for the documents
    another service defines (a flavor, the image's metadata, a network's addresses),
    carried as they are."""

    @staticmethod
    def coerce(obj, attr, value):
        return value

    @staticmethod
    def to_primitive(obj, attr, value):
        return value

    @staticmethod
    def from_primitive(obj, attr, value):
        return value


class JsonField(fields.AutoTypedField):
    AUTO_TYPE = Json()


class PocketstackObject(ovo_base.VersionedObject, ovo_base.VersionedObjectDictCompat):
    OBJ_PROJECT_NAMESPACE = NAMESPACE
    OBJ_SERIAL_NAMESPACE = "versioned_object"

    # Fields and the version that brought them, newest last: {"1.1": ("tag",)}.
    # ``obj_make_compatible`` drops those newer than the version asked for.
    ADDED_IN = {}

    def get(self, key, default=None):
        """As a dict's ``get``: ``default`` for a field that is unset or unknown."""
        if key not in self.fields or not self.obj_attr_is_set(key):
            return default
        return getattr(self, key)

    def obj_attr_is_set(self, attrname):
        """As oslo.versionedobjects', without building the list of field names on each
        call: serializing an Instance asks this some 70 times (these objects have no
        ``obj_extra_fields``)."""
        if attrname not in self.fields:
            raise AttributeError(f"{self.obj_name()} object has no attribute '{attrname}'")
        return hasattr(self, "_obj_" + attrname)

    def obj_make_compatible(self, primitive, target_version):
        super().obj_make_compatible(primitive, target_version)
        target = versionutils.convert_version_to_tuple(target_version)
        for version, names in self.ADDED_IN.items():
            if versionutils.convert_version_to_tuple(version) > target:
                for name in names:
                    primitive.pop(name, None)

    @classmethod
    def from_dict(cls, values):
        """The object of a dict in the shape it documents; keys it has no field for
        are not carried."""
        obj = cls()
        for name in cls.fields:
            if name in values:
                setattr(obj, name, values[name])
        obj.obj_reset_changes()
        return obj

    def to_dict(self):
        """The set fields as plain data (nested objects as dicts too)."""
        return {name: _plain(getattr(self, name)) for name in self}


def _plain(value):
    if isinstance(value, PocketstackObject):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class ObjectSerializer(ovo_base.VersionedObjectSerializer):
    """Carries objects across RPC (inside ``contract.rpc``'s context serializer), and
    reads a newer minor version of a known object as the version this side has."""

    OBJ_BASE_CLASS = PocketstackObject

    def _process_object(self, context, objprim):
        try:
            return super()._process_object(context, objprim)
        except ovo_exception.IncompatibleObjectVersion:
            known = self._newest_same_major(objprim)
            if known is None:
                raise
        LOG.debug("Reading %s %s as %s: its newer fields are ignored",
                  objprim["versioned_object.name"], objprim["versioned_object.version"],
                  known)
        return super()._process_object(
            context, dict(objprim, **{"versioned_object.version": known}))

    @staticmethod
    def _newest_same_major(objprim):
        """The newest version of the object this side knows, if the primitive is a newer
        minor version of it (the same major)."""
        name = objprim["versioned_object.name"]
        major, minor = versionutils.convert_version_to_tuple(
            objprim["versioned_object.version"])[:2]
        known = [versionutils.convert_version_to_tuple(cls.VERSION)
                 for cls in ovo_base.VersionedObjectRegistry.obj_classes().get(name, [])]
        same_major = sorted(v for v in known if v[0] == major and v[1] < minor)
        if not same_major:
            return None
        return ".".join(str(part) for part in same_major[-1])


def versions():
    """``{object name: newest version}`` this side knows: what it asks a newer sender to
    backport to."""
    return {name: classes[0].VERSION
            for name, classes in ovo_base.VersionedObjectRegistry.obj_classes().items()
            if classes[0].OBJ_PROJECT_NAMESPACE == NAMESPACE}


def backport(obj, target_versions):
    """``obj`` as a receiver knowing ``target_versions`` (``versions()`` of its side)
    can read it: a primitive of the version it asked for, the newer fields dropped; the
    object itself when it asked for nothing, or when it knows every object at the
    version this side has (the usual case: nothing to drop, and no walk through the
    object's compatibility steps on every answer)."""
    if not target_versions or _same_versions(target_versions):
        return obj
    return obj.obj_to_primitive(
        target_version=target_versions.get(obj.obj_name(), obj.VERSION),
        version_manifest=target_versions)


def _same_versions(target_versions):
    """The receiver knows every object of this side, each at this side's version."""
    return all(target_versions.get(name) == version for name, version in versions().items())


def register(cls):
    """Register an object class so that messages can name it."""
    return ovo_base.VersionedObjectRegistry.register(cls)
