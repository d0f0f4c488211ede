"""Engine and sessions: SQLite (WAL) by default, PostgreSQL or MySQL by URL."""
import contextlib
import os
import threading

import sqlalchemy
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker

from conf import CONF

SQLITE_TIMEOUT = 30  # seconds a transaction waits for its turn to write


def default_url(conf=CONF):
    return "sqlite:///" + os.path.join(conf.state_path, "pocketstack.sqlite")


def make_engine(url):
    if url.startswith("sqlite"):
        engine = sqlalchemy.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_TIMEOUT})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets readers run beside the one writer; foreign keys are off by default.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # Take the write lock at BEGIN so read-modify-write transactions serialise
            # instead of failing with "database is locked" on upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return sqlalchemy.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """One engine and session factory per process."""

    def __init__(self, url):
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time and every transaction here takes the write lock
        # (BEGIN IMMEDIATE): queue this process's threads on a lock instead of in SQLite's
        # busy handler, which sleeps up to 100 ms between tries.
        self._writer = threading.RLock() if url.startswith("sqlite") else None

    @contextlib.contextmanager
    def session(self):
        """A session in one transaction: committed on success, rolled back on error."""
        if self._writer is not None and not self._writer.acquire(timeout=SQLITE_TIMEOUT):
            raise TimeoutError(f"database is locked: no turn to write in {SQLITE_TIMEOUT} s")
        try:
            with self.sessionmaker() as session, session.begin():
                yield session
        finally:
            if self._writer is not None:
                self._writer.release()

    def dispose(self):
        self.engine.dispose()
