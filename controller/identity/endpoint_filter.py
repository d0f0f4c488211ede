"""Endpoint filtering (Keystone's OS-EP-FILTER), each change in one transaction.

An endpoint group picks the catalog's endpoints by service, region and interface. A
project given endpoints (directly or through groups) sees only those in the catalog of
its tokens, and only the services that keep an endpoint; a project given none sees the
whole catalog (Keystone's ``return_all_endpoints_if_no_filter``).
"""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from controller.api import errors
from controller.identity import models, records
from controller.identity.endpoint_filter_models import (EndpointGroup, ProjectEndpoint,
                                                        ProjectEndpointGroup)

FILTER_KEYS = ("service_id", "region_id", "interface")


def _group_statement(group):
    statement = select(models.Endpoint)
    for key, value in group.filters.items():
        statement = statement.where(getattr(models.Endpoint, key) == value)
    return statement.order_by(models.Endpoint.id)


def endpoint_ids_for_project(session, project_id):
    """The ids of the endpoints a project is given (none: no filtering)."""
    ids = set(session.scalars(select(ProjectEndpoint.endpoint_id)
                              .where(ProjectEndpoint.project_id == project_id)))
    for group in session.scalars(select(EndpointGroup).join(
            ProjectEndpointGroup, ProjectEndpointGroup.endpoint_group_id == EndpointGroup.id)
            .where(ProjectEndpointGroup.project_id == project_id)):
        ids.update(endpoint.id for endpoint in session.scalars(_group_statement(group)))
    return ids


def _associate(session, row, kind):
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise errors.Conflict(f"Conflict occurred attempting to store {kind}: the "
                              f"association exists already.")


class EndpointFilter:
    def __init__(self, db):
        self.db = db

    # --- endpoint groups -----------------------------------------------------------
    def create_group(self, fields):
        group = EndpointGroup(**fields)
        with self.db.session() as session:
            session.add(group)
            session.flush()
        return group

    def list_groups(self, name=None):
        statement = select(EndpointGroup).order_by(EndpointGroup.id)
        if name is not None:
            statement = statement.where(EndpointGroup.name == name)
        with self.db.session() as session:
            return list(session.scalars(statement))

    def get_group(self, group_id):
        return records.show(self.db, EndpointGroup, group_id, "endpoint group")

    def update_group(self, group_id, changes):
        with self.db.session() as session:
            group = records.get_or_404(session, EndpointGroup, group_id, "endpoint group")
            for key, value in changes.items():
                setattr(group, key, value)
        return group

    def delete_group(self, group_id):
        with self.db.session() as session:
            session.delete(records.get_or_404(session, EndpointGroup, group_id,
                                              "endpoint group"))

    def group_endpoints(self, group_id):
        with self.db.session() as session:
            group = records.get_or_404(session, EndpointGroup, group_id, "endpoint group")
            return list(session.scalars(_group_statement(group)))

    def group_projects(self, group_id):
        with self.db.session() as session:
            records.get_or_404(session, EndpointGroup, group_id, "endpoint group")
            return list(session.scalars(select(models.Project).join(
                ProjectEndpointGroup, ProjectEndpointGroup.project_id == models.Project.id)
                .where(ProjectEndpointGroup.endpoint_group_id == group_id)
                .order_by(models.Project.id)))

    # --- endpoint groups given to projects ------------------------------------------
    def _group_and_project(self, session, group_id, project_id):
        records.get_or_404(session, models.Project, project_id, "project")
        records.get_or_404(session, EndpointGroup, group_id, "endpoint group")

    def add_group_to_project(self, group_id, project_id):
        with self.db.session() as session:
            self._group_and_project(session, group_id, project_id)
            _associate(session, ProjectEndpointGroup(endpoint_group_id=group_id,
                                                     project_id=project_id),
                       "project_endpoint_group")

    def _project_group(self, session, group_id, project_id):
        self._group_and_project(session, group_id, project_id)
        row = session.get(ProjectEndpointGroup, (group_id, project_id))
        if row is None:
            raise errors.NotFound(f"Could not find endpoint group {group_id} in "
                                  f"project {project_id}.")
        return row

    def group_in_project(self, group_id, project_id):
        with self.db.session() as session:
            return self._project_group(session, group_id, project_id)

    def remove_group_from_project(self, group_id, project_id):
        with self.db.session() as session:
            session.delete(self._project_group(session, group_id, project_id))

    def project_groups(self, project_id):
        with self.db.session() as session:
            return list(session.scalars(select(EndpointGroup).join(
                ProjectEndpointGroup,
                ProjectEndpointGroup.endpoint_group_id == EndpointGroup.id)
                .where(ProjectEndpointGroup.project_id == project_id)
                .order_by(EndpointGroup.id)))

    # --- endpoints given to projects ------------------------------------------------
    def _endpoint_and_project(self, session, project_id, endpoint_id):
        records.get_or_404(session, models.Endpoint, endpoint_id, "endpoint")
        records.get_or_404(session, models.Project, project_id, "project")

    def add_endpoint_to_project(self, project_id, endpoint_id):
        with self.db.session() as session:
            self._endpoint_and_project(session, project_id, endpoint_id)
            _associate(session, ProjectEndpoint(endpoint_id=endpoint_id,
                                                project_id=project_id),
                       "project_endpoint")

    def _project_endpoint(self, session, project_id, endpoint_id):
        row = session.get(ProjectEndpoint, (endpoint_id, project_id))
        if row is None:
            raise errors.NotFound(f"Endpoint {endpoint_id} not found in project "
                                  f"{project_id}.")
        return row

    def check_endpoint_in_project(self, project_id, endpoint_id):
        with self.db.session() as session:
            self._endpoint_and_project(session, project_id, endpoint_id)
            self._project_endpoint(session, project_id, endpoint_id)

    def remove_endpoint_from_project(self, project_id, endpoint_id):
        with self.db.session() as session:
            session.delete(self._project_endpoint(session, project_id, endpoint_id))

    def project_endpoints(self, project_id):
        """Every endpoint the project is given, directly or through its groups."""
        with self.db.session() as session:
            records.get_or_404(session, models.Project, project_id, "project")
            ids = endpoint_ids_for_project(session, project_id)
            return list(session.scalars(select(models.Endpoint)
                                        .where(models.Endpoint.id.in_(ids))
                                        .order_by(models.Endpoint.id)))

    def endpoint_projects(self, endpoint_id):
        """The projects given this endpoint directly."""
        with self.db.session() as session:
            records.get_or_404(session, models.Endpoint, endpoint_id, "endpoint")
            return list(session.scalars(select(models.Project).join(
                ProjectEndpoint, ProjectEndpoint.project_id == models.Project.id)
                .where(ProjectEndpoint.endpoint_id == endpoint_id)
                .order_by(models.Project.id)))
