"""create→ACTIVE of real guests in the all-in-one, without the ping stage of
bench_allinone.py, for any source tree (to compare a tree with an older one at the same load).

    sudo .venv/bin/python bench/bench_create_active.py [--tree DIR] [--rounds 5,10]

Uses ``bench/bench_allinone.py`` of the tree DIR (default: this checkout), so the cloud, its
`pocketstack up` and the guests are that tree's code: a fresh all-in-one, a first guest alone
(which also fills the image cache, so its figure includes the image download), then each round's
guests at once. Every guest polls ``GET /servers/{id}`` every 50 ms as bench_allinone.py does, and
keeps polling until every guest of its round is ACTIVE, so late guests build under the same
polling load. Guests are deleted after each round. When a slow host keeps a guest from answering
ping in bench_allinone.py's 300 s (which aborts that script), this one still gives create→ACTIVE.
"""
import argparse
import concurrent.futures
import importlib
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 300


def load_bench(tree):
    """bench_allinone of ``tree``, importing that tree's code ahead of this checkout's."""
    sys.path[:0] = [os.path.join(tree, "bench"), tree]
    return importlib.import_module("bench_allinone")


class Round:
    """Guests created at once; each keeps polling until all of them are ACTIVE or failed."""

    def __init__(self, api, refs, count):
        self.api, self.refs, self.count = api, refs, count
        self.lock = threading.Lock()
        self.settled = 0

    def settle(self):
        with self.lock:
            self.settled += 1

    def one(self, index):
        api = self.api
        started = time.monotonic()
        resp = api.session.post(api.url("compute", "/servers"), timeout=60, json={"server": {
            "name": f"active-{self.count}-{index}", "imageRef": self.refs["image"],
            "flavorRef": self.refs["flavor"], "networks": [{"uuid": self.refs["network"]}]}})
        resp.raise_for_status()
        server_id = resp.json()["server"]["id"]
        active = None
        while time.monotonic() - started < TIMEOUT:
            server = api.get("compute", f"/servers/{server_id}")["server"]
            if server["status"] == "ERROR":
                print(f"guest {index}: ERROR {str(server.get('fault'))[:300]}", flush=True)
                self.settle()
                return server_id, None
            if server["status"] == "ACTIVE" and active is None:
                active = time.monotonic() - started
                self.settle()
            if active is not None and self.settled >= self.count:
                break
            time.sleep(0.05)
        return server_id, active

    def run(self):
        with concurrent.futures.ThreadPoolExecutor(self.count) as pool:
            return list(pool.map(self.one, range(self.count)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", default=REPO, help="source tree to run (default: this one)")
    parser.add_argument("--rounds", default="5,10", help="guests per round, after the first")
    args = parser.parse_args()
    tree = os.path.abspath(args.tree)
    bench_allinone = load_bench(tree)
    workdir = tempfile.mkdtemp(prefix="pocketstack-bench-", dir="/var/tmp")
    os.chmod(workdir, 0o755)
    bench = bench_allinone.Bench(workdir)
    try:
        bench.up()
        api = bench.api()
        refs = bench_allinone.refs_of(api)
        for count in [1] + [int(n) for n in args.rounds.split(",")]:
            results = Round(api, refs, count).run()
            for server_id, _ in results:
                bench.delete_and_time(api, server_id)
            times = sorted(t * 1000 for _, t in results if t is not None)
            failed = count - len(times)
            summary = (f"p50 {statistics.median(times):.0f} ms max {max(times):.0f} ms"
                       if times else "no guest ACTIVE")
            print(f"{tree} {count} guests create→ACTIVE {summary} "
                  f"all {[round(t) for t in times]} ({failed} failed)", flush=True)
    finally:
        if bench_allinone.running_pid(bench.layout):
            bench.down()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
