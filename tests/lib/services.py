"""Real RabbitMQ and PostgreSQL for tests that run pocketstack's services as separate
processes. There is no systemd here: each server is started if it is not running (bound
to loopback) and left running for other tests; every test run gets its own RabbitMQ
vhost and user and its own PostgreSQL database and role, dropped afterwards."""
import contextlib
import fcntl
import os
import secrets
import shutil
import socket
import subprocess
import time

LOCK_FILE = "/tmp/pocketstack-test-services.lock"
RABBITMQ_PORT = 5672
# Loopback only: the broker, its Erlang port mapper and its distribution port.
RABBITMQ_ENV = {"RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "ERL_EPMD_ADDRESS": "127.0.0.1",
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS":
                    "-kernel inet_dist_use_interface {127,0,0,1}"}


def rabbitmq_installed():
    return shutil.which("rabbitmq-server") is not None


def _run(*cmd, timeout=120, env=None):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                            env=dict(os.environ, **(env or {})))
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}")
    return result.stdout


@contextlib.contextmanager
def _exclusive():
    """One test process at a time starts servers or changes their users."""
    with open(LOCK_FILE, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _port_open(port):
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def ensure_rabbitmq():
    if _port_open(RABBITMQ_PORT):
        return
    _run("rabbitmq-server", "-detached", env=RABBITMQ_ENV)
    deadline = time.monotonic() + 120
    while not _port_open(RABBITMQ_PORT):
        if time.monotonic() > deadline:
            raise RuntimeError("RabbitMQ did not start listening within 120 s; see "
                               "/var/log/rabbitmq/")
        time.sleep(0.5)
    _run("rabbitmqctl", "await_startup", "--timeout", "120", timeout=150)


@contextlib.contextmanager
def rabbitmq_vhost():
    """``rabbit://`` URL of a fresh vhost with its own user; both deleted afterwards."""
    name = "pocketstack-test-" + secrets.token_hex(4)
    password = secrets.token_hex(12)
    with _exclusive():
        ensure_rabbitmq()
        _run("rabbitmqctl", "add_vhost", name)
        _run("rabbitmqctl", "add_user", name, password)
        _run("rabbitmqctl", "set_permissions", "-p", name, name, ".*", ".*", ".*")
    try:
        yield f"rabbit://{name}:{password}@127.0.0.1:{RABBITMQ_PORT}/{name}"
    finally:
        with _exclusive():
            _run("rabbitmqctl", "delete_vhost", name)
            _run("rabbitmqctl", "delete_user", name)


def _postgres_cluster():
    """(version, name, port, status) of the first PostgreSQL cluster."""
    line = _run("pg_lsclusters", "--no-header").splitlines()[0].split()
    return line[0], line[1], int(line[2]), line[3]


def _psql(sql):
    return _run("runuser", "-u", "postgres", "--", "psql", "-v", "ON_ERROR_STOP=1",
                "-qAt", "-c", sql)


def ensure_postgres():
    version, name, port, status = _postgres_cluster()
    if status != "online":
        _run("pg_ctlcluster", version, name, "start")
        deadline = time.monotonic() + 60
        while not _port_open(port) and time.monotonic() < deadline:
            time.sleep(0.2)
    return port


@contextlib.contextmanager
def postgres_database():
    """SQLAlchemy URL of a fresh database owned by its own role; both dropped after."""
    name = "pocketstack_test_" + secrets.token_hex(4)
    password = secrets.token_hex(12)
    with _exclusive():
        port = ensure_postgres()
        _psql(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        _psql(f"CREATE DATABASE {name} OWNER {name}")
    try:
        yield f"postgresql+psycopg2://{name}:{password}@127.0.0.1:{port}/{name}"
    finally:
        with _exclusive():
            _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            _psql(f"DROP ROLE IF EXISTS {name}")
