"""Alembic environment: runs online against the URL handed in by controller.db.migration."""
from alembic import context

from controller.db.base import Base
from controller.db.engine import make_engine


def run_migrations_online():
    url = context.config.attributes["url"]
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=url.startswith("sqlite"))
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
