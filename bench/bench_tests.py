"""Where the test suite's time goes: every test module on its own, then the whole suite.

Runs each module of ``tests/`` in a pytest process of its own (no xdist; ``--jobs N``
runs N such processes at once, longest modules first) and records its wall-clock time and
the CPU time of pytest and everything it started and waited for (clouds, the stock CLIs;
not qemu, which libvirtd starts), read per process with ``wait4`` so that modules run at
once do not mix; per-test durations (setup + call + teardown) come from pytest's JUnit
XML. A module whose wall-clock time is far above its CPU time waits (guest
boots, polling, sleeps); one whose CPU time is high needs the cores. ``--suite`` then
runs the whole suite as ``tools/test.sh`` does and records its wall-clock time. Each
module's wall-clock time also goes into tests/durations.json, from which tests/conftest.py
orders the modules longest first. The machine
is shared, so the load average is sampled before and after. Prints the tables and, unless
``--no-write``, writes them under ``## Test suite`` in docs/benchmarks.md.

    .venv/bin/python bench/bench_tests.py [--suite] [--jobs N] [--modules tests/unit ...]
                                          [--no-write]
"""
import argparse
import concurrent.futures
import datetime
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import report  # noqa: E402

HEADING = "## Test suite"
# Each module's seconds, read by tests/conftest.py to hand out the longest modules first.
DURATIONS = os.path.join(REPO, "tests", "durations.json")
PYTHON = os.path.join(REPO, ".venv", "bin", "python")
# A module not in tests/durations.json yet: its seconds guessed from its directory.
ESTIMATE = {"system": 300, "functional": 60, "fuzz": 60}


def run_module(module, workdir):
    """(wall s, CPU s, outcome counts, [(duration, test id)]) of one module's run."""
    xml_path = os.path.join(workdir, module.replace("/", "_") + ".xml")
    out_path = os.path.join(workdir, module.replace("/", "_") + ".out")
    start = time.monotonic()
    with open(out_path, "w") as out:
        process = subprocess.Popen([PYTHON, "-m", "pytest", "-q", "-p", "no:xdist",
                                    "-p", "no:cacheprovider", f"--junitxml={xml_path}",
                                    module], cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        # wait4: this process's CPU and its waited-for descendants', not the siblings'.
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    cpu = usage.ru_utime + usage.ru_stime
    tests, counts = [], {"passed": 0, "failed": 0, "skipped": 0}
    if os.path.exists(xml_path):
        for case in ET.parse(xml_path).getroot().iter("testcase"):
            name = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
            tests.append((float(case.get("time", 0)), name))
            if case.find("failure") is not None or case.find("error") is not None:
                counts["failed"] += 1
            elif case.find("skipped") is not None:
                counts["skipped"] += 1
            else:
                counts["passed"] += 1
    if process.returncode not in (0, 5):
        with open(out_path) as out:
            print(module, out.read()[-3000:], file=sys.stderr)
    return wall, cpu, counts, tests


def run_suite():
    start = time.monotonic()
    result = subprocess.run([os.path.join(REPO, "tools", "test.sh")], cwd=REPO,
                            capture_output=True, text=True)
    wall = time.monotonic() - start
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    return wall, summary


def modules(paths):
    found = []
    for path in paths:
        if path.endswith(".py"):
            found.append(path)
        else:
            found += sorted(glob.glob(os.path.join(path, "**", "test_*.py"), recursive=True))
    return [os.path.relpath(os.path.join(REPO, m), REPO) for m in found]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", nargs="*", default=["tests"])
    parser.add_argument("--suite", action="store_true",
                        help="also time the whole suite as tools/test.sh runs it")
    parser.add_argument("--jobs", type=int, default=1,
                        help="modules run at once (each in its own process)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--json", help="also write the raw figures to this file")
    args = parser.parse_args()
    os.chdir(REPO)
    rows, all_tests = [], []
    known = {}
    if os.path.exists(DURATIONS):
        with open(DURATIONS) as f:
            known = json.load(f)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-tests-") as workdir:
        found = modules(args.modules)
        found.sort(key=lambda module: -known.get(module, ESTIMATE.get(module.split("/")[1], 1)))
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            runs = {pool.submit(run_module, module, workdir): module for module in found}
            for done in concurrent.futures.as_completed(runs):
                module = runs[done]
                wall, cpu, counts, tests = done.result()
                rows.append((module, wall, cpu, counts))
                all_tests += tests
                print(f"{module}: {wall:.1f} s wall, {cpu:.1f} s CPU, {counts}", flush=True)
    suite = run_suite() if args.suite else None
    load_after = os.getloadavg()[0]
    rows.sort(key=lambda row: -row[1])
    total_wall = sum(r[1] for r in rows)
    total_cpu = sum(r[2] for r in rows)
    lines = ["| module | tests | wall s | CPU s | CPU / wall |", "| --- | ---: | ---: | ---: | ---: |"]
    for module, wall, cpu, counts in rows:
        lines.append(f"| `{module}` | {sum(counts.values())} | {wall:.1f} | {cpu:.1f} | "
                     f"{cpu / wall:.2f} |")
    lines.append(f"| **all modules, one at a time** | {sum(sum(r[3].values()) for r in rows)} "
                 f"| {total_wall:.0f} | {total_cpu:.0f} | {total_cpu / total_wall:.2f} |")
    slowest = sorted(all_tests, reverse=True)[:20]
    slow_lines = ["| # | test | seconds |", "| ---: | --- | ---: |"]
    slow_lines += [f"| {i} | `{name}` | {seconds:.1f} |"
                   for i, (seconds, name) in enumerate(slowest, 1)]
    failed = sum(r[3]["failed"] for r in rows)
    text = "\n".join(lines) + "\n\nThe slowest 20 tests (setup of module fixtures counts " \
        "toward a module's first test):\n\n" + "\n".join(slow_lines)
    if suite:
        text += (f"\n\nThe whole suite as `tools/test.sh` runs it: **{suite[0] / 60:.1f} min** "
                 f"wall-clock ({suite[1]}).")
    print(text)
    if failed:
        print(f"{failed} tests failed", file=sys.stderr)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load": [load_before, load_after], "tests": all_tests,
                       "modules": {module: {"wall": wall, "cpu": cpu, **counts}
                                   for module, wall, cpu, counts in rows}}, f, indent=1)
    if not args.no_write:
        durations = {}
        if os.path.exists(DURATIONS):
            with open(DURATIONS) as f:
                durations = json.load(f)
        durations.update({module: round(wall, 1) for module, wall, _, _ in rows})
        with open(DURATIONS, "w") as f:
            json.dump(dict(sorted(durations.items())), f, indent=0)
            f.write("\n")
        day = datetime.date.today().isoformat()
        command = "`.venv/bin/python bench/bench_tests.py" + (" --suite" if args.suite else "") + "`"
        report.write_section(HEADING, (
            f"{command} ({day}, {os.cpu_count()} CPUs shared with other work, load average "
            f"{load_before:.1f} before and {load_after:.1f} after; {failed} failures). Each "
            f"module runs alone in a pytest process of its own; CPU is that of pytest and "
            f"the processes it starts (clouds, stock CLIs), not of qemu guests (libvirtd "
            f"starts those). Wall well above CPU means waiting: guest boots, polling.\n\n"
            f"{text}\n"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
