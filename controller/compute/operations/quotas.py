"""A project's compute limits next to what it uses: read by its members, set and reset
by admins (``openstack quota show / set``, ``openstack limits show``)."""
from contract import exception
from controller.compute import quota


class QuotaBelowUsage(exception.ComputeError):
    """A new limit would be below what the project already uses."""

    code = 400


def limits(db, conf, project_id, user_id=None):
    """The project's limits (the legacy ones included), its own over the defaults; or
    ``user_id``'s within it, theirs over the project's."""
    with db.session() as session:
        if user_id is not None:
            return quota.user_limits(session, conf, project_id, user_id, legacy=True)
        return quota.limits(session, conf, project_id, legacy=True)


def defaults(db, conf):
    """Every project's default limits, the legacy ones included."""
    with db.session() as session:
        return quota.defaults(session, conf, legacy=True)


def limits_and_usage(db, conf, project_id, user_id=None):
    """(limits, usage) of the project or of one user in it, read in one transaction."""
    with db.session() as session:
        found = (quota.user_limits(session, conf, project_id, user_id, legacy=True)
                 if user_id is not None else quota.limits(session, conf, project_id,
                                                          legacy=True))
        return found, quota.usage(session, project_id, user_id)


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


def reset_limits(db, project_id, user_id=None):
    """Back to the defaults (a user's: back to the project's limits)."""
    with db.session() as session:
        if user_id is not None:
            quota.delete_user_limits(session, project_id, user_id)
        else:
            quota.delete_limits(session, project_id)


def set_user_limits(db, conf, project_id, user_id, values, force=False):
    """Store ``user_id``'s limits within the project: none above the project's (-1 is
    unlimited) and, unless ``force``, none below what the user uses. Returns the user's
    limits as they now are."""
    with db.session() as session:
        project = quota.limits(session, conf, project_id, legacy=True)
        used = quota.usage(session, project_id, user_id)
        for resource, limit in values.items():
            ceiling = project[resource]
            if ceiling != quota.UNLIMITED and (limit == quota.UNLIMITED or limit > ceiling):
                raise QuotaBelowUsage(f"Quota limit {limit} for {resource} must be less "
                                      f"than or equal to {ceiling}.")
            if not force and limit != quota.UNLIMITED and used.get(resource, 0) > limit:
                raise QuotaBelowUsage(
                    f"Quota limit {limit} for {resource} must be greater than or equal "
                    f"to already used and reserved {used[resource]}.")
        quota.set_user_limits(session, project_id, user_id, values)
        return quota.user_limits(session, conf, project_id, user_id, legacy=True)
