"""Options of the controller's database ([database])."""
from oslo_config import cfg

GROUP = "database"

database_opts = [
    cfg.StrOpt("connection", secret=True,
               help="SQLAlchemy URL of the controller's database, e.g. "
                    "postgresql://user:pass@db/pocketstack. Default: a SQLite file "
                    "(WAL mode) in state_path."),
]


def register_opts(conf):
    conf.register_opts(database_opts, group="database")


def list_opts():
    return [(GROUP, database_opts)]
