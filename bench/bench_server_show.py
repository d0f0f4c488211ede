"""What one ``GET /servers/{id}`` costs the controller: CPU and wall time per request, for
any source tree (to compare a tree with an older one at the same load).

    .venv/bin/python bench/bench_server_show.py [--tree DIR] [--networks port|none]
                                                [--requests 300]

A fake-driver cloud of the tree DIR (default: this checkout; ``tests/lib/cloud.py``), one
server with one port on a fresh network (or none), then sequential shows of it. The
controller's CPU is read from ``/proc/<pid>/stat`` around the loop, so the CPU per request
holds on a loaded machine where the wall time swings.
"""
import argparse
import os
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def process_cpu(pid):
    """User + system CPU seconds of a process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def boot_server(cloud, api, workdir, networks):
    import requests
    from bench_compute import upload_image
    image_id = upload_image(cloud, api, workdir)
    api.post("/flavors", {"flavor": {"name": "show", "id": "show", "ram": 64, "vcpus": 1,
                                     "disk": 1}}).raise_for_status()
    if networks == "none":
        nics = "none"
    else:
        headers = {"X-Auth-Token": api.token}
        base = cloud.url + "/networking/v2.0"
        network = requests.post(base + "/networks", headers=headers, timeout=30,
                                json={"network": {"name": "show"}})
        network.raise_for_status()
        network_id = network.json()["network"]["id"]
        requests.post(base + "/subnets", headers=headers, timeout=30, json={"subnet": {
            "network_id": network_id, "cidr": "10.9.0.0/24", "ip_version": 4}}
        ).raise_for_status()
        nics = [{"uuid": network_id}]
    resp = api.post("/servers", {"server": {"name": "show", "imageRef": image_id,
                                            "flavorRef": "show", "networks": nics}})
    resp.raise_for_status()
    server_id = resp.json()["server"]["id"]
    deadline = time.monotonic() + 120
    while api.get(f"/servers/{server_id}").json()["server"]["status"] == "BUILD":
        if time.monotonic() > deadline:
            raise RuntimeError(f"server {server_id} still building after 120 s")
        time.sleep(0.1)
    return server_id


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", default=REPO, help="source tree to run (default: this one)")
    parser.add_argument("--networks", choices=("port", "none"), default="port")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    tree = os.path.abspath(args.tree)
    sys.path[:0] = [os.path.join(tree, "bench"), tree]
    from tests.conftest import ComputeSession
    from tests.lib.cloud import Cloud
    with tempfile.TemporaryDirectory(prefix="bench-show-") as workdir:
        cloud = Cloud(workdir, conf={"DEFAULT": {"debug": "false"}}).start()
        try:
            api = ComputeSession(cloud)
            server_id = boot_server(cloud, api, workdir, args.networks)
            for _ in range(20):     # warm up: connections, caches
                api.get(f"/servers/{server_id}").raise_for_status()
            pid = cloud.process.pid
            cpu_before, started = process_cpu(pid), time.monotonic()
            for _ in range(args.requests):
                api.get(f"/servers/{server_id}").raise_for_status()
            wall = (time.monotonic() - started) / args.requests
            cpu = (process_cpu(pid) - cpu_before) / args.requests
        finally:
            cloud.stop()
    print(f"{tree} networks={args.networks} GET /servers/{{id}}: {cpu * 1000:.1f} ms CPU, "
          f"{wall * 1000:.1f} ms wall per request (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
