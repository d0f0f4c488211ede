"""The request_spec dict the conductor sends, checked once and turned into the object
filters and weighers read."""
import dataclasses

import jsonschema

from controller.scheduler import InvalidRequestSpec, capacity

_COUNT = {"type": "integer", "minimum": 0}
_NAME = {"type": ["string", "null"]}

SCHEMA = {
    "type": "object",
    "required": ["flavor"],
    "properties": {
        "instance_uuid": _NAME,
        "project_id": _NAME,
        "user_id": _NAME,
        "num_instances": {"type": "integer", "minimum": 1},
        "flavor": {
            "type": "object",
            "required": ["vcpus", "memory_mb", "root_gb"],
            "properties": {"vcpus": {"type": "integer", "minimum": 1},
                           "memory_mb": {"type": "integer", "minimum": 1},
                           "root_gb": _COUNT, "ephemeral_gb": _COUNT, "swap": _COUNT,
                           "extra_specs": {"type": "object"}},
        },
        "image": {"type": ["object", "null"],
                  "properties": {"properties": {"type": "object"}}},
        "availability_zone": _NAME,
        "scheduler_hints": {"type": ["object", "null"]},
        "instance_group": {
            "type": ["object", "null"],
            "required": ["policy"],
            "properties": {"policy": {"enum": ["affinity", "anti-affinity"]},
                           "hosts": {"type": "array", "items": {"type": "string"}}},
        },
        "ignore_hosts": {"type": ["array", "null"], "items": {"type": "string"}},
        "force_host": _NAME,
    },
}

_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@dataclasses.dataclass(frozen=True)
class RequestSpec:
    """What one server needs from its host. ``group_hosts`` are the hosts of the members
    of its server group so far (``group_policy`` None: no group)."""

    resources: dict
    flavor: dict = dataclasses.field(default_factory=dict)
    image_properties: dict = dataclasses.field(default_factory=dict)
    availability_zone: str | None = None
    group_policy: str | None = None
    group_hosts: frozenset = frozenset()
    ignore_hosts: frozenset = frozenset()
    force_host: str | None = None
    project_id: str | None = None

    @classmethod
    def from_dict(cls, request_spec):
        """Check ``request_spec`` against SCHEMA; raise InvalidRequestSpec if it is not."""
        error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(request_spec))
        if error is not None:
            where = "/".join(str(part) for part in error.absolute_path) or "request_spec"
            raise InvalidRequestSpec(f"Invalid request_spec at {where}: {error.message}")
        group = request_spec.get("instance_group") or {}
        return cls(
            resources=capacity.resources_from_flavor(request_spec["flavor"]),
            flavor=request_spec["flavor"],
            image_properties=(request_spec.get("image") or {}).get("properties") or {},
            availability_zone=request_spec.get("availability_zone"),
            group_policy=group.get("policy"),
            group_hosts=frozenset(group.get("hosts") or ()),
            ignore_hosts=frozenset(request_spec.get("ignore_hosts") or ()),
            force_host=request_spec.get("force_host"),
            project_id=request_spec.get("project_id"))

    def with_group_member_on(self, host):
        """The spec for the next server of the same request once one landed on ``host``:
        its group now has a member there."""
        if self.group_policy is None:
            return self
        return dataclasses.replace(self, group_hosts=self.group_hosts | {host})
