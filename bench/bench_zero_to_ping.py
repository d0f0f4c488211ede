"""From a fresh machine to a guest that answers ping: the parts of the README's first line.

A truly fresh machine is not at hand, so each part is measured on its own, honestly:

- **packages**: what ``tools/install.sh`` would install on a fresh Debian 12, resolved
  against a dpkg status that holds only the machine's required/important packages (about
  what a minimal Debian 12 has), then downloaded (``apt-get install --download-only``
  into a throwaway archive directory) and unpacked (``dpkg-deb -x`` into a throwaway
  root: maintainer scripts are not run, so configuring is not counted). Once for the
  all-in-one's list and once for the old list (also RabbitMQ, PostgreSQL, sshd, ...).
- **venvs**: ``.venv`` (the project, no test extras) and ``.venv-clients`` made in a
  temporary directory in parallel as install.sh does: by pip as it did before (empty
  cache), then by uv as it does now (uv installed first; an empty cache, all from PyPI and
  libvirt-python compiled, then the cache that run filled).
- **image**: ``images/build.sh`` into a temporary directory (the guest .debs cached).
- **up, first server, first ping**: ``pocketstack up`` with its own config and state
  directories and a free port, then one ``m1.nano`` server of the tiny image: create →
  ACTIVE and create → ping from its network's DHCP namespace (as bench_allinone.py).

The total adds the parts on install.sh's critical path: the build packages, then the
longer of (the other packages and the image) and (uv and the venvs), then up and the
first ping; once with pip's venvs, once with uv's.
Needs root, network access to Debian's mirror and PyPI, libvirt and the tiny image.

    .venv/bin/python bench/bench_zero_to_ping.py [--no-write] [--skip-packages] [--skip-venvs]
"""
import argparse
import concurrent.futures
import datetime
import glob
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, REPO)
sys.path.insert(0, BENCH)

import report  # noqa: E402
from bench_allinone import Bench, refs_of  # noqa: E402
from controller.cmd.allinone_process import running  # noqa: E402

HEADING = "## Zero to pingable VM"
INSTALL = os.path.join(REPO, "tools", "install.sh")
PYTHON = "/usr/bin/python3"


