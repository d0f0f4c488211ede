"""``pocketstack bootstrap``: the first admin, roles and the catalog, as
``keystone-manage bootstrap`` makes them. Safe to run again: it only adds what is missing,
re-enables the admin and resets the admin password and endpoint URLs to the given ones.
"""
import logging
import os

from oslo_config import cfg
from sqlalchemy import select

from controller import conf as conf_module
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

CLI_OPTS = [
    cfg.StrOpt("admin-password", required=True, secret=True,
               help="Password of the admin user."),
    cfg.StrOpt("admin-user", default="admin", help="Name of the admin user."),
    cfg.StrOpt("admin-project", default="admin", help="Name of the admin project."),
    cfg.StrOpt("region", default="RegionOne", help="Region of the catalog's endpoints."),
    cfg.StrOpt("public-url",
               help="Base URL of the APIs in the catalog; default: [api] public_url."),
]


def _get_or_create(session, model, defaults=None, **filters):
    row = session.scalar(select(model).filter_by(**filters))
    if row is None:
        row = model(**filters, **(defaults or {}))
        session.add(row)
        session.flush()
        LOG.info("created %s %s", model.__tablename__, filters)
    return row


def bootstrap(db, *, admin_password, admin_user="admin", admin_project="admin",
              region="RegionOne", public_url, hasher):
    with db.session() as session:
        domain = session.get(models.Domain, models.DEFAULT_DOMAIN_ID)
        if domain is None:
            domain = models.Domain(id=models.DEFAULT_DOMAIN_ID, name="Default",
                                   description="The default domain", enabled=True)
            session.add(domain)
            session.flush()
        project = _get_or_create(session, models.Project, {"description": "Bootstrap project"},
                                 name=admin_project, domain_id=domain.id)
        user = _get_or_create(session, models.User, name=admin_user, domain_id=domain.id)
        if not hasher.verify(user.password_hash, admin_password):
            if user.password_hash is not None:
                session.add(models.RevocationEvent(user_id=user.id,
                                                   issued_before=utcnow()))
            user.password_hash = hasher.hash(admin_password)
        user.enabled = True
        if user.default_project_id is None:
            user.default_project_id = project.id
        roles = [_get_or_create(session, models.Role, name=name) for name in ROLES]
        for prior, implied in zip(roles, roles[1:]):
            _get_or_create(session, models.ImpliedRole, prior_role_id=prior.id,
                           implied_role_id=implied.id)
        _get_or_create(session, models.RoleAssignment, user_id=user.id,
                       project_id=project.id, role_id=roles[0].id)
        for service_type, name, path in CATALOG:
            service = _get_or_create(session, models.Service, type=service_type, name=name)
            for interface in INTERFACES:
                endpoint = _get_or_create(session, models.Endpoint,
                                          {"url": public_url + path},
                                          service_id=service.id, interface=interface,
                                          region_id=region)
                endpoint.url = public_url + path


def main(argv):
    """``pocketstack bootstrap --admin-password X [...] --config-file F``."""
    from controller.cmd import common
    common.parse_config(argv, CLI_OPTS)
    common.setup_logging()
    conf = conf_module.CONF
    os.makedirs(conf.state_path, exist_ok=True)
    url = conf.database.connection or default_url(conf)
    migration.upgrade(url)
    if keys.from_conf(conf).initialize():
        LOG.info("created Fernet keys in %s", keys.repository_path(conf))
    db = Database(url)
    try:
        bootstrap(db, admin_password=conf.admin_password, admin_user=conf.admin_user,
                  admin_project=conf.admin_project, region=conf.region,
                  public_url=(conf.public_url or conf_module.public_url(conf)).rstrip("/"),
                  hasher=passwords.get_hasher(conf))
    finally:
        db.dispose()
    return 0
