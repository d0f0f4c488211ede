"""Alembic, driven from code: each service keeps its own branch of migrations.

A service's migrations live in ``controller/<service>/migrations/`` and its first revision
carries ``branch_labels = ("<service>",)``, so services add tables independently and
``upgrade`` brings every branch to its head.
"""
import os

from alembic import command
from alembic.config import Config

import controller

SERVICES_WITH_TABLES = ("identity", "image", "compute", "scheduler", "network", "volume")


def _version_locations():
    root = os.path.dirname(controller.__file__)
    locations = []
    for service in SERVICES_WITH_TABLES:
        path = os.path.join(root, service, "migrations")
        if os.path.isdir(path):
            locations.append(path)
    return locations


def alembic_config(url):
    cfg = Config()
    cfg.set_main_option("script_location", os.path.join(os.path.dirname(__file__), "migrations"))
    cfg.set_main_option("version_locations", " ".join(_version_locations()))
    cfg.set_main_option("path_separator", "space")
    cfg.attributes["url"] = url
    return cfg


def upgrade(url):
    """Bring the database at ``url`` to the newest schema of every service."""
    command.upgrade(alembic_config(url), "heads")


def main(argv):
    """``pocketstack db-sync --config-file F``."""
    from conf import groups_of
    from contract import service_startup
    from conf import CONF
    from controller.db.engine import default_url
    service_startup.parse_config(argv, groups_of("manage"))
    upgrade(CONF.database.connection or default_url(CONF))
    return 0
