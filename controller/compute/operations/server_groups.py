"""Server groups: servers the scheduler keeps on one host (affinity) or on different
hosts (anti-affinity), within the project's ``server_groups`` quota."""
from sqlalchemy import func, select

from contract import exception
from controller.compute import models, quota

GROUP_POLICIES = ("affinity", "anti-affinity")


class ServerGroupNotFound(exception.ComputeError):
    code = 404


def list_groups(db, project_id=None):
    """The groups of ``project_id`` (None: of every project), oldest first."""
    query = select(models.ServerGroup).order_by(models.ServerGroup.created_at)
    if project_id is not None:
        query = query.where(models.ServerGroup.project_id == project_id)
    with db.session() as session:
        return list(session.scalars(query))


def create(db, conf, auth, name, group_policy, rules):
    with db.session() as session:
        limit = quota.limits(session, conf, auth.project_id)["server_groups"]
        used = session.scalar(select(func.count(models.ServerGroup.uuid)).where(
            models.ServerGroup.project_id == auth.project_id))
        quota.check({"server_groups": limit}, {"server_groups": used}, {"server_groups": 1})
        group = models.ServerGroup(name=name, project_id=auth.project_id,
                                   user_id=auth.user_id, policy=group_policy, rules=rules,
                                   members=[])
        session.add(group)
    return group


def _find(session, auth, group_id, authorize):
    group = session.get(models.ServerGroup, group_id)
    if group is None or (group.project_id != auth.project_id and not auth.is_admin):
        raise ServerGroupNotFound(f"Instance group {group_id} could not be found.")
    authorize({"project_id": group.project_id})
    return group


def get(db, auth, group_id, authorize):
    with db.session() as session:
        return _find(session, auth, group_id, authorize)


def delete(db, auth, group_id, authorize):
    with db.session() as session:
        session.delete(_find(session, auth, group_id, authorize))
