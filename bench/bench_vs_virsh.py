"""pocketstack against the hypervisor floor, side by side in one run (a script, not a
test): create→ACTIVE as a client sees it (``POST /servers`` until a ``GET`` says ACTIVE)
against ``virsh create`` of the very same domain XML on a fresh qcow2 overlay of the same
cached base image, and delete→gone (``DELETE`` until a ``GET`` answers 404) against
``virsh destroy`` of that domain; for 1 and for 10 concurrent guests, the rounds
interleaved (pocketstack, virsh, pocketstack, ...) so both see the same machine.

The domain XML is the one pocketstack defined for a first (warm-up) server: the same
devices, disks, config drive and bridge; only the name, UUID, MAC addresses, tap names
and file paths differ. The overlay is made before the timed ``virsh create`` (the floor
is the hypervisor's own start-up). Also prints the all-in-one's RSS while 10 guests run.

    sudo .venv/bin/python bench/bench_vs_virsh.py [--repeat 3] [--write]

Needs root, libvirt and the tiny image (tools/install.sh); starts a throwaway all-in-one
in its own directories (as bench_allinone.py) and removes it at the end.
"""
import argparse
import concurrent.futures
import datetime
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid as uuidlib
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

import report  # noqa: E402
from bench_allinone import Bench, free_port, refs_of, rss_mib, running_pid  # noqa: E402

SECTION = "## Against the hypervisor"
COMMAND = "sudo .venv/bin/python bench/bench_vs_virsh.py --write"
POLL_SECONDS = 0.02
VIRSH_PREFIX = "benchvirsh-"


def virsh(*args):
    return subprocess.run(["virsh", "-q", "-c", "qemu:///system", *args], check=True,
                          capture_output=True, text=True).stdout


def timed(function, *args):
    started = time.monotonic()
    function(*args)
    return time.monotonic() - started


class PocketstackGuests:
    def __init__(self, api, refs):
        self.api = api
        self.refs = refs

    def create(self, name):
        """Seconds from sending the create until a GET shows ACTIVE, and the id."""
        api = self.api
        started = time.monotonic()
        resp = api.session.post(api.url("compute", "/servers"), timeout=60, json={
            "server": {"name": name, "imageRef": self.refs["image"],
                       "flavorRef": self.refs["flavor"],
                       "networks": [{"uuid": self.refs["network"]}]}})
        resp.raise_for_status()
        server_id = resp.json()["server"]["id"]
        while True:
            server = api.get("compute", f"/servers/{server_id}")["server"]
            if server["status"] == "ACTIVE":
                return time.monotonic() - started, server_id
            if server["status"] == "ERROR":
                raise RuntimeError(f"{name} failed: {server.get('fault')}")
            time.sleep(POLL_SECONDS)

    def delete(self, server_id):
        """Seconds from sending the delete until a GET answers 404."""
        api = self.api
        started = time.monotonic()
        api.delete("compute", f"/servers/{server_id}")
        while api.session.get(api.url("compute", f"/servers/{server_id}"),
                              timeout=30).status_code != 404:
            time.sleep(POLL_SECONDS)
        return time.monotonic() - started


class VirshGuests:
    """Guests of the template domain XML, each with a fresh overlay on the same base."""

    def __init__(self, template_xml, workdir):
        self.template = ET.fromstring(template_xml)
        self.workdir = workdir
        root = self.template.find("devices/disk/source[@file]")
        self.root_disk = root.get("file")
        info = subprocess.run(["qemu-img", "info", "-U", "--output=json", self.root_disk],
                              check=True, capture_output=True, text=True).stdout
        import json
        info = json.loads(info)
        self.base = info["full-backing-filename"]
        self.base_format = info.get("backing-filename-format", "qcow2")
        self.size = str(info["virtual-size"])
        # The other file disks (config drive): copied once, then once per guest.
        self.extra_disks = {}
        for source in self.template.findall("devices/disk/source[@file]"):
            path = source.get("file")
            if path != self.root_disk:
                copy = os.path.join(workdir, "template-" + os.path.basename(path))
                shutil.copy(path, copy)
                self.extra_disks[path] = copy

    def prepare(self, name):
        """The guest's directory, overlay and XML (untimed); returns the XML's path."""
        guest_dir = os.path.join(self.workdir, name)
        os.makedirs(guest_dir, exist_ok=True)
        os.chmod(guest_dir, 0o755)
        xml = ET.fromstring(ET.tostring(self.template))
        xml.find("name").text = VIRSH_PREFIX + name
        xml.find("uuid").text = str(uuidlib.uuid4())
        for source in xml.findall("devices/disk/source[@file]"):
            path = source.get("file")
            target = os.path.join(guest_dir, os.path.basename(path))
            if path == self.root_disk:
                subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F",
                                self.base_format, "-b", self.base, target, self.size],
                               check=True)
            else:
                shutil.copy(self.extra_disks[path], target)
            source.set("file", target)
        # The serial console listens on a TCP port of its own (one per guest at once).
        port = str(free_port())
        for source in xml.findall("devices/*/source[@service]"):
            source.set("service", port)
        for log in xml.findall("devices/serial/log"):
            log.set("file", os.path.join(guest_dir, "console.log"))
        for interface in xml.findall("devices/interface"):
            interface.find("mac").set("address", "fa:16:3f:%02x:%02x:%02x" % tuple(
                random.randrange(256) for _ in range(3)))
            target = interface.find("target")
            if target is not None:
                interface.remove(target)
        path = os.path.join(guest_dir, "domain.xml")
        with open(path, "wb") as f:
            f.write(ET.tostring(xml))
        return path

    def create(self, xml_path):
        return timed(virsh, "create", xml_path)

    def destroy(self, name):
        return timed(virsh, "destroy", VIRSH_PREFIX + name)

    def remove(self, name):
        shutil.rmtree(os.path.join(self.workdir, name), ignore_errors=True)


