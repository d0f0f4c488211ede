"""Endpoint filtering (Keystone's OS-EP-FILTER): endpoint groups (endpoints chosen by
service, region and interface) and which endpoints or groups a project is given."""
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from controller.db.base import Base
from controller.identity.models import new_id


class EndpointGroup(Base):
    __tablename__ = "identity_endpoint_groups"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    filters: Mapped[dict] = mapped_column(JSON)   # service_id, region_id, interface


def _project():
    return mapped_column(ForeignKey("identity_projects.id", ondelete="CASCADE"),
                         primary_key=True)


class ProjectEndpointGroup(Base):
    __tablename__ = "identity_project_endpoint_groups"

    endpoint_group_id: Mapped[str] = mapped_column(
        ForeignKey("identity_endpoint_groups.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = _project()


class ProjectEndpoint(Base):
    __tablename__ = "identity_project_endpoints"

    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("identity_endpoints.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = _project()
