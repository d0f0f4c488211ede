"""Issue 19's bounds, measured on the all-in-one (``pocketstack up``: every service and
the agent in one process): its memory while clients send a 2 GiB body to each service at
once (each answered 413 before its body is read), and the server list's ``name`` filter
with a catastrophic pattern — answered at once (400 where it cannot be evaluated within
bounds) while another client's requests keep being served.

    sudo .venv/bin/python bench/bench_hardening.py [--write]

Needs root and what ``pocketstack up`` needs (tools/install.sh). Uses its own state and
config dirs and a free port, and stops its cloud at the end. The servers it lists are
made with a flavor no host can hold (ERROR at once: no guest is booted).
"""
import argparse
import concurrent.futures
import os
import shutil
import socket
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from bench_allinone import Bench  # noqa: E402
from bench_image import RssSampler  # noqa: E402
from controller.cmd.allinone_files import load_secrets  # noqa: E402
from controller.cmd.allinone_process import running  # noqa: E402
from controller.cmd.allinone_setup import Api  # noqa: E402

import report  # noqa: E402

COMMAND = "sudo .venv/bin/python bench/bench_hardening.py --write"
GiB = 1024 ** 3
CHUNK = b"a" * (1024 * 1024)
# One JSON route per service (the image data upload streams by design: bench_image.py).
POSTS = [("identity (unauthenticated)", "/identity/v3/auth/tokens"),
         ("identity", "/identity/v3/projects"),
         ("compute", "/compute/v2.1/servers"),
         ("image", "/image/v2/images"),
         ("network", "/networking/v2.0/networks"),
         ("volume", "/volume/v3/volumes")]
SERVERS = 20
NAME = "a" * 28 + "!"        # (a+)+$ backtracks 2^28 ways on it in Python's re
FILTERS = [("(a+)+$", "catastrophic for a backtracking engine"),
           (r"(\w)\1", "a backreference RE2 cannot run"),
           ("(a{1,1000}){1,1000}", "a pattern past RE2's memory bound")]


def send_2_gib(port, path, token, chunked):
    """Send a 2 GiB body (announced, or chunked without a length) as fast as the server
    takes it; returns (status line, seconds to the answer, MiB sent by then)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    framing = ("Transfer-Encoding: chunked" if chunked else f"Content-Length: {2 * GiB}")
    sock.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                  f"X-Auth-Token: {token}\r\nContent-Type: application/json\r\n"
                  f"{framing}\r\n\r\n").encode())
    sent = [0]
    answered = threading.Event()

    def body():
        piece = (b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK)) if chunked else CHUNK
        try:
            while sent[0] < 2 * GiB and not answered.is_set():
                sock.sendall(piece)
                sent[0] += len(CHUNK)
        except OSError:
            pass                    # the server answered and closed

    started = time.monotonic()
    sender = threading.Thread(target=body, daemon=True)
    sender.start()
    data = b""
    try:
        while b"\r\n" not in data:
            more = sock.recv(65536)
            if not more:
                break
            data += more
    except OSError as exc:
        data = data or f"no answer: {exc}".encode()
    took = time.monotonic() - started
    answered.set()
    mib = sent[0] / 1024 ** 2
    sock.close()
    sender.join(timeout=30)
    return data.split(b"\r\n")[0].decode(errors="replace"), took, mib


def bodies(bench, pid, token, chunked):
    """Every service at once; the all-in-one's RSS before and at its highest."""
    with RssSampler(pid) as rss, concurrent.futures.ThreadPoolExecutor(len(POSTS)) as pool:
        results = list(pool.map(lambda route: send_2_gib(bench.port, route[1], token,
                                                         chunked), POSTS))
    return results, rss.before_kib / 1024, rss.peak_kib / 1024


