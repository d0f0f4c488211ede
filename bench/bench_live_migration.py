"""Live-migration downtime and total time between the lab's two compute hosts.

The lab of tests/lab (a controller that routes, two compute hosts with their own
libvirtds and storage, on one machine, in namespaces) is deployed by ansible/site.yml;
a tiny guest (m1.nano-like: 128 MB, TCG) with a floating IP moves back and forth with
the stock ``openstack server migrate --live-migration --wait`` (block migration: no
shared storage), idle and then busy writing memory (a loop of ``dd`` into /dev/shm).
For each move: the CLI's wall time, libvirt's "Time elapsed" and "Total downtime" of
the job (``virsh domjobinfo --completed`` on the destination), and the pings lost by a
namespace pinging the floating IP every 10 ms (lost × 10 ms bounds the downtime as the
network sees it, the router relearning the guest's host included).

    /work/tools/heavy .venv/bin/python bench/bench_live_migration.py [--rounds 3] [--write]
"""
import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, REPO)
sys.path.insert(0, BENCH)

import report  # noqa: E402
from tests.lab import live_migration as lab_live  # noqa: E402
from tests.lab.lab import Lab  # noqa: E402

HEADING = "## Live migration"
PING_INTERVAL = 0.01
TINY_IMAGE = Path(REPO) / "images" / "build" / "pocketstack-tiny.qcow2"
BUSY = ("nohup sh -c 'while true; do dd if=/dev/zero of=/dev/shm/busy bs=1M count=48 "
        "2>/dev/null; done' >/dev/null 2>&1 &")


def move(deployment, guest):
    """One live migration to the other compute host: its figures."""
    source = guest.host()
    dest = "compute2" if source == "compute1" else "compute1"
    pinger = lab_live.Pinger(guest, PING_INTERVAL)
    time.sleep(2)
    seconds = guest.live_migrate("--host", dest)
    time.sleep(2)
    sent, answered = pinger.stop()
    job = lab_live.completed_job(deployment.lab.hosts[dest], guest.server["id"])
    assert guest.host() == dest
    return {"cli_s": seconds, "elapsed_ms": job.get("Time elapsed"),
            "downtime_ms": job.get("Total downtime"),
            "lost_ms": (sent - answered) * PING_INTERVAL * 1000}


def median(rows, key):
    values = [row[key] for row in rows if row[key] is not None]
    return f"{statistics.median(values):.0f}" if values else "n/a"


def table(results):
    lines = ["| guest | moves | CLI `--wait` s | libvirt elapsed ms | libvirt downtime ms "
             "| pings lost × 10 ms |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for state, rows in results.items():
        lines.append(f"| {state} | {len(rows)} | "
                     f"{statistics.median(r['cli_s'] for r in rows):.1f} | "
                     f"{median(rows, 'elapsed_ms')} | {median(rows, 'downtime_ms')} | "
                     f"{median(rows, 'lost_ms')} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="moves per guest state")
    parser.add_argument("--write", action="store_true",
                        help="write the table into docs/benchmarks.md")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="pocketstack-live-bench-", dir="/var/tmp"))
    results = {"idle": [], "writing memory": []}
    with Lab(workdir / "lab", lab_live.HOSTS) as lab:
        deployment = lab_live.deploy(lab, workdir)
        guest = lab_live.Guest(deployment, TINY_IMAGE, workdir, "bench-vm", "compute1")
        try:
            for state, rows in results.items():
                if state != "idle":
                    guest.ssh(BUSY)
                for _ in range(args.rounds):
                    rows.append(move(deployment, guest))
                    print(state, rows[-1], flush=True)
        finally:
            guest.remove()
    load_after = os.getloadavg()[0]
    body = (f"`/work/tools/heavy .venv/bin/python bench/bench_live_migration.py --rounds "
            f"{args.rounds}` ({datetime.date.today()}, 2 CPUs shared with other work, "
            f"load average {load_before:.1f} before and {load_after:.1f} after). The lab "
            f"of tests/lab deployed by ansible/site.yml; a 128 MB TCG guest moved between "
            f"its two compute hosts by the stock CLI (block migration of its overlay); "
            f"medians.\n\n" + table(results))
    print(body)
    if args.write:
        report.write_section(HEADING, body)


if __name__ == "__main__":
    main()
