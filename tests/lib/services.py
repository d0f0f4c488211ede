"""Real RabbitMQ and PostgreSQL for tests that run pocketstack's services as separate
processes. There is no systemd here: each server is started if it is not running (bound
to loopback) and left running for other tests; every test run gets its own RabbitMQ
vhost and user and its own PostgreSQL database and role, dropped afterwards. A test
that restarts the broker runs a node of its own (``PrivateRabbitMQ``)."""
import contextlib
import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
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


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class PrivateRabbitMQ:
    """A RabbitMQ node of one test alone (its own name, ports and data directory, bound
    to loopback), which the test may stop and start again — a
    restart of the broker every other test shares would break theirs. The node runs
    as the ``rabbitmq`` user in a process group of its own: ``stop`` ends that group."""

    def __init__(self):
        # Not under pytest's temporary directory: the rabbitmq user cannot enter it.
        self.workdir = tempfile.mkdtemp(prefix="pocketstack-rabbitmq-")
        shutil.chown(self.workdir, "rabbitmq")
        plugins = os.path.join(self.workdir, "enabled_plugins")
        with open(plugins, "w") as f:
            f.write("[].\n")           # no management listener: it would take a port
        self.node = f"pstest-{secrets.token_hex(4)}@localhost"
        self.port, dist_port = _free_ports(2)
        self.user, self.password = "pocketstack", secrets.token_hex(12)
        self.env = {
            "HOME": "/var/lib/rabbitmq", "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(dist_port), "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_MNESIA_BASE": os.path.join(self.workdir, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(self.workdir, "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": plugins,
            "RABBITMQ_CONFIG_FILE": os.path.join(self.workdir, "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(self.workdir, "advanced.config"),
            "RABBITMQ_PID_FILE": os.path.join(self.workdir, "pid"),
            "ERL_CRASH_DUMP": os.path.join(self.workdir, "erl_crash.dump"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS":
                "-kernel inet_dist_use_interface {127,0,0,1}"}
        self.process = None

    @property
    def url(self):
        return f"rabbit://{self.user}:{self.password}@127.0.0.1:{self.port}/"

    def _as_rabbitmq(self, program, *args):
        env = " ".join(f"{key}={value}" for key, value in self.env.items()
                       if key != "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS")
        return ["runuser", "-u", "rabbitmq", "--", "env", *env.split(),
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="
                + self.env["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"],
                f"/usr/lib/rabbitmq/bin/{program}", *args]

    def ctl(self, *args):
        return _run(*self._as_rabbitmq("rabbitmqctl", "-n", self.node, *args), timeout=150)

    def start(self, timeout=180):
        """Start the node (again: its users and vhosts are kept) and wait until it
        serves AMQP."""
        with open(os.path.join(self.workdir, "server.out"), "a") as out:
            self.process = subprocess.Popen(self._as_rabbitmq("rabbitmq-server"),
                                            stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True, cwd=self.workdir)
        deadline = time.monotonic() + timeout
        while not _port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"RabbitMQ node {self.node} did not start; see "
                                   f"{self.workdir}")
            time.sleep(0.2)
        self.ctl("await_startup", "--timeout", str(timeout))

    def stop(self, timeout=60):
        """Stop the node (SIGTERM to its process group, SIGKILL after ``timeout``)."""
        if self.process is None:
            return
        group = self.process.pid
        try:
            os.killpg(group, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:       # the beam outlives the script a little
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            os.killpg(group, signal.SIGKILL)
        self.process = None

    def __enter__(self):
        self.start()
        try:
            self.ctl("add_user", self.user, self.password)
            self.ctl("set_permissions", "-p", "/", self.user, ".*", ".*", ".*")
            self.ctl("delete_user", "guest")
        except Exception:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info):
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
