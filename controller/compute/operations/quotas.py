"""A project's compute limits next to what it uses: read by its members, set and reset
by admins (``openstack quota show / set``, ``openstack limits show``)."""
from contract import exception
from controller.compute import quota


class QuotaBelowUsage(exception.ComputeError):
    """A new limit would be below what the project already uses."""

    code = 400


def limits(db, conf, project_id):
    """The project's limits, its own over the configured defaults."""
    with db.session() as session:
        return quota.limits(session, conf, project_id)


def limits_and_usage(db, conf, project_id):
    """(limits, usage) of the project, read in one transaction."""
    with db.session() as session:
        return quota.limits(session, conf, project_id), quota.usage(session, project_id)


def set_limits(db, conf, project_id, values, force=False):
    """Store ``values`` (resource → limit); unless ``force``, none may go below what the
    project uses. Returns the project's limits as they now are."""
    with db.session() as session:
        if not force:
            used = quota.usage(session, project_id)
            for resource, limit in values.items():
                if limit != quota.UNLIMITED and used.get(resource, 0) > limit:
                    raise QuotaBelowUsage(
                        f"Quota limit {limit} for {resource} must be greater than or "
                        f"equal to already used and reserved {used[resource]}.")
        quota.set_limits(session, project_id, values)
        return quota.limits(session, conf, project_id)


def reset_limits(db, project_id):
    """Back to the configured defaults."""
    with db.session() as session:
        quota.delete_limits(session, project_id)
