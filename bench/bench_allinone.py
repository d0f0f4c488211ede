"""The all-in-one as a user feels it: time of ``pocketstack up``, create→ACTIVE,
create→first console line and create→ping for 1, 5 and 10 concurrent guests, delete→gone,
and the idle memory of the control plane. Guest-boot time is shown apart from
pocketstack's own orchestration (everything up to ACTIVE: the domain is then running).

    sudo .venv/bin/python bench/bench_allinone.py [--rounds 1,5,10] [--write]

Needs root, libvirt and the tiny image (tools/install.sh). Uses its own state and
config dirs and a free port, and stops its cloud at the end.
"""
import argparse
import concurrent.futures
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from controller.cmd.allinone_files import Layout, load_secrets  # noqa: E402
from controller.cmd.allinone_process import running  # noqa: E402
from controller.cmd.allinone_setup import Api  # noqa: E402
from tests.lib.cloud import free_port  # noqa: E402

import report  # noqa: E402

COMMAND = "sudo .venv/bin/python bench/bench_allinone.py --write"


def pocketstack(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "controller.cmd.cli", *args],
                          cwd=REPO, capture_output=True, text=True, check=True, **kwargs)


def running_pid(layout):
    """The pid of the all-in-one running in ``layout``, or None."""
    record = running(layout)
    return record.pid if record else None


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Bench:
    def __init__(self, workdir):
        self.workdir = workdir
        self.dirs = ["--config-dir", os.path.join(workdir, "etc"),
                     "--state-path", os.path.join(workdir, "state")]
        self.port = free_port()
        self.layout = Layout(os.path.join(workdir, "etc"), os.path.join(workdir, "state"))

    def up(self):
        started = time.monotonic()
        pocketstack("up", *self.dirs, "--port", str(self.port), "--virt-type", "qemu",
                    "--clouds-yaml", os.path.join(self.workdir, "clouds.yaml"))
        return time.monotonic() - started

    def down(self):
        pocketstack("down", *self.dirs)

    def api(self):
        secrets = load_secrets(self.layout)
        return Api(f"http://127.0.0.1:{self.port}", "demo", secrets["demo_password"], "demo")

    def one_server(self, api, refs, index):
        """Timings of one guest, each from the moment its create was sent."""
        t0 = time.monotonic()
        resp = api.session.post(api.url("compute", "/servers"), timeout=60, json={"server": {
            "name": f"bench-{index}", "imageRef": refs["image"], "flavorRef": refs["flavor"],
            "networks": [{"uuid": refs["network"]}]}})
        resp.raise_for_status()
        server_id = resp.json()["server"]["id"]
        timings, address = {}, None
        deadline = t0 + 300
        while time.monotonic() < deadline:
            now = time.monotonic()
            if "active" not in timings:
                server = api.get("compute", f"/servers/{server_id}")["server"]
                if server["status"] == "ERROR":
                    raise RuntimeError(f"server {server_id} failed: {server.get('fault')}")
                if server["status"] == "ACTIVE":
                    timings["active"] = now - t0
                    address = next(a["addr"] for addrs in server["addresses"].values()
                                   for a in addrs)
            if "active" in timings and "console" not in timings:
                out = api.session.post(api.url("compute", f"/servers/{server_id}/action"),
                                       json={"os-getConsoleOutput": {"length": 5}},
                                       timeout=30).json()["output"]
                if out.strip():
                    timings["console"] = now - t0
            if "console" in timings and "ping" not in timings:
                ping = subprocess.run(["ip", "netns", "exec", f"qdhcp-{refs['network']}",
                                       "ping", "-c", "1", "-W", "1", address],
                                      capture_output=True)
                if ping.returncode == 0:
                    timings["ping"] = time.monotonic() - t0
                    break
            time.sleep(0.05)
        else:
            console = api.session.post(api.url("compute", f"/servers/{server_id}/action"),
                                       json={"os-getConsoleOutput": {"length": 40}},
                                       timeout=30).json().get("output", "")
            raise RuntimeError(f"server {server_id} ({address}) did not answer ping in time: "
                               f"{timings}\n--- its console ---\n{console}")
        return server_id, timings

    def delete_and_time(self, api, server_id):
        t0 = time.monotonic()
        api.delete("compute", f"/servers/{server_id}")
        while api.session.get(api.url("compute", f"/servers/{server_id}"),
                              timeout=30).status_code != 404:
            time.sleep(0.05)
        return time.monotonic() - t0


