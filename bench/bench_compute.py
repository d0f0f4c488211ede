"""Compute control plane speed with the fake virt driver (a script, not a test).

Starts an all-in-one cloud (SQLite, in-process messaging, one fake agent), then creates
servers through the HTTP API, one at a time and 10 at a time, and measures:

* create→ACTIVE: from sending ``POST /servers`` until the server is ACTIVE (its
  ``launched_at``, stamped in the same transaction; client and cloud share the clock);
* orchestration: a server's ``launched_at`` minus the start of its ``create`` action —
  from the API's record to the agent's report that the guest runs, through conductor,
  scheduler and claim.

Prints a table and writes it under ``## Compute control plane`` in docs/benchmarks.md.

    .venv/bin/python bench/bench_compute.py [--servers 40]
"""
import argparse
import concurrent.futures
import datetime
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.conftest import ComputeSession  # noqa: E402
from tests.lib.cloud import Cloud  # noqa: E402

import report  # noqa: E402

SECTION = "## Compute control plane"
TARGETS = {"create→ACTIVE": 0.5, "orchestration": 0.150}
# Clients poll for ACTIVE this often; the timings come from the server's timestamps, so
# polling only has to be frequent enough not to keep the benchmark waiting.
POLL_SECONDS = 0.2


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def parse_time(text):
    return datetime.datetime.fromisoformat(text)


def upload_image(cloud, api, workdir):
    import requests
    path = os.path.join(workdir, "tiny.qcow2")
    subprocess.run(["qemu-img", "create", "-f", "qcow2", path, "10M"], check=True,
                   capture_output=True)
    headers = {"X-Auth-Token": api.token}
    images = cloud.url + "/image/v2/images"
    image = requests.post(images, headers=headers, timeout=30, json={
        "name": "tiny", "disk_format": "qcow2", "container_format": "bare"}).json()
    with open(path, "rb") as data:
        requests.put(f"{images}/{image['id']}/file", data=data, timeout=60, headers=dict(
            headers, **{"Content-Type": "application/octet-stream"})).raise_for_status()
    return image["id"]


def create_and_wait(api, image_id, name):
    """(seconds from the request until ACTIVE, seconds of orchestration, server id)."""
    started = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    resp = api.post("/servers", {"server": {"name": name, "imageRef": image_id,
                                            "flavorRef": "bench", "networks": "none"}})
    resp.raise_for_status()
    server_id = resp.json()["server"]["id"]
    while True:
        server = api.get(f"/servers/{server_id}").json()["server"]
        if server["status"] != "BUILD":
            break
        time.sleep(POLL_SECONDS)
    if server["status"] != "ACTIVE":
        raise RuntimeError(f"server {name} ended {server['status']}: {server.get('fault')}")
    (action,) = api.get(f"/servers/{server_id}/os-instance-actions").json()[
        "instanceActions"]
    launched_at = parse_time(server["OS-SRV-USG:launched_at"])
    orchestration = (launched_at - parse_time(action["start_time"])).total_seconds()
    return (launched_at - started).total_seconds(), orchestration, server_id


def run(api, image_id, concurrency, count):
    """Latencies and orchestration times of ``count`` servers, ``concurrency`` at a time,
    and the wall time of the whole batch."""
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda i: create_and_wait(api, image_id, f"c{concurrency}-{i}"),
                                range(count)))
    wall = time.perf_counter() - started
    for _, _, server_id in results:
        api.delete(f"/servers/{server_id}")
    for _, _, server_id in results:
        api.wait_for_server(server_id, (None,))
    return [r[0] for r in results], [r[1] for r in results], wall


def table(rows):
    lines = ["| measure | concurrency | servers | p50 | p95 | target |",
             "| --- | --- | --- | --- | --- | --- |"]
    for measure, concurrency, values in rows:
        lines.append(f"| {measure} | {concurrency} | {len(values)} "
                     f"| {percentile(values, 0.5) * 1000:.0f} ms "
                     f"| {percentile(values, 0.95) * 1000:.0f} ms "
                     f"| ≤ {TARGETS[measure] * 1000:.0f} ms |")
    return "\n".join(lines)


def throughput_table(batches):
    lines = ["| concurrency | servers | wall time | servers/s | control plane per server |",
             "| --- | --- | --- | --- | --- |"]
    for concurrency, count, wall in batches:
        lines.append(f"| {concurrency} | {count} | {wall:.1f} s | {count / wall:.1f} "
                     f"| {wall / count * 1000:.0f} ms |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=40,
                        help="servers created per concurrency level")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-compute-") as workdir:
        cloud = Cloud(workdir, conf={"DEFAULT": {"debug": "false"},
                                     "quota": {"instances": "-1", "cores": "-1",
                                               "ram": "-1"}})
        cloud.start()
        try:
            api = ComputeSession(cloud)
            image_id = upload_image(cloud, api, workdir)
            api.post("/flavors", {"flavor": {"name": "bench", "id": "bench", "ram": 64,
                                             "vcpus": 1, "disk": 1}}).raise_for_status()
            run(api, image_id, 1, 3)   # warm up: connections, caches, first imports
            rows, throughput = [], []
            for concurrency in (1, 10):
                latencies, orchestration, wall = run(api, image_id, concurrency,
                                                     args.servers)
                rows += [("create→ACTIVE", concurrency, latencies),
                         ("orchestration", concurrency, orchestration)]
                throughput.append((concurrency, args.servers, wall))
        finally:
            cloud.stop()
    text = (table(rows) + "\n\n" + throughput_table(throughput) + "\n\nMeasured by `.venv/bin/python bench/bench_compute.py "
            f"--servers {args.servers}` ({datetime.date.today()}, {os.cpu_count()} CPUs "
            f"shared with other work, load average {load_before:.1f} before the run): "
            "all-in-one (SQLite, in-process messaging, "
            "one fake agent), the API driven over HTTP; create→ACTIVE runs from sending "
            "the request to the server's `launched_at`, orchestration is a server's `launched_at` minus "
            "the start of its create action (API → conductor → scheduler and claim → "
            "agent → ACTIVE); control plane per server is a batch's wall time divided by "
            "its servers (creates, polls and deletes included).")
    print(text)
    report.write_section(SECTION, text)


if __name__ == "__main__":
    main()
