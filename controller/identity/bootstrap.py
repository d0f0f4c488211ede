"""``pocketstack bootstrap``: the first admin, roles and the catalog, as
``keystone-manage bootstrap`` makes them, plus the agents' service user. Safe to run
again: it only adds what is missing, re-enables the admin and resets the admin password
and endpoint URLs to the given ones (and the service user's password, when given).
"""
import logging
import os
import secrets

from oslo_config import cfg
from sqlalchemy import select

from conf import CONF
from conf.api import public_url
from controller.db import migration
from controller.db.base import utcnow
from controller.db.engine import Database, default_url
from controller.identity import keys, models, passwords

LOG = logging.getLogger(__name__)

# The catalog: (service type, service name, path under the public URL).
CATALOG = (
    ("identity", "keystone", "/identity"),
    ("compute", "nova", "/compute/v2.1"),
    ("image", "glance", "/image"),
    ("network", "neutron", "/networking"),
    ("block-storage", "cinderv3", "/volume/v3"),
)
INTERFACES = ("public", "internal", "admin")

# Each role implies the next: admin ⊃ member ⊃ reader.
ROLES = ("admin", "member", "reader")

# The compute agents' own user: admin in its project, so that an agent can clean up ports
# no user's request covers (after a restart) and see every host's ports on a network.
SERVICE_USER = "pocketstack-agent"

CLI_OPTS = [
    cfg.StrOpt("admin-password", required=True, secret=True,
               help="Password of the admin user."),
    cfg.StrOpt("admin-user", default="admin", help="Name of the admin user."),
    cfg.StrOpt("admin-project", default="admin", help="Name of the admin project."),
    cfg.StrOpt("region", default="RegionOne", help="Region of the catalog's endpoints."),
    cfg.StrOpt("public-url",
               help="Base URL of the APIs in the catalog; default: [api] public_url."),
    cfg.StrOpt("service-password", secret=True,
               help="Password of the agents' service user ([service_credentials] "
                    f"username, default {SERVICE_USER}, in project [service_credentials] "
                    "project_name). Default: [service_credentials] password; with "
                    "neither, an existing user keeps its password and a new one gets a "
                    "generated one, printed for the agents' configuration."),
]


def _get_or_create(session, model, defaults=None, **filters):
    row = session.scalar(select(model).filter_by(**filters))
    if row is None:
        row = model(**filters, **(defaults or {}))
        session.add(row)
        session.flush()
        LOG.info("created %s %s", model.__tablename__, filters)
    return row


def _set_password(session, user, password, hasher):
    """Give ``user`` ``password``; tokens issued under another one are revoked."""
    if not hasher.verify(user.password_hash, password):
        if user.password_hash is not None:
            session.add(models.RevocationEvent(user_id=user.id, issued_before=utcnow()))
        user.password_hash = hasher.hash(password)


def _admin_of(session, domain, user_name, project_name, admin_role):
    """The enabled user ``user_name`` with the admin role on ``project_name``."""
    project = _get_or_create(session, models.Project, {"description": "Bootstrap project"},
                             name=project_name, domain_id=domain.id)
    user = _get_or_create(session, models.User, name=user_name, domain_id=domain.id)
    user.enabled = True
    if user.default_project_id is None:
        user.default_project_id = project.id
    _get_or_create(session, models.Assignment, actor_type="user", actor_id=user.id,
                   target_type="project", target_id=project.id, role_id=admin_role.id)
    return user


def bootstrap(db, *, admin_password, admin_user="admin", admin_project="admin",
              region="RegionOne", public_url, hasher, service_user=SERVICE_USER,
              service_project="service", service_password=None):
    """Returns the service user's password if it had to be generated, else None."""
    generated = None
    with db.session() as session:
        domain = session.get(models.Domain, models.DEFAULT_DOMAIN_ID)
        if domain is None:
            domain = models.Domain(id=models.DEFAULT_DOMAIN_ID, name="Default",
                                   description="The default domain", enabled=True)
            session.add(domain)
            session.flush()
        roles = [_get_or_create(session, models.Role, name=name) for name in ROLES]
        # As keystone-manage bootstrap makes it: the role of services' users.
        _get_or_create(session, models.Role, name="service")
        for prior, implied in zip(roles, roles[1:]):
            _get_or_create(session, models.ImpliedRole, prior_role_id=prior.id,
                           implied_role_id=implied.id)
        user = _admin_of(session, domain, admin_user, admin_project, roles[0])
        # As keystone-manage bootstrap: the cloud admin is admin on the system too.
        _get_or_create(session, models.Assignment, actor_type="user", actor_id=user.id,
                       target_type="system", target_id=models.SYSTEM_ID, role_id=roles[0].id)
        _set_password(session, user, admin_password, hasher)
        agent_user = _admin_of(session, domain, service_user, service_project, roles[0])
        if service_password is None and agent_user.password_hash is None:
            service_password = generated = secrets.token_urlsafe(18)
        if service_password is not None:
            _set_password(session, agent_user, service_password, hasher)
        _get_or_create(session, models.Region, {"description": ""}, id=region)
        for service_type, name, path in CATALOG:
            service = _get_or_create(session, models.Service, type=service_type, name=name)
            for interface in INTERFACES:
                endpoint = _get_or_create(session, models.Endpoint,
                                          {"url": public_url + path},
                                          service_id=service.id, interface=interface,
                                          region_id=region)
                endpoint.url = public_url + path
    return generated


def main(argv):
    """``pocketstack bootstrap --admin-password X [...] --config-file F``."""
    from conf import groups_of
    from contract import service_startup
    service_startup.parse_config(argv, groups_of("manage"), CLI_OPTS)
    service_startup.setup_logging()
    conf = CONF
    os.makedirs(conf.state_path, exist_ok=True)
    url = conf.database.connection or default_url(conf)
    migration.upgrade(url)
    if keys.from_conf(conf).initialize():
        LOG.info("created Fernet keys in %s", keys.repository_path(conf))
    db = Database(url)
    service = conf.service_credentials
    try:
        generated = bootstrap(
            db, admin_password=conf.admin_password, admin_user=conf.admin_user,
            admin_project=conf.admin_project, region=conf.region,
            public_url=(conf.public_url or public_url(conf)).rstrip("/"),
            hasher=passwords.get_hasher(conf),
            service_user=service.username or SERVICE_USER,
            service_project=service.project_name,
            service_password=conf.service_password or service.password)
    finally:
        db.dispose()
    if generated:
        print(f"Service user {service.username or SERVICE_USER} (project "
              f"{service.project_name}) has password {generated}\nPut it in the agents' "
              f"configuration as [service_credentials] username and password.")
    return 0
