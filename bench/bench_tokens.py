"""Token throughput of the identity service: issue/s and validate/s.

Starts a real cloud (identity only) with tests/lib/cloud.py and measures, over HTTP with
concurrent clients, ``POST /v3/auth/tokens`` (password, and token rescoping which skips
the password hash) and ``GET /v3/auth/tokens``; then, in this process with the cloud's
keys and database, the middleware's validation path without HTTP (uncached and cached).
Prints a table and writes it under ``## Identity`` in docs/benchmarks.md.

    .venv/bin/python bench/bench_tokens.py [--seconds 5] [--clients 4] [--no-write]
"""
import argparse
import concurrent.futures
import datetime
import os
import platform
import sys
import tempfile
import threading
import time

import requests

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from conf import CONF, groups_of, register  # noqa: E402
from controller.api.app import Runtime  # noqa: E402
from controller.api.auth import AuthMiddleware  # noqa: E402
from controller.db.engine import Database, default_url  # noqa: E402
from controller.identity.validation import make_validator  # noqa: E402
from tests.lib.cloud import ADMIN_PASSWORD, Cloud  # noqa: E402

import report  # noqa: E402

HEADING = "## Identity"


def password_body():
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": ADMIN_PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}


def token_body(token):
    return {"auth": {"identity": {"methods": ["token"], "token": {"id": token}},
                     "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}


def run_for(seconds, clients, operation):
    """Call ``operation(http)`` from ``clients`` threads for ``seconds``; calls per second."""
    deadline = time.monotonic() + seconds
    counts = [0] * clients

    def worker(index):
        http = requests.Session()
        while time.monotonic() < deadline:
            operation(http)
            counts[index] += 1

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(worker, i) for i in range(clients)]:
            future.result()
    return sum(counts) / (time.monotonic() - start)


def run_in_process(seconds, operation):
    deadline = time.monotonic() + seconds
    count = 0
    start = time.monotonic()
    while time.monotonic() < deadline:
        operation()
        count += 1
    return count / (time.monotonic() - start)


def measure(cloud, seconds, clients):
    url = cloud.auth_url + "/auth/tokens"

    def issue(http, body):
        resp = http.post(url, json=body, timeout=30)
        assert resp.status_code == 201, resp.text
        return resp.headers["X-Subject-Token"]

    admin = issue(requests, password_body())
    subjects = [issue(requests, password_body()) for _ in range(20)]
    picker = threading.local()

    def validate(http):
        picker.i = (getattr(picker, "i", 0) + 1) % len(subjects)
        resp = http.get(url, timeout=30, params={"nocatalog": "1"},
                        headers={"X-Auth-Token": admin, "X-Subject-Token": subjects[picker.i]})
        assert resp.status_code == 200, resp.text

    rows = [
        ("issue, password (argon2id)", "HTTP", clients,
         run_for(seconds, clients, lambda http: issue(http, password_body()))),
        ("issue, token (rescope)", "HTTP", clients,
         run_for(seconds, clients, lambda http: issue(http, token_body(admin)))),
        ("validate, GET /v3/auth/tokens", "HTTP", clients, run_for(seconds, clients, validate)),
    ]

    register(CONF, groups_of("api"))
    CONF(["--config-file", cloud.config_file], project="pocketstack", default_config_files=[])
    db = Database(CONF.database.connection or default_url(CONF))
    validator = make_validator(Runtime(conf=CONF, db=db), local=True)
    counter = iter(range(10 ** 9))
    rows.append(("validate, middleware uncached", "in-process", 1, run_in_process(
        seconds, lambda: validator.validate(subjects[next(counter) % len(subjects)]))))
    middleware = AuthMiddleware(validator, cache_seconds=5)
    rows.append(("validate, middleware cached", "in-process", 1, run_in_process(
        seconds, lambda: middleware.authenticate(subjects[next(counter) % len(subjects)]))))
    db.dispose()
    return rows


def table(rows):
    lines = ["| operation | path | clients | per second |", "| --- | --- | ---: | ---: |"]
    lines += [f"| {name} | {path} | {clients} | {rate:,.0f} |"
              for name, path, clients, rate in rows]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--no-write", action="store_true",
                        help="only print, do not update docs/benchmarks.md")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-tokens-") as workdir:
        cloud = Cloud(workdir, roles=["api"], with_agent=False,
                      conf={"DEFAULT": {"debug": "false"}})
        cloud.start()
        try:
            rows = measure(cloud, args.seconds, args.clients)
        finally:
            cloud.stop()
    result = table(rows)
    print(result)
    if not args.no_write:
        day = datetime.date.today().isoformat()
        report.write_section(
            HEADING, f"`.venv/bin/python bench/bench_tokens.py --seconds {args.seconds:g} "
            f"--clients {args.clients}` ({day}, {os.cpu_count()} CPUs, load average "
            f"{load_before:.1f} before the run, Python {platform.python_version()}; SQLite; "
            f"the clients share the cores with the controller). Issue costs one Argon2id hash (~40 ms of CPU) for a password; "
            f"validation opens the Fernet token and reads the user, project and roles from "
            f"the database; the middleware then reuses a validation for up to "
            f"`[api] token_cache_seconds`.\n\n{result}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
