"""Flavor lookups, and the snapshot of a flavor a server keeps for its whole life."""
from sqlalchemy import select

from contract.exception import InvalidRequest
from controller.compute import models


def find(session, flavor_id):
    return session.get(models.Flavor, flavor_id)


def get_for_boot(session, flavor_ref, auth):
    """The flavor a create request names (its id or its link), or a 400."""
    flavor_id = str(flavor_ref).rstrip("/").rsplit("/", 1)[-1]
    flavor = find(session, flavor_id)
    if flavor is None or flavor.disabled or not (auth.is_admin
                                                 or flavor.open_to(auth.project_id)):
        raise InvalidRequest(f"Flavor {flavor_id} could not be found.")
    return flavor


def extra_specs(flavor):
    return {spec.key: spec.value for spec in flavor.extra_specs}


def snapshot(flavor):
    return {"id": flavor.id, "name": flavor.name, "vcpus": flavor.vcpus,
            "memory_mb": flavor.memory_mb, "root_gb": flavor.root_gb,
            "ephemeral_gb": flavor.ephemeral_gb, "swap": flavor.swap,
            "extra_specs": extra_specs(flavor)}


def by_name(session, name):
    return session.scalars(select(models.Flavor).where(models.Flavor.name == name)).first()
