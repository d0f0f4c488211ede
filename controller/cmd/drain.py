"""``pocketstack host drain HOST``: empty a compute host for maintenance through the
compute API, as an operator would by hand: the host's compute service is disabled (no
new server lands there), then every server on it moves to another host, one at a time,
with its progress printed: a running (or paused) server is live-migrated (the
scheduler's choice, block migration unless the hosts share storage); a stopped one, or
one whose live migration failed, is cold-migrated and confirmed. Servers in a state
that cannot move (building, in error, mid-action) are listed and left; the exit status
says whether the host is empty.

Credentials are the stock clients' ``OS_*`` variables (an admin's: moving servers and
disabling services are admin actions).
"""
import argparse
import os
import sys
import time

import requests

MICROVERSION = "compute 2.56"
MOVABLE = ("ACTIVE", "SHUTOFF", "PAUSED")
LIVE = ("ACTIVE", "PAUSED")


class DrainError(Exception):
    pass


class Compute:
    """The compute API with a token from ``OS_*``."""

    def __init__(self, env, timeout=30):
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": env["OS_USERNAME"], "password": env["OS_PASSWORD"],
            "domain": {"name": env.get("OS_USER_DOMAIN_NAME", "Default")}}}},
            "scope": {"project": {"name": env["OS_PROJECT_NAME"], "domain": {
                "name": env.get("OS_PROJECT_DOMAIN_NAME", "Default")}}}}}
        auth_url = env["OS_AUTH_URL"].rstrip("/")
        resp = requests.post(f"{auth_url}/auth/tokens", json=body, timeout=timeout)
        if resp.status_code != 201:
            raise DrainError(f"authentication failed ({resp.status_code}): {resp.text}")
        catalog = resp.json()["token"]["catalog"]
        interface = env.get("OS_INTERFACE", "public")
        self.base = next(endpoint["url"] for service in catalog
                         if service["type"] == "compute"
                         for endpoint in service["endpoints"]
                         if endpoint["interface"] == interface).rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"X-Auth-Token": resp.headers["X-Subject-Token"],
                                     "OpenStack-API-Version": MICROVERSION})
        self.timeout = timeout

    def call(self, method, path, body=None, ok=(200, 202, 204)):
        resp = self.session.request(method, self.base + path, json=body,
                                    timeout=self.timeout)
        if resp.status_code not in ok:
            raise DrainError(f"{method} {path}: {resp.status_code} {resp.text}")
        return resp.json() if resp.content else None

    def wait(self, server_id, statuses, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            server = self.call("GET", f"/servers/{server_id}")["server"]
            if server["status"] in statuses:
                return server
            if server["status"] == "ERROR":
                raise DrainError(f"server {server_id} went to ERROR")
            time.sleep(1)
        raise DrainError(f"server {server_id} did not reach {'/'.join(statuses)} in "
                         f"{seconds} s")


def drain(compute, host, timeout, out=sys.stdout):
    """Disable ``host`` and move its servers off; returns the servers left there."""
    services = [s for s in compute.call("GET", "/os-services")["services"]
                if s["host"] == host and s["binary"] == "nova-compute"]
    if not services:
        raise DrainError(f"no compute service on host {host}")
    compute.call("PUT", f"/os-services/{services[0]['id']}",
                 {"status": "disabled", "disabled_reason": "drained by pocketstack"})
    print(f"host {host}: compute service disabled", file=out)
    servers = compute.call("GET", "/servers/detail?all_tenants=1&host=" + host)["servers"]
    left = []
    for index, server in enumerate(servers, 1):
        name = f"[{index}/{len(servers)}] {server['name']} ({server['id']})"
        if server["status"] not in MOVABLE or server["OS-EXT-STS:task_state"]:
            print(f"{name}: left, {server['status']} cannot move", file=out)
            left.append(server["id"])
            continue
        started = time.monotonic()
        try:
            how, moved = _move(compute, server, host, timeout, name, out)
        except DrainError as exc:
            print(f"{name}: failed: {exc}", file=out)
            left.append(server["id"])
            continue
        print(f"{name}: {how} to {moved['OS-EXT-SRV-ATTR:host']} in "
              f"{time.monotonic() - started:.1f} s", file=out)
    return left


def _move(compute, server, host, timeout, name, out):
    """Live-migrate the server if it runs, else (or if that fails) cold-migrate it:
    ("live-migrated" or "cold-migrated", the server where it is now)."""
    path = f"/servers/{server['id']}/action"
    if server["status"] in LIVE:
        compute.call("POST", path, {"os-migrateLive": {"host": None,
                                                       "block_migration": "auto"}})
        moved = compute.wait(server["id"], (server["status"],), timeout)
        if moved["OS-EXT-SRV-ATTR:host"] != host:
            return "live-migrated", moved
        if server["status"] != "ACTIVE":
            raise DrainError("its live migration failed")
        print(f"{name}: live migration failed, cold-migrating", file=out)
    compute.call("POST", path, {"migrate": None})
    moved = compute.wait(server["id"], ("VERIFY_RESIZE",), timeout)
    compute.call("POST", path, {"confirmResize": None})
    compute.wait(server["id"], (server["status"],), timeout)
    return "cold-migrated", moved


def main(argv):
    parser = argparse.ArgumentParser(prog="pocketstack host",
                                     description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    drain_parser = sub.add_parser("drain", help="disable a host and move its servers off")
    drain_parser.add_argument("host")
    drain_parser.add_argument("--timeout", type=int, default=600,
                              help="seconds each server may take to move")
    args = parser.parse_args(argv)
    try:
        compute = Compute(os.environ)
        left = drain(compute, args.host, args.timeout)
    except (DrainError, KeyError, StopIteration, requests.RequestException) as exc:
        print(f"pocketstack host drain: {exc!r}", file=sys.stderr)
        return 1
    if left:
        print(f"host {args.host}: {len(left)} server(s) left", file=sys.stderr)
        return 1
    print(f"host {args.host}: empty")
    return 0