def in_parallel(function, items):
    items = list(items)
    with concurrent.futures.ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(function, items))


def leftover_virsh_domains():
    names = virsh("list", "--all", "--name").split()
    for name in names:
        if name.startswith(VIRSH_PREFIX):
            subprocess.run(["virsh", "-q", "destroy", name], capture_output=True)


def median_ms(values):
    return statistics.median(values) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3,
                        help="interleaved rounds per concurrency (each: pocketstack, virsh)")
    parser.add_argument("--concurrency", default="1,10")
    parser.add_argument("--write", action="store_true",
                        help="write the table into docs/benchmarks.md")
    args = parser.parse_args()
    load_before = os.getloadavg()
    workdir = tempfile.mkdtemp(prefix="pocketstack-vs-virsh-", dir="/var/tmp")
    os.chmod(workdir, 0o755)
    bench = Bench(workdir)
    results = {}   # (concurrency, who, what) → [seconds]
    rss = []
    try:
        bench.up()
        pid = running_pid(bench.layout)
        api = bench.api()
        refs = refs_of(api)
        ours = PocketstackGuests(api, refs)
        # The warm-up server fills the image cache; its domain XML is the template.
        _, warm_id = ours.create("warm")
        template = virsh("dumpxml", "--inactive", f"pocketstack-{warm_id}")
        theirs = VirshGuests(template, workdir)
        ours.delete(warm_id)
        for concurrency in (int(n) for n in args.concurrency.split(",")):
            for round_ in range(args.repeat):
                names = [f"c{concurrency}-r{round_}-{i}" for i in range(concurrency)]
                created = in_parallel(ours.create, names)
                if concurrency >= 10:
                    rss.append(rss_mib(pid))
                results.setdefault((concurrency, "ours", "create"), []).extend(
                    seconds for seconds, _ in created)
                results.setdefault((concurrency, "ours", "delete"), []).extend(
                    in_parallel(ours.delete, [server_id for _, server_id in created]))
                paths = [theirs.prepare(name) for name in names]
                results.setdefault((concurrency, "virsh", "create"), []).extend(
                    in_parallel(theirs.create, paths))
                results.setdefault((concurrency, "virsh", "delete"), []).extend(
                    in_parallel(theirs.destroy, names))
                for name in names:
                    theirs.remove(name)
                print(f"round {round_ + 1}/{args.repeat} at {concurrency}: " + ", ".join(
                    f"{who} {what} {median_ms(results[(concurrency, who, what)]):.0f} ms"
                    for who in ("ours", "virsh") for what in ("create", "delete")),
                    flush=True)
    finally:
        leftover_virsh_domains()
        if running_pid(bench.layout):
            bench.down()
        shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()
    lines = ["| concurrent guests | measure | pocketstack p50 | virsh p50 | ratio | samples |",
             "| ---: | --- | ---: | ---: | ---: | ---: |"]
    for concurrency in sorted({key[0] for key in results}):
        for what, label in (("create", "create→ACTIVE vs `virsh create`"),
                            ("delete", "delete→gone vs `virsh destroy`")):
            ours_ms = median_ms(results[(concurrency, "ours", what)])
            theirs_ms = median_ms(results[(concurrency, "virsh", what)])
            lines.append(f"| {concurrency} | {label} | {ours_ms:.0f} ms | {theirs_ms:.0f} ms "
                         f"| {ours_ms / theirs_ms:.2f} "
                         f"| {len(results[(concurrency, 'ours', what)])} |")
    if rss:
        lines += ["", f"All-in-one RSS (controller services and agent, one process) with "
                      f"10 guests running: {max(rss):.0f} MiB (largest of {len(rss)} samples)."]
    table = "\n".join(lines)
    print(table)
    if args.write:
        report.write_section(SECTION, (
            f"`{COMMAND}` ({datetime.date.today()}, {os.cpu_count()} CPUs, load average "
            f"{load_before[0]:.1f} before and {load_after[0]:.1f} after; --repeat "
            f"{args.repeat}, rounds interleaved). Guests are `m1.nano` (128 MB) booting the "
            f"tiny image under plain QEMU (TCG) from a cached image, on the private "
            f"network; virsh runs the domain XML pocketstack defined, on a fresh overlay of "
            f"the same base.\n\n{table}"))


if __name__ == "__main__":
    main()
