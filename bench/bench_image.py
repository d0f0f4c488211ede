"""Image data throughput and the controller's memory while it streams a large image.

Starts a real cloud (API only) with tests/lib/cloud.py and makes a file of random bytes
in /tmp. Then, ``--repeat`` times each, keeping the fastest run (the machine is shared):
copies the file with a plain file copy (read, write, fsync: what the store must at least
do), uploads it through ``PUT /image/v2/images/{id}/file`` with a Content-Length body and
again with python-glanceclient itself (``images.upload``: chunked, 1 MiB chunks), and
downloads it with ``GET …/file``. The controller's resident memory is sampled from
/proc/<pid>/status during every transfer (its VmHWM is the peak of its whole life), and
its CPU time per transfer is read from /proc/<pid>/stat. Prints a table and
writes it under ``## Image`` in docs/benchmarks.md. The file and the cloud are removed
afterwards.

    .venv/bin/python bench/bench_image.py [--size-mib 1024] [--repeat 3] [--no-write]
"""
import argparse
import contextlib
import datetime
import hashlib
import http.client
import os
import platform
import shutil
import sys
import tempfile
import threading
import time

import requests
from glanceclient import client as glance_client

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.lib.cloud import ADMIN_PASSWORD, Cloud  # noqa: E402

import report  # noqa: E402

HEADING = "## Image"
MiB = 1024 * 1024
CHUNK = MiB


def make_file(path, size):
    with open(path, "wb") as f:
        for _ in range(size // CHUNK):
            f.write(os.urandom(CHUNK))


def memory_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RssSampler:
    """Lowest and highest VmRSS of a process while the ``with`` block runs."""

    def __init__(self, pid, interval=0.02):
        self.pid = pid
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, memory_kib(self.pid, "VmRSS"))
            self._stop.wait(self.interval)

    def __enter__(self):
        self.before_kib = self.peak_kib = memory_kib(self.pid, "VmRSS")
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class Measurement:
    """The fastest of several runs of one operation, and the highest RSS seen in any."""

    def __init__(self, name):
        self.name = name
        self.seconds = float("inf")
        self.rss_before_kib = None
        self.rss_peak_kib = 0
        self.cpu = None

    def run(self, operation, pid=None):
        with RssSampler(pid) if pid else contextlib.nullcontext() as rss:
            cpu_before = cpu_seconds(pid) if pid else 0
            start = time.monotonic()
            operation()
            seconds = time.monotonic() - start
            if seconds < self.seconds:
                self.seconds = seconds
                self.cpu = cpu_seconds(pid) - cpu_before if pid else None
        if rss is not None:
            if self.rss_before_kib is None:
                self.rss_before_kib = rss.before_kib
            self.rss_peak_kib = max(self.rss_peak_kib, rss.peak_kib)


def token(cloud):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": ADMIN_PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    response = requests.post(cloud.auth_url + "/auth/tokens", json=body, timeout=30)
    response.raise_for_status()
    return response.headers["X-Subject-Token"]


