"""The control plane at scale (a script, not a test): many simulated hosts, many servers.

Runs the services as the Ansible deployment does — the API, the conductor and the
scheduler each a process of its own, on RabbitMQ and PostgreSQL (a vhost and a database
of this run alone, dropped afterwards) — with ``--hosts`` simulated compute hosts: fake
driver agents, many per process, each host a real agent service with its own RPC
server and topic, heartbeats and capacity reports. Then creates ``--servers`` servers
through the compute API (``min_count`` batches from several client threads) and
measures:

* build throughput: servers per second from the first create request to the last
  server's ``launched_at`` (stamped when it turns ACTIVE);
* ``GET /servers/detail`` paged as clients page (``limit``/``marker``, following the
  ``servers_links``) with every server in one project: each page's latency;
* scheduling: the decisions (host chosen and claimed) per second over the build, the
  time each server waited in its scheduling step (the ``compute__schedule_instances``
  event, from the conductor asking to the claim recorded), and the scheduler's CPU per
  decision;
* CPU seconds of the API, the conductor, the scheduler, the agents, this run's
  PostgreSQL backends and RabbitMQ (the machine's broker, shared) over the build.

Several sizes in one run (``--hosts 250,500 --servers 2500,5000``) show how cost grows;
each size is a fresh deployment. Prints a table; ``--write`` puts it under
``## Scale`` in docs/benchmarks.md.

    /work/tools/heavy .venv/bin/python bench/bench_scale.py --hosts 1000 --servers 10000
"""
import argparse
import concurrent.futures
import json
import contextlib
import datetime
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

import requests
import sqlalchemy

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.conftest import ComputeSession  # noqa: E402
from tests.lib import services  # noqa: E402
from tests.lib.cloud import Cloud  # noqa: E402
from tests.lib.multiprocess import Processes, write_ini  # noqa: E402

import report  # noqa: E402

SECTION = "## Scale"
CLK_TCK = os.sysconf("SC_CLK_TCK")
MICROVERSION = "2.79"


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def cpu_seconds(pid):
    """User + system CPU seconds of process ``pid`` (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def pids_matching(text):
    """Processes whose command line contains ``text``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry))
    return found


class CpuMeter:
    """CPU seconds per role between ``start`` and ``stop``; processes found by a
    function (PostgreSQL backends come and go) are sampled every second, so one that
    exits in the window keeps what it used until its last sample."""

    def __init__(self, roles):
        self.roles = roles               # role → function returning its pids
        self._first, self._last = {}, {}
        self._stop = threading.Event()
        self._thread = None

    def _sample(self):
        for role, find in self.roles.items():
            for pid in find():
                used = cpu_seconds(pid)
                if used is None:
                    continue
                self._first.setdefault((role, pid), used)
                self._last[(role, pid)] = used

    def _run(self):
        while not self._stop.wait(1.0):
            self._sample()

    def start(self):
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join()
        self._sample()
        used = dict.fromkeys(self.roles, 0.0)
        for (role, pid), last in self._last.items():
            used[role] += last - self._first[(role, pid)]
        return used


def upload_image(cloud, api, workdir):
    path = os.path.join(workdir, "tiny.qcow2")
    subprocess.run(["qemu-img", "create", "-f", "qcow2", path, "10M"], check=True,
                   capture_output=True, timeout=60)
    headers = {"X-Auth-Token": api.token}
    images = cloud.url + "/image/v2/images"
    image = requests.post(images, headers=headers, timeout=60, json={
        "name": "tiny", "disk_format": "qcow2", "container_format": "bare"}).json()
    with open(path, "rb") as data:
        requests.put(f"{images}/{image['id']}/file", data=data, timeout=120, headers=dict(
            headers, **{"Content-Type": "application/octet-stream"})).raise_for_status()
    return image["id"]