def refs_of(api):
    image = api.get("image", "/v2/images", name="pocketstack-tiny")["images"][0]["id"]
    flavor = next(f["id"] for f in api.get("compute", "/flavors")["flavors"]
                  if f["name"] == "m1.nano")
    network = api.get("network", "/v2.0/networks", name="private")["networks"][0]["id"]
    return {"image": image, "flavor": flavor, "network": network}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", default="1,5,10")
    parser.add_argument("--write", action="store_true",
                        help="write the table into docs/benchmarks.md")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="pocketstack-bench-", dir="/var/tmp")
    os.chmod(workdir, 0o755)
    bench = Bench(workdir)
    lines = []
    try:
        first_up = bench.up()
        pid = running(bench.layout).pid
        time.sleep(5)
        idle_rss = rss_mib(pid)
        api = bench.api()
        refs = refs_of(api)
        # The first build fills the image cache; it goes before the rounds, which may use
        # all of the demo project's quota (10 instances).
        warm_id, _ = bench.one_server(api, refs, "warm")
        bench.delete_and_time(api, warm_id)
        rows = []
        deletes = []
        busy_rss = {}
        for count in (int(n) for n in args.rounds.split(",")):
            with concurrent.futures.ThreadPoolExecutor(count) as pool:
                results = list(pool.map(lambda i: bench.one_server(api, refs, i),
                                        range(count)))
            busy_rss[count] = rss_mib(pid)     # every guest of the round answers ping
            for server_id, _ in results:
                deletes.append(bench.delete_and_time(api, server_id))
            timings = [t for _, t in results]
            rows.append((count, timings))
        for server in api.get("compute", "/servers")["servers"]:
            bench.delete_and_time(api, server["id"])
        bench.down()
        restart_up = bench.up()
        bench.down()
    finally:
        if running(bench.layout):
            bench.down()
        shutil.rmtree(workdir, ignore_errors=True)

    def p(values, fraction):
        return f"{percentile(values, fraction) * 1000:.0f}"

    lines.append("| concurrent guests | create→ACTIVE p50 / p95 ms | create→first console "
                 "line p50 / p95 ms | create→ping p50 / p95 ms | guest boot share (ACTIVE→"
                 "ping) p50 ms |")
    lines.append("| ---: | ---: | ---: | ---: | ---: |")
    for count, timings in rows:
        active = [t["active"] for t in timings]
        console = [t["console"] for t in timings]
        ping = [t["ping"] for t in timings]
        boot = [t["ping"] - t["active"] for t in timings]
        lines.append(f"| {count} | {p(active, .5)} / {p(active, .95)} | {p(console, .5)} / "
                     f"{p(console, .95)} | {p(ping, .5)} / {p(ping, .95)} | "
                     f"{statistics.median(boot) * 1000:.0f} |")
    lines.append("")
    lines.append("| measure | value |")
    lines.append("| --- | ---: |")
    lines.append(f"| delete→gone p50 / p95 | {p(deletes, .5)} / {p(deletes, .95)} ms |")
    lines.append(f"| idle RSS of the all-in-one (controller services + agent, one process) "
                 f"| {idle_rss:.0f} MiB |")
    for count, rss in busy_rss.items():
        lines.append(f"| RSS of the all-in-one with {count} running guests | {rss:.0f} MiB |")
    lines.append(f"| `pocketstack up`, first time (config, bootstrap, image upload) "
                 f"| {first_up:.1f} s |")
    lines.append(f"| `pocketstack up` from stopped | {restart_up:.1f} s |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        report.write_section(
            "## All-in-one", f"`{COMMAND}` — guests are `m1.nano` (128 MB) booting the "
            f"tiny image under plain QEMU (TCG), with a cached image.\n\n{table}")


if __name__ == "__main__":
    main()
