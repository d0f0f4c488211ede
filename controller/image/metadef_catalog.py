"""``pocketstack metadefs-load``: load a catalog of metadata definition namespaces from
JSON files, as ``glance-manage db load_metadefs`` does (one namespace per file, in the
format of ``GET /v2/metadefs/namespaces/{namespace}``).

The catalog pocketstack ships (``controller/image/metadefs/``) describes the image
properties pocketstack itself reads, so ``openstack image metadef namespace list`` shows
what a user can set. A namespace that exists already is left as it is.
"""
import json
import logging
import os

from oslo_config import cfg

from conf import CONF
from controller.api import errors
from controller.db.engine import Database, default_url
from controller.image import metadef_schemas
from controller.image.metadef_namespaces import insert_namespace, namespace_exists

LOG = logging.getLogger(__name__)
CATALOG_DIR = os.path.join(os.path.dirname(__file__), "metadefs")
CLI_OPTS = [
    cfg.StrOpt("path", default=CATALOG_DIR,
               help="Directory of the *.json namespace files; default: pocketstack's."),
]


class CatalogError(ValueError):
    """A catalog file is not a valid namespace; the message names the file."""


def read_catalog(directory=CATALOG_DIR):
    """(file name, namespace document) of each ``*.json`` in ``directory``, validated."""
    schema = metadef_schemas.namespace_schema()
    catalog = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            try:
                document = json.load(f)
                metadef_schemas.validate(schema, document)
            except ValueError as exc:
                raise CatalogError(f"{name}: {exc}")
        catalog.append((name, document))
    return catalog


def load(db, directory=CATALOG_DIR):
    """Create each namespace of the catalog that does not exist yet; their names."""
    created = []
    for file_name, document in read_catalog(directory):
        name = document["namespace"]
        with db.session() as session:
            if namespace_exists(session, name):
                LOG.info("metadata definition namespace %s exists; left as it is", name)
                continue
            try:
                insert_namespace(session, document, document.get("owner") or "admin")
            except errors.ApiError as exc:
                raise CatalogError(f"{file_name}: {exc}")
        created.append(name)
    return created


def main(argv):
    """``pocketstack metadefs-load [--path DIR] --config-file F``."""
    from conf import groups_of
    from contract import service_startup
    service_startup.parse_config(argv, groups_of("manage"), CLI_OPTS)
    service_startup.setup_logging()
    db = Database(CONF.database.connection or default_url(CONF))
    try:
        created = load(db, CONF.path)
    except CatalogError as exc:
        print(f"pocketstack metadefs-load: {exc}")
        return 1
    finally:
        db.dispose()
    for name in created:
        print(f"loaded metadata definition namespace {name}")
    return 0