class Background:
    """Another client listing flavors without pause; the latencies it saw meanwhile."""

    def __init__(self, api):
        self.api = api
        self.latencies = []
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        url = self.api.url("compute", "/flavors")
        while not self._stop.is_set():
            started = time.monotonic()
            resp = self.api.session.get(url, timeout=30)
            self.latencies.append(time.monotonic() - started)
            self.failures += resp.status_code != 200

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def name_filters(api):
    """Each filter's answer and time over SERVERS servers named NAME, and the other
    client's latencies while it ran."""
    flavor = api.post("compute", "/flavors", {"flavor": {
        "name": "bench-no-host", "ram": 4 * 1024 ** 2, "vcpus": 1, "disk": 1}},
        "create a flavor no host can hold")["flavor"]
    api.session.put(api.url("compute", f"/os-quota-sets/{api.project_id}"), timeout=30,
                    json={"quota_set": {"instances": -1, "cores": -1, "ram": -1}}
                    ).raise_for_status()
    image = api.get("image", "/v2/images", name="pocketstack-tiny")["images"][0]["id"]
    headers = {"OpenStack-API-Version": "compute 2.37"}
    resp = api.session.post(api.url("compute", "/servers"), timeout=60, headers=headers, json={
        "server": {"name": NAME, "imageRef": image, "flavorRef": flavor["id"],
                   "networks": "none", "min_count": SERVERS, "max_count": SERVERS}})
    if resp.status_code != 202:
        raise RuntimeError(f"could not create the servers: {resp.status_code} {resp.text}")
    rows = []
    for pattern, why in FILTERS:
        with Background(api) as other:
            time.sleep(1)
            started = time.monotonic()
            resp = api.session.get(api.url("compute", "/servers/detail"),
                                   params={"name": pattern}, timeout=60)
            took = time.monotonic() - started
            listed = len(resp.json().get("servers", [])) if resp.ok else 0
            time.sleep(1)
        rows.append((pattern, why, resp.status_code, took, listed,
                     max(other.latencies), len(other.latencies), other.failures))
    for server in api.get("compute", "/servers")["servers"]:
        api.session.delete(api.url("compute", f"/servers/{server['id']}"), timeout=30)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true",
                        help="write the tables into docs/benchmarks.md")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="pocketstack-bench-", dir="/var/tmp")
    os.chmod(workdir, 0o755)
    bench = Bench(workdir)
    try:
        bench.up()
        pid = running(bench.layout).pid
        time.sleep(5)
        admin = Api(f"http://127.0.0.1:{bench.port}", "admin",
                    load_secrets(bench.layout)["admin_password"], "admin")
        token = admin.session.headers["X-Auth-Token"]
        announced = bodies(bench, pid, token, chunked=False)
        chunked = bodies(bench, pid, token, chunked=True)
        filters = name_filters(admin)
    finally:
        if running(bench.layout):
            bench.down()
        shutil.rmtree(workdir, ignore_errors=True)

    lines = [f"{len(POSTS)} clients at once, each sending a 2 GiB body to one service's "
             "JSON route; RSS of the all-in-one process:", "",
             "| body | service | answer | answered after | sent by then |",
             "| --- | --- | --- | ---: | ---: |"]
    for framing, (results, _, _) in (("Content-Length", announced),
                                     ("chunked", chunked)):
        for (service, _), (status, took, mib) in zip(POSTS, results):
            lines.append(f"| {framing} | {service} | {status} | {took * 1000:.0f} ms "
                         f"| {mib:.0f} MiB |")
    lines += ["", "| body | RSS before | RSS at its highest |", "| --- | ---: | ---: |"]
    for framing, (_, before, peak) in (("Content-Length", announced),
                                       ("chunked", chunked)):
        lines.append(f"| {framing} | {before:.0f} MiB | {peak:.0f} MiB |")
    lines += ["", f"`GET /compute/v2.1/servers/detail?name=…` over {SERVERS} servers named "
              f"`{NAME}`, while another client lists flavors without pause:", "",
              "| name filter | what it is | answer | time | listed | other client: "
              "slowest / requests / failed |", "| --- | --- | --- | ---: | ---: | ---: |"]
    for pattern, why, status, took, listed, slowest, count, failed in filters:
        lines.append(f"| `{pattern}` | {why} | {status} | {took * 1000:.0f} ms | {listed} "
                     f"| {slowest * 1000:.0f} ms / {count} / {failed} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        report.write_section("## Hardening", f"`{COMMAND}`\n\n{table}")


if __name__ == "__main__":
    main()