def measure(cloud, source, size, repeat):
    pid = cloud.process.pid
    session = requests.Session()
    session.headers["X-Auth-Token"] = token(cloud)
    images = cloud.url + "/image/v2/images"

    def plain_copy():
        target = source + ".copy"
        with open(source, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
            dst.flush()
            os.fsync(dst.fileno())
        os.unlink(target)

    def digests_only():
        """MD5 and SHA-512 of the file, each in a thread of its own: the least CPU an
        upload must spend, whatever its data path."""
        digests = [hashlib.md5(usedforsecurity=False), hashlib.sha512()]
        with open(source, "rb") as f:
            for block in iter(lambda: f.read(CHUNK), b""):
                threads = [threading.Thread(target=d.update, args=(block,)) for d in digests]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()

    def new_image():
        response = session.post(images, json={"name": "bench", "disk_format": "raw",
                                              "container_format": "bare"}, timeout=30)
        response.raise_for_status()
        return response.json()["id"]

    def with_content_length(image_id):
        connection = http.client.HTTPConnection("127.0.0.1", cloud.port, timeout=600,
                                                blocksize=CHUNK)
        with open(source, "rb") as f:
            connection.request("PUT", f"/image/v2/images/{image_id}/file", body=f, headers={
                "X-Auth-Token": session.headers["X-Auth-Token"],
                "Content-Type": "application/octet-stream", "Content-Length": str(size)})
        response = connection.getresponse()
        assert response.status == 204, (response.status, response.read())
        connection.close()

    glance = glance_client.Client("2", endpoint=cloud.url + "/image",
                                  token=session.headers["X-Auth-Token"], timeout=600)

    def with_glanceclient(image_id):
        with open(source, "rb") as f:
            glance.images.upload(image_id, f)

    def download(image_id):
        received = 0
        with session.get(f"{images}/{image_id}/file", stream=True, timeout=600) as response:
            response.raise_for_status()
            for chunk in response.iter_content(CHUNK):
                received += len(chunk)
        assert received == size, (received, size)

    copy = Measurement("plain file copy (read, write, fsync)")
    floor = Measurement("MD5 + SHA-512 of the file, two threads, no I/O (hashing floor)")
    uploads = [(Measurement("upload, Content-Length body, 1 MiB writes (http.client)"),
                with_content_length),
               (Measurement("upload, python-glanceclient `images.upload` (chunked, "
                            "1 MiB chunks)"), with_glanceclient)]
    fetch = Measurement("download (requests, streamed)")
    for _ in range(repeat):
        copy.run(plain_copy)
        floor.run(digests_only)
        for measurement, send in uploads:
            image_id = new_image()
            measurement.run(lambda: send(image_id), pid)
            fetch.run(lambda: download(image_id), pid)
            session.delete(f"{images}/{image_id}", timeout=60).raise_for_status()
    return copy, floor, [m for m, _ in uploads] + [fetch], memory_kib(pid, "VmHWM")


def table(size, copy, floor, measurements):
    lines = ["| operation | seconds | MiB/s | vs. plain copy | controller CPU s | "
             "controller RSS before → peak |",
             "| --- | ---: | ---: | ---: | ---: | ---: |",
             f"| {copy.name} | {copy.seconds:.2f} | {size / MiB / copy.seconds:,.0f} | "
             f"100% | — | — |",
             f"| {floor.name} | {floor.seconds:.2f} | {size / MiB / floor.seconds:,.0f} | "
             f"{copy.seconds / floor.seconds:.0%} | — | — |"]
    for m in measurements:
        lines.append(f"| {m.name} | {m.seconds:.2f} | {size / MiB / m.seconds:,.0f} | "
                     f"{copy.seconds / m.seconds:.0%} | {m.cpu:.2f} | "
                     f"{m.rss_before_kib / 1024:.0f} → {m.rss_peak_kib / 1024:.0f} MiB |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true",
                        help="only print, do not update docs/benchmarks.md")
    args = parser.parse_args()
    size = args.size_mib * MiB
    with tempfile.TemporaryDirectory(prefix="bench-image-") as workdir:
        source = os.path.join(workdir, "image.raw")
        make_file(source, size)
        cloud = Cloud(os.path.join(workdir, "cloud"), roles=["api"], with_agent=False,
                      conf={"DEFAULT": {"debug": "false"},
                            "image": {"max_image_size": str(size),
                                      "project_quota_bytes": "0"}})
        cloud.start()
        load_before = os.getloadavg()[0]
        try:
            copy, floor, measurements, hwm_kib = measure(cloud, source, size, args.repeat)
        finally:
            cloud.stop()
    result = table(size, copy, floor, measurements)
    print(result)
    print(f"controller VmHWM (peak RSS of its whole life): {hwm_kib / 1024:.0f} MiB")
    if not args.no_write:
        day = datetime.date.today().isoformat()
        report.write_section(
            HEADING, f"`.venv/bin/python bench/bench_image.py --size-mib "
            f"{args.size_mib} --repeat {args.repeat}` ({day}, {os.cpu_count()} CPUs, "
            f"load average {load_before:.1f} before the run, Python "
            f"{platform.python_version()}; random data in the page cache; client, "
            f"controller and copy share the disk and the cores; fastest of "
            f"{args.repeat} runs). An upload reads the body in 64 KiB pieces (a chunked "
            f"body straight off the connection, controller/api/chunked.py), counts and "
            f"inspects each piece, gathers the pieces into a pool of six 1 MiB buffers, "
            f"and hands each full buffer to three threads: MD5, SHA-512 and the write; "
            f"then it fsyncs and renames the file. The hashing floor is what MD5 and "
            f"SHA-512 alone cost on this machine in two threads: no upload can be faster. "
            f"Controller CPU is the controller's user + system time during the fastest "
            f"run. A download streams the file in 128 KiB pieces. RSS is the "
            f"controller's resident memory sampled every "
            f"20 ms during the transfers; its VmHWM over its whole life was "
            f"{hwm_kib / 1024:.0f} MiB.\n\n{result}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
