"""A project's compute limits next to what it uses: read by its members, set and reset
by admins (``openstack quota show / set``, ``openstack limits show``)."""
from contract import exception
from controller.compute import quota


class QuotaBelowUsage(exception.ComputeError):
    """A new limit would be below what the project already uses."""

    code = 400


def limits(db, conf, project_id):
    """The project's limits (the legacy ones included), its own over the defaults."""
    with db.session() as session:
        return quota.limits(session, conf, project_id, legacy=True)


def defaults(db, conf):
    """Every project's default limits, the legacy ones included."""
    with db.session() as session:
        return quota.defaults(session, conf, legacy=True)


def limits_and_usage(db, conf, project_id):
    """(limits, usage) of the project, read in one transaction."""
    with db.session() as session:
        return (quota.limits(session, conf, project_id, legacy=True),
                quota.usage(session, project_id))


def class_limits(db, conf, class_name):
    """Quota class ``class_name``'s limits (``os-quota-class-sets``)."""
    with db.session() as session:
        return quota.class_limits(session, conf, class_name)


def set_class_limits(db, conf, class_name, values):
    """Store limits of a quota class; returns its limits as they now are."""
    with db.session() as session:
        quota.set_class_limits(session, class_name, values)
        return quota.class_limits(session, conf, class_name)


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
        return quota.limits(session, conf, project_id, legacy=True)


def reset_limits(db, project_id):
    """Back to the configured defaults."""
    with db.session() as session:
        quota.delete_limits(session, project_id)