@contextlib.contextmanager
def deployment(workdir, rabbit, database, hosts, hosts_per_process, report_interval):
    """The API (a ``Cloud``), the conductor and the scheduler, and agent processes of
    up to ``hosts_per_process`` simulated hosts each, named ``sim<p>-<i>``."""
    api = Cloud(os.path.join(workdir, "api"), roles=["api"], with_agent=False, conf={
        "DEFAULT": {"transport_url": rabbit, "host": "api-host", "debug": "false"},
        "database": {"connection": database},
        "quota": {"instances": "-1", "cores": "-1", "ram": "-1"}})
    processes = Processes(workdir)
    try:
        api.start(timeout=180)
        for role in ("conductor", "scheduler"):
            sections = {section: dict(values) for section, values in api.sections.items()}
            sections["DEFAULT"].update(host=f"{role}-host",
                                       log_file=os.path.join(workdir, f"{role}.log"))
            write_ini(os.path.join(workdir, f"{role}.conf"), sections)
            processes.start(role, "controller.cmd.controller",
                            os.path.join(workdir, f"{role}.conf"), "--roles", role)
        agent_processes = max(1, -(-hosts // hosts_per_process))
        for index in range(agent_processes):
            count = hosts // agent_processes + (index < hosts % agent_processes)
            name = f"sim{index}"
            write_ini(os.path.join(workdir, f"{name}.conf"), {
                "DEFAULT": {"host": name, "transport_url": rabbit, "debug": "false",
                            "state_path": os.path.join(workdir, name),
                            "log_file": os.path.join(workdir, f"{name}.log")},
                "agent": {"virt_driver": "fake", "fake_hosts": str(count),
                          "report_interval": str(report_interval)},
                "fake_driver": {"vcpus": "64", "memory_mb": "262144"}})
            processes.start(name, "agent.cmd", os.path.join(workdir, f"{name}.conf"))
        yield api, processes
    finally:
        processes.stop()
        api.stop()


def wait_for_hosts(session, processes, hosts, timeout):
    """Until ``hosts`` compute services are up, and the conductor and the scheduler."""
    deadline = time.monotonic() + timeout
    up = 0
    while time.monotonic() < deadline:
        processes.check_alive()
        listed = session.get("/os-services").json()["services"]
        up = sum(s["state"] == "up" for s in listed if s["binary"] == "nova-compute")
        controls = {s["binary"] for s in listed
                    if s["binary"] != "nova-compute" and s["state"] == "up"}
        if up >= hosts and {"nova-conductor", "nova-scheduler"} <= controls:
            return
        time.sleep(2)
    raise RuntimeError(f"only {up} of {hosts} hosts up after {timeout} s")


def create_servers(session, image_id, servers, batch, clients):
    """Send ``servers`` creates in ``min_count`` batches from ``clients`` threads;
    returns when every request is answered."""
    sizes = [batch] * (servers // batch) + ([servers % batch] if servers % batch else [])

    def create(index_and_size):
        index, size = index_and_size
        resp = session.post("/servers", {"server": {
            "name": f"scale-{index}", "imageRef": image_id, "flavorRef": "scale",
            "networks": "none", "min_count": size, "max_count": size}})
        if resp.status_code != 202:
            raise RuntimeError(f"create answered {resp.status_code}: {resp.text[:300]}")

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(create, enumerate(sizes)))


def wait_for_builds(session, timeout):
    """Until no server is in BUILD."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        building = session.get("/servers", params={"status": "BUILD", "limit": 1}).json()
        if not building["servers"]:
            return
        time.sleep(2)
    raise RuntimeError(f"servers still building after {timeout} s")


def page_through(session, page_size):
    """(latency of each page, servers seen) of one walk of ``/servers/detail``."""
    latencies, seen, params = [], 0, {"limit": page_size}
    while True:
        started = time.perf_counter()
        resp = session.get("/servers/detail", params=params)
        latencies.append(time.perf_counter() - started)
        resp.raise_for_status()
        body = resp.json()
        seen += len(body["servers"])
        if not body.get("servers_links"):
            return latencies, seen
        params = {"limit": page_size, "marker": body["servers"][-1]["id"]}


def build_figures(database):
    """From the database (read only, after the build): statuses, the scheduling
    events' times, and the span of ``launched_at``."""
    engine = sqlalchemy.create_engine(database)
    try:
        with engine.connect() as conn:
            statuses = dict(conn.execute(sqlalchemy.text(
                "SELECT vm_state, count(*) FROM instances WHERE deleted_at IS NULL "
                "GROUP BY vm_state")).all())
            events = conn.execute(sqlalchemy.text(
                "SELECT start_time, finish_time FROM instance_action_events "
                "WHERE event = 'compute__schedule_instances' AND result = 'Success'")).all()
            last_launch = conn.execute(sqlalchemy.text(
                "SELECT max(launched_at) FROM instances")).scalar()
    finally:
        engine.dispose()
    return statuses, events, last_launch


@contextlib.contextmanager
def broker(private):
    """(transport URL, text found in the broker's command line): a vhost of the
    machine's RabbitMQ, or with ``private`` a node of this run alone, which inherits
    this process's open-file limit — each simulated host holds a connection, and a
    broker started with the usual 1,024 files takes about 830."""
    if not private:
        with services.rabbitmq_vhost() as url:
            yield url, "beam.smp"
        return
    with _RoomyRabbitMQ() as node:
        yield node.url, node.node.split("@")[0]


class _RoomyRabbitMQ(services.PrivateRabbitMQ):
    """A private node whose open-file limit is this process's hard one (``runuser``
    sets the usual 1,024 again)."""

    def _as_rabbitmq(self, program, *args):
        command = super()._as_rabbitmq(program, *args)
        limit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        split = command.index("--") + 1
        return command[:split] + ["prlimit", f"--nofile={limit}:{limit}"] + command[split:]


def run_size(hosts, servers, args):
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as workdir, \
            broker(args.private_broker) as (rabbit, broker_process), \
            services.postgres_database() as database, \
            deployment(workdir, rabbit, database, hosts, args.hosts_per_process,
                       args.report_interval) as (
                cloud, processes):
        db_name = database.rsplit("/", 1)[1]
        session = ComputeSession(cloud, microversion=MICROVERSION)
        started = time.monotonic()
        wait_for_hosts(session, processes, hosts, timeout=args.start_timeout)
        hosts_up_seconds = time.monotonic() - started
        print(f"[{hosts} hosts] up in {hosts_up_seconds:.0f} s", file=sys.stderr)
        image_id = upload_image(cloud, session, workdir)
        session.post("/flavors", {"flavor": {"name": "scale", "id": "scale", "ram": 64,
                                             "vcpus": 1, "disk": 1}}).raise_for_status()
        meter = CpuMeter({
            "API": lambda: [cloud.process.pid],
            "conductor": lambda: [processes.running["conductor"].pid],
            "scheduler": lambda: [processes.running["scheduler"].pid],
            "agents": lambda: [p.pid for name, p in processes.running.items()
                               if name.startswith("sim")],
            "PostgreSQL": lambda: pids_matching(f": {db_name} {db_name} "),
            "RabbitMQ": lambda: pids_matching(broker_process)})
        idle = CpuMeter(meter.roles)
        idle.start()
        time.sleep(args.idle_seconds)
        idle_cpu = {role: used / args.idle_seconds for role, used in idle.stop().items()}
        meter.start()
        first_request = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        build_started = time.monotonic()
        create_servers(session, image_id, servers, args.batch, args.clients)
        requests_seconds = time.monotonic() - build_started
        wait_for_builds(session, timeout=args.build_timeout)
        cpu = meter.stop()
        statuses, events, last_launch = build_figures(database)
        build_seconds = (last_launch - first_request).total_seconds()
        latencies, seen = [], 0
        for _ in range(args.walks):
            walk, seen = page_through(session, args.page_size)
            latencies += walk
        processes.check_alive()
    waits = [(finish - start).total_seconds() for start, finish in events]
    scheduling_span = (max(f for _, f in events) - min(s for s, _ in events)
                       ).total_seconds() if events else float("nan")
    return {"hosts": hosts, "servers": servers, "load": load_before,
            "load_after": os.getloadavg()[0], "hosts_up_s": hosts_up_seconds,
            "active": statuses.get("active", 0), "error": statuses.get("error", 0),
            "requests_s": requests_seconds, "build_s": build_seconds,
            "throughput": statuses.get("active", 0) / build_seconds,
            "decisions": len(events), "decision_rate": len(events) / scheduling_span,
            "wait_p50": percentile(waits, 0.5), "wait_p95": percentile(waits, 0.95),
            "scheduler_ms": cpu["scheduler"] * 1000 / max(len(events), 1),
            "pages": len(latencies), "seen": seen,
            "page_p50": percentile(latencies, 0.5), "page_p95": percentile(latencies, 0.95),
            "walk_s": sum(latencies) / max(args.walks, 1),
            "cpu": cpu, "idle_cpu": idle_cpu}


CPU_ROLES = ("API", "conductor", "scheduler", "agents", "PostgreSQL", "RabbitMQ")


def table(results, args):
    lines = ["| hosts | servers | ACTIVE (ERROR) | build | servers/s | decisions/s "
             "| scheduling wait p50 / p95 | scheduler CPU per decision "
             f"| `/servers/detail` page of {args.page_size} p50 / p95 | full walk |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        lines.append(
            f"| {r['hosts']:,} | {r['servers']:,} | {r['active']:,} ({r['error']}) "
            f"| {r['build_s']:.0f} s | {r['throughput']:.1f} | {r['decision_rate']:.1f} "
            f"| {r['wait_p50'] * 1000:.0f} / {r['wait_p95'] * 1000:.0f} ms "
            f"| {r['scheduler_ms']:.1f} ms "
            f"| {r['page_p50'] * 1000:.0f} / {r['page_p95'] * 1000:.0f} ms "
            f"| {r['walk_s']:.1f} s |")
    lines += ["", "CPU seconds over the build (and, idle before it with every host "
              "reporting, CPU seconds per second):", "",
              "| hosts | servers | " + " | ".join(CPU_ROLES) + " |",
              "| ---: | ---: |" + " ---: |" * len(CPU_ROLES)]
    for r in results:
        lines.append(f"| {r['hosts']:,} | {r['servers']:,} | " + " | ".join(
            f"{r['cpu'][role]:.1f} s ({r['idle_cpu'][role]:.2f})" for role in CPU_ROLES)
            + " |")
    loads = ", ".join(f"{r['load']:.1f}→{r['load_after']:.1f}" for r in results)
    hosts_up = ", ".join(f"{r['hosts_up_s']:.0f} s" for r in results)
    lines += ["", f"Measured by `/work/tools/heavy .venv/bin/python bench/bench_scale.py "
              f"--hosts {args.hosts} --servers {args.servers}` ({datetime.date.today()}, "
              f"{os.cpu_count()} CPUs shared with other work; load average before→after "
              f"each size: {loads}; all hosts up after {hosts_up}). Each size is a fresh "
              f"deployment: API, conductor and scheduler processes on RabbitMQ and "
              f"PostgreSQL, agents of {args.hosts_per_process} simulated hosts per "
              f"process reporting every {args.report_interval} s; creates in batches of "
              f"{args.batch} (`min_count`) from {args.clients} client threads. "
              + ("RabbitMQ is a node of this run alone." if args.private_broker else
                 "RabbitMQ's CPU is the machine's broker, shared with other runs.")]
    return "\n".join(lines)


def integers(text):
    return [int(part) for part in text.split(",")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", default="1000", help="comma-separated sizes")
    parser.add_argument("--servers", default="10000", help="comma-separated, one per size")
    parser.add_argument("--hosts-per-process", type=int, default=125,
                        help="simulated hosts per agent process")
    parser.add_argument("--batch", type=int, default=50, help="servers per create request")
    parser.add_argument("--clients", type=int, default=4, help="client threads creating")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--walks", type=int, default=3, help="walks of /servers/detail")
    parser.add_argument("--report-interval", type=int, default=10,
                        help="the agents' [agent] report_interval")
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--start-timeout", type=float, default=600.0)
    parser.add_argument("--build-timeout", type=float, default=3600.0)
    parser.add_argument("--private-broker", action="store_true",
                        help="a RabbitMQ node of this run (with this process's open-file "
                             "limit) instead of a vhost of the machine's")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--write", action="store_true",
                        help="write the table under ## Scale in docs/benchmarks.md")
    args = parser.parse_args()
    sizes = list(zip(integers(args.hosts), integers(args.servers), strict=True))
    results = []
    for hosts, servers in sizes:
        results.append(run_size(hosts, servers, args))
        print(table(results, args), file=sys.stderr)
    text = table(results, args)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if args.write:
        report.write_section(SECTION, text)


if __name__ == "__main__":
    main()
