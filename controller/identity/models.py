"""Identity's tables: domains, projects, users, groups, roles and their assignments, the
catalog, credentials and revocation events. IDs are 32-digit hex UUIDs, as Keystone's are."""
import datetime
import uuid

from sqlalchemy import (JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from controller.db.base import Base, TimestampMixin, utcnow

DEFAULT_DOMAIN_ID = "default"


def new_id():
    return uuid.uuid4().hex


def _id_pk():
    return mapped_column(String(64), primary_key=True, default=new_id)


class Domain(TimestampMixin, Base):
    __tablename__ = "identity_domains"

    id: Mapped[str] = _id_pk()
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Project(TimestampMixin, Base):
    __tablename__ = "identity_projects"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = _id_pk()
    name: Mapped[str] = mapped_column(String(64))
    domain_id: Mapped[str] = mapped_column(ForeignKey("identity_domains.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Nested under another project of the domain; None: directly under the domain.
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("identity_projects.id"),
                                                  nullable=True, index=True)
    # Attributes Keystone does not know are kept and shown back, as Keystone does.
    extra: Mapped[dict | None] = mapped_column(JSON, default=dict)
    tag_rows: Mapped[list["ProjectTag"]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="ProjectTag.name")

    @property
    def tags(self):
        return [row.name for row in self.tag_rows]


class ProjectTag(Base):
    __tablename__ = "identity_project_tags"

    project_id: Mapped[str] = mapped_column(
        ForeignKey("identity_projects.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)


class User(TimestampMixin, Base):
    __tablename__ = "identity_users"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = _id_pk()
    name: Mapped[str] = mapped_column(String(255))
    domain_id: Mapped[str] = mapped_column(ForeignKey("identity_domains.id"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_expires_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # A project ID of this service; not a foreign key so a project may go first, as in Keystone.
    default_project_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict | None] = mapped_column(JSON, default=dict)


class Group(TimestampMixin, Base):
    __tablename__ = "identity_groups"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)

    id: Mapped[str] = _id_pk()
    name: Mapped[str] = mapped_column(String(64))
    domain_id: Mapped[str] = mapped_column(ForeignKey("identity_domains.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict | None] = mapped_column(JSON, default=dict)


class GroupMember(Base):
    __tablename__ = "identity_group_members"

    group_id: Mapped[str] = mapped_column(
        ForeignKey("identity_groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("identity_users.id", ondelete="CASCADE"), primary_key=True, index=True)


class Role(TimestampMixin, Base):
    """A global role (``domain_id`` None) or one defined in a domain (Keystone's domain
    roles: never in a token by themselves, only through what they imply)."""

    __tablename__ = "identity_roles"

    id: Mapped[str] = _id_pk()
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    domain_id: Mapped[str | None] = mapped_column(String(64))


class ImpliedRole(Base):
    """Holding ``prior_role`` also grants ``implied_role`` (admin ⇒ member ⇒ reader)."""

    __tablename__ = "identity_implied_roles"

    prior_role_id: Mapped[str] = mapped_column(
        ForeignKey("identity_roles.id", ondelete="CASCADE"), primary_key=True)
    implied_role_id: Mapped[str] = mapped_column(
        ForeignKey("identity_roles.id", ondelete="CASCADE"), primary_key=True)


# Who holds a role (actor_type) and where (target_type); the system's target_id is "all".
ACTORS = ("user", "group")
TARGETS = ("project", "domain", "system")
SYSTEM_ID = "all"


class Assignment(Base):
    """A user or a group holds a role on a project, a domain or the system (or, inherited,
    on the projects below a domain or project). Actor and
    target are polymorphic, as in Keystone: deleting one deletes its assignments in the
    same transaction (``records.delete_assignments``)."""

    __tablename__ = "identity_assignments"
    __table_args__ = (Index("ix_identity_assignments_target", "target_type", "target_id"),)

    actor_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    actor_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    target_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role_id: Mapped[str] = mapped_column(
        ForeignKey("identity_roles.id", ondelete="CASCADE"), primary_key=True)
    # OS-INHERIT: held not on the target itself but on every project below it.
    inherited: Mapped[bool] = mapped_column(Boolean, primary_key=True, default=False)


class Region(TimestampMixin, Base):
    __tablename__ = "identity_regions"

    id: Mapped[str] = mapped_column(String(255), primary_key=True, default=new_id)
    description: Mapped[str] = mapped_column(Text, default="")
    parent_region_id: Mapped[str | None] = mapped_column(
        ForeignKey("identity_regions.id"), nullable=True)


class Credential(TimestampMixin, Base):
    """Keystone's generic credential: an opaque blob of a type, owned by a user."""

    __tablename__ = "identity_credentials"

    id: Mapped[str] = _id_pk()
    user_id: Mapped[str] = mapped_column(
        ForeignKey("identity_users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(255))
    blob: Mapped[str] = mapped_column(Text)


class Service(TimestampMixin, Base):
    __tablename__ = "identity_services"

    id: Mapped[str] = _id_pk()
    type: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Endpoint(TimestampMixin, Base):
    __tablename__ = "identity_endpoints"
    __table_args__ = (UniqueConstraint("service_id", "interface", "region_id"),)

    id: Mapped[str] = _id_pk()
    service_id: Mapped[str] = mapped_column(
        ForeignKey("identity_services.id", ondelete="CASCADE"))
    interface: Mapped[str] = mapped_column(String(8))
    region_id: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class RevocationEvent(Base):
    """Tokens matching every non-null field and issued at or before ``issued_before`` are
    revoked. The increasing ``id`` lets other processes fetch only what is new."""

    __tablename__ = "identity_revocation_events"
    __table_args__ = (Index("ix_identity_revocation_events_revoked_at", "revoked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    audit_id: Mapped[str | None] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(64))
    project_id: Mapped[str | None] = mapped_column(String(64))
    issued_before: Mapped[datetime.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)


class Policy(TimestampMixin, Base):
    """Keystone's (deprecated) policy store: a blob of a type that services may fetch;
    Keystone enforces nothing from it, and neither does pocketstack."""

    __tablename__ = "identity_policies"

    id: Mapped[str] = _id_pk()
    type: Mapped[str] = mapped_column(String(255))
    blob: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict | None] = mapped_column(JSON, default=dict)


class ApplicationCredential(Base):
    """A user's delegation of some of its roles on one project to an application, which
    authenticates with the ID (or name) and a secret, kept as a hash only."""

    __tablename__ = "identity_application_credentials"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[str] = _id_pk()
    name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(
        ForeignKey("identity_users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("identity_projects.id", ondelete="CASCADE"))
    description: Mapped[str | None] = mapped_column(Text)
    secret_hash: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    unrestricted: Mapped[bool] = mapped_column(Boolean, default=False)
    role_ids: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