def children_cpu():
    """CPU seconds of the finished child processes so far (apt, dpkg-deb, pip, ...)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def install_lists():
    """(build packages, all-in-one packages, multi-host packages) as install.sh has them."""
    text = open(INSTALL).read()

    def array(name):
        body = re.search(rf"^{name}=\((.*?)^\)", text, re.S | re.M).group(1)
        return [word for line in body.splitlines()
                for word in line.split("#", 1)[0].split()]
    return array("BUILD_PACKAGES"), array("PACKAGES"), array("MULTI_HOST_PACKAGES")


def minimal_status(path):
    """A dpkg status file of this machine's required, important and essential packages
    and what they depend on: about what a fresh minimal Debian 12 has installed."""
    with open("/var/lib/dpkg/status") as f:
        stanzas = {}
        for stanza in f.read().split("\n\n"):
            name = re.search(r"^Package: (\S+)", stanza, re.M)
            if name and re.search(r"^Status: install ok installed$", stanza, re.M):
                stanzas[name.group(1)] = stanza.strip()
    provides = {}
    for name, stanza in stanzas.items():
        field = re.search(r"^Provides: (.*)$", stanza, re.M)
        for virtual in (field.group(1).split(",") if field else []):
            provides.setdefault(virtual.split()[0].split(":")[0], name)
    wanted = [name for name, stanza in stanzas.items() if re.search(
        r"^(Priority: (required|important)|Essential: yes)$", stanza, re.M)]
    kept = set()
    while wanted:
        name = wanted.pop()
        if name in kept:
            continue
        kept.add(name)
        for field in re.findall(r"^(?:Pre-)?Depends: (.*)$", stanzas[name], re.M):
            for alternatives in field.split(","):
                for choice in alternatives.split("|"):
                    dep = choice.split()[0].split(":")[0]
                    dep = dep if dep in stanzas else provides.get(dep)
                    if dep:
                        wanted.append(dep)
                        break
    with open(path, "w") as f:
        f.write("\n\n".join(stanzas[name] for name in sorted(kept)) + "\n")
    return len(kept)


def packages(names, workdir, status):
    """(count, MiB, download s, unpack s) of installing ``names`` on the minimal system."""
    archives = os.path.join(workdir, "archives")
    os.makedirs(os.path.join(archives, "partial"))
    started = time.monotonic()
    subprocess.run(["apt-get", "install", "-y", "-qq", "--download-only",
                    "--no-install-recommends", "-o", f"Dir::State::status={status}",
                    "-o", f"Dir::Cache::archives={archives}", "-o", "Debug::NoLocking=1",
                    "-o", "Acquire::Queue-Mode=host", *names],
                   check=True, capture_output=True, env={**os.environ,
                                                         "DEBIAN_FRONTEND": "noninteractive"})
    download = time.monotonic() - started
    debs = glob.glob(os.path.join(archives, "*.deb"))
    size = sum(os.path.getsize(d) for d in debs) / 2 ** 20
    root = os.path.join(workdir, "root")
    os.makedirs(root)
    started = time.monotonic()
    for deb in debs:
        subprocess.run(["dpkg-deb", "-x", deb, root], check=True, capture_output=True)
    unpack = time.monotonic() - started
    shutil.rmtree(workdir, ignore_errors=True)
    return len(debs), size, download, unpack


def make_venv_pip(directory, cache, *requirements):
    """A venv filled by pip, as install.sh did before uv (the comparison)."""
    started = time.monotonic()
    env = {**os.environ, "PIP_CACHE_DIR": cache, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run([PYTHON, "-m", "venv", directory], check=True)
    pip = os.path.join(directory, "bin", "pip")
    for args in (["--upgrade", "pip", "wheel"], list(requirements)):
        subprocess.run([pip, "install", "-q", *args], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def install_uv(directory, cache):
    """uv in a venv of its own, as install.sh installs it before the venvs (seconds)."""
    started = time.monotonic()
    subprocess.run([PYTHON, "-m", "venv", directory], check=True)
    subprocess.run([os.path.join(directory, "bin", "pip"), "install", "-q", "uv"],
                   check=True, env={**os.environ, "PIP_CACHE_DIR": cache},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def make_venv_uv(uv, directory, cache, *requirements):
    """A venv filled by uv, as install.sh makes it now."""
    started = time.monotonic()
    env = {**os.environ, "UV_CACHE_DIR": cache, "UV_NATIVE_TLS": "1"}
    subprocess.run([uv, "venv", "-q", "--seed", "--python", PYTHON, directory], check=True,
                   env=env)
    subprocess.run([uv, "pip", "install", "-q", "--python",
                    os.path.join(directory, "bin", "python"), *requirements], check=True,
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def venvs(workdir, make_venv):
    """(wall s, project venv s, clients venv s), both made at once as install.sh does."""
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        project = pool.submit(make_venv, os.path.join(workdir, "venv"), "-e", REPO)
        clients = pool.submit(make_venv, os.path.join(workdir, "venv-clients"),
                              "python-openstackclient", "python-glanceclient")
        project, clients = project.result(), clients.result()
    wall = time.monotonic() - started
    for name in ("venv", "venv-clients"):
        shutil.rmtree(os.path.join(workdir, name))
    return wall, project, clients


def image(workdir):
    started = time.monotonic()
    subprocess.run([os.path.join(REPO, "images", "build.sh"), workdir], check=True,
                   capture_output=True)
    return time.monotonic() - started


def first_ping():
    """(up s, create→ACTIVE s, create→ping s) of a fresh all-in-one and its first server."""
    workdir = tempfile.mkdtemp(prefix="pocketstack-bench-", dir="/var/tmp")
    os.chmod(workdir, 0o755)
    bench = Bench(workdir)
    try:
        try:
            up = bench.up()
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"pocketstack up failed:\n{exc.stdout}\n{exc.stderr}") from exc
        api = bench.api()
        _, timings = bench.one_server(api, refs_of(api), "first")
    finally:
        if running(bench.layout):
            bench.down()
        shutil.rmtree(workdir, ignore_errors=True)
    return up, timings["active"], timings["ping"]


class Rows(list):
    """The table's rows, each printed as soon as it is measured."""

    def append(self, row):
        print(row, flush=True)
        super().append(row)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--skip-packages", action="store_true")
    parser.add_argument("--skip-venvs", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    build, aio, multi = install_lists()
    rows, parts = Rows(), {}
    with tempfile.TemporaryDirectory(prefix="bench-zero-") as workdir:
        if not args.skip_packages:
            status = os.path.join(workdir, "status")
            kept = minimal_status(status)
            for label, names in (("build packages (first, alone)", build),
                                 ("all-in-one packages", aio),
                                 ("before: everything, multi-host included", build + aio + multi)):
                cpu = children_cpu()
                count, mib, download, unpack = packages(
                    names, os.path.join(workdir, "apt"), status)
                rows.append(f"| packages: {label} | {count} debs, {mib:.0f} MiB | "
                            f"download {download:.1f} s + unpack {unpack:.1f} s | "
                            f"{children_cpu() - cpu:.0f} |")
                parts[label] = download + unpack
        if not args.skip_venvs:
            pip_cache = os.path.join(workdir, "pip-cache")
            uv_cache = os.path.join(workdir, "uv-cache")
            uv_home = os.path.join(workdir, "uv-tool")
            cpu = children_cpu()
            bootstrap = install_uv(uv_home, os.path.join(workdir, "uv-tool-cache"))
            rows.append(f"| uv itself (a venv, `pip install uv`, empty cache) | | "
                        f"{bootstrap:.1f} s | {children_cpu() - cpu:.0f} |")
            uv = os.path.join(uv_home, "bin", "uv")
            for label, make_venv in (
                    ("pip (before), empty cache",
                     lambda d, *r: make_venv_pip(d, pip_cache, *r)),
                    ("uv, empty cache", lambda d, *r: make_venv_uv(uv, d, uv_cache, *r)),
                    ("uv, cache filled", lambda d, *r: make_venv_uv(uv, d, uv_cache, *r))):
                cpu = children_cpu()
                wall, project, clients = venvs(workdir, make_venv)
                rows.append(f"| venvs in parallel, {label} | `.venv` {project:.0f} s, "
                            f"`.venv-clients` {clients:.0f} s | {wall:.1f} s | "
                            f"{children_cpu() - cpu:.0f} |")
                parts[label] = wall
            parts["uv, empty cache"] += bootstrap
        cpu = children_cpu()
        image_s = image(os.path.join(workdir, "image"))
        rows.append(f"| tiny image build (guest .debs cached) | | {image_s:.1f} s | "
                    f"{children_cpu() - cpu:.0f} |")
    up, active, ping = first_ping()
    rows.append(f"| `pocketstack up`, first time | | {up:.1f} s | |")
    rows.append(f"| first server: create→ACTIVE / create→ping | | {active:.1f} s / "
                f"{ping:.1f} s | |")
    load_after = os.getloadavg()[0]
    total = None
    if len(parts) == 6:
        for label in ("pip (before), empty cache", "uv, empty cache"):
            total = (parts["build packages (first, alone)"]
                     + max(parts["all-in-one packages"] + image_s, parts[label])
                     + up + ping)
            rows.append(f"| **critical path, fresh machine**, venvs by {label.split(',')[0]} "
                        f"(build packages, then the longer of packages + image and the "
                        f"venvs, then up and the first ping) | | **{total:.0f} s** | |")
    table = "\n".join(["| part | what | seconds | CPU s |", "| --- | --- | ---: | ---: |",
                        *rows])
    print(table)
    if not args.no_write:
        day = datetime.date.today().isoformat()
        report.write_section(HEADING, (
            f"`.venv/bin/python bench/bench_zero_to_ping.py` ({day}, {os.cpu_count()} CPUs "
            f"shared with other work, load average {load_before:.1f} before and "
            f"{load_after:.1f} after). Not a fresh machine: each part of the README's first "
            f"line is measured on its own (see the script's docstring). Packages are "
            f"resolved against a status of this machine's required/important packages "
            f"(what a minimal Debian 12 has), downloaded into a throwaway directory and "
            f"unpacked with `dpkg-deb -x`: maintainer scripts (configuring) are not "
            f"counted, so a real install takes longer than that row. The venvs are made "
            f"at once, as install.sh makes them. CPU is that of the part's processes (the "
            f"two venvs together): on an idle 2-core machine a part takes about the larger "
            f"of half its CPU and its network and disk time; under a load average far above "
            f"the cores, the seconds mostly measure the wait for a core.\n\n{table}\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
