"""One cloud for the fuzz suite, its route table, and the resources the fuzzer may hit.

Path parameters come from pools of real ids of throwaway resources (so that requests
reach handlers, not just 404s) plus junk; the owner's and admin's identity never go in
a pool, so the fuzzer cannot lock out the callers that the final checks need.
"""
import dataclasses
import json
import os
import subprocess
import sys
import time

import pytest
import requests

from tests.lib.cloud import ADMIN_PASSWORD, REPO, Cloud

OWNER_PASSWORD = "fuzz-owner-secret"


@dataclasses.dataclass
class FuzzCloud:
    cloud: Cloud
    routes: list          # [(prefix, uri_template, method)]
    tokens: dict          # caller name -> token or None
    pools: dict           # path parameter name -> real ids
    owner_project: str
    admin_project: str
    baseline: dict = dataclasses.field(default_factory=dict)


ALL_TENANTS = ("/v2.1/servers/detail", "/volumes/detail", "/snapshots/detail")


# Nova's proxy APIs, gone (404) from microversion 2.36: listed at the last one that has them.
PROXY_LISTS = ("/os-floating-ips", "/os-security-groups", "/os-security-group-rules",
               "/v2.1/images", "/v2.1/images/detail", "/os-networks", "/os-tenant-networks",
               "/os-volumes", "/os-volumes/detail", "/os-snapshots", "/os-snapshots/detail",
               "/os-hosts")
# Lists that came with a later volume microversion than the one the others are read at.
LATER_VOLUME_LISTS = ("/volume-transfers", "/volume-transfers/detail")


def list_statuses(fuzz):
    """{(caller, url): status} of every list endpoint (a GET route without path
    parameters but the volume API's own project), for admin and owner."""
    statuses = {}
    for caller, project in (("admin", fuzz.admin_project), ("owner", fuzz.owner_project)):
        headers = {"X-Auth-Token": fuzz.tokens[caller],
                   "OpenStack-API-Version": "compute 2.79, volume 3.44"}
        for prefix, template, method in fuzz.routes:
            path = template.replace("{project_id}", project)
            if method != "GET" or "{" in path or path == "/v3/auth/tokens":
                continue
            urls = [prefix + path]
            sent = headers
            if path.endswith(PROXY_LISTS):
                sent = dict(headers, **{"OpenStack-API-Version": "compute 2.35"})
            elif path.endswith(LATER_VOLUME_LISTS):
                sent = dict(headers, **{"OpenStack-API-Version": "volume 3.57"})
            if caller == "admin" and path.endswith(ALL_TENANTS):
                urls.append(prefix + path + "?all_tenants=1")
            for url in urls:
                resp = requests.get(fuzz.cloud.url + url, headers=sent, timeout=30)
                statuses[(caller, url)] = resp.status_code
    return statuses


def _scratch_routes(workdir):
    """The route table, read from apps built against scratch state (tests.fuzz.routes)."""
    conf = os.path.join(workdir, "routes.conf")
    with open(conf, "w") as f:
        f.write(f"[DEFAULT]\nstate_path = {os.path.join(workdir, 'routes-state')}\n"
                f"transport_url = fake://\nhost = fuzz-routes\n")
    result = subprocess.run([sys.executable, "-m", "tests.fuzz.routes", "--config-file", conf],
                            cwd=REPO, capture_output=True, text=True, timeout=300, check=True)
    return [(prefix, path, method) for prefix, path, methods in json.loads(result.stdout)
            for method in methods if method != "HEAD"]


def _token(cloud, user, password, project):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": password}}}}}
    if project:
        body["auth"]["scope"] = {"project": {"name": project, "domain": {"id": "default"}}}
    resp = requests.post(cloud.auth_url + "/auth/tokens", json=body, timeout=30)
    resp.raise_for_status()
    return resp.headers["X-Subject-Token"], resp.json()["token"]


class _Api:
    def __init__(self, cloud, token):
        self.url = cloud.url
        self.headers = {"X-Auth-Token": token,
                        "OpenStack-API-Version": "compute 2.79, volume 3.44"}

    def __call__(self, method, path, body=None, expect=(200, 201, 202, 204)):
        resp = requests.request(method, self.url + path, json=body, headers=self.headers,
                                timeout=60)
        assert resp.status_code in expect, (method, path, resp.status_code, resp.text)
        return resp.json() if resp.content else None


def _wait(api, path, key, statuses=("ACTIVE", "available", "ERROR", "error")):
    deadline = time.monotonic() + 60
    while api("GET", path)[key]["status"] not in statuses:
        assert time.monotonic() < deadline, f"{path} never settled"
        time.sleep(0.3)


def _resources(cloud, admin_token, owner_token, owner_project):
    """Throwaway resources of every kind, made by admin and by the owner."""
    admin, owner = _Api(cloud, admin_token), _Api(cloud, owner_token)
    pools = {}
    project = admin("POST", "/identity/v3/projects", {"project": {
        "name": "fuzz-throwaway", "domain_id": "default"}})["project"]["id"]
    user = admin("POST", "/identity/v3/users", {"user": {
        "name": "fuzz-throwaway", "domain_id": "default", "password": "x-secret",
        "default_project_id": project}})["user"]["id"]
    role = admin("POST", "/identity/v3/roles", {"role": {"name": "fuzz-role"}})["role"]["id"]
    admin("PUT", f"/identity/v3/projects/{project}/users/{user}/roles/{role}")
    pools.update(project_id=[project], target_project_id=[project, owner_project],
                 user_id=[user], role_id=[role], domain_id=["default"])
    services = admin("GET", "/identity/v3/services")["services"]
    endpoints = admin("GET", "/identity/v3/endpoints")["endpoints"]
    pools.update(service_id=[s["id"] for s in services[:2]],
                 endpoint_id=[e["id"] for e in endpoints[:2]])

    image = cloud.blank_image("fuzz-image", "--public")["id"]
    pools.update(image_id=[image], member_id=[owner_project, project], tag=["fuzz"])
    flavor = admin("POST", "/compute/v2.1/flavors", {"flavor": {
        "name": "fuzz-flavor", "ram": 64, "vcpus": 1, "disk": 1}})["flavor"]["id"]
    network = owner("POST", "/networking/v2.0/networks", {"network": {
        "name": "fuzz-net"}})["network"]["id"]
    subnet = owner("POST", "/networking/v2.0/subnets", {"subnet": {
        "network_id": network, "cidr": "10.77.0.0/24", "ip_version": 4}})["subnet"]["id"]
    port = owner("POST", "/networking/v2.0/ports", {"port": {
        "network_id": network}})["port"]["id"]
    pools.update(flavor_id=[flavor], network_id=[network], subnet_id=[subnet],
                 port_id=[port], alias=["quotas", "binding"])
    server = owner("POST", "/compute/v2.1/servers", {"server": {
        "name": "fuzz-server", "imageRef": image, "flavorRef": flavor,
        "networks": [{"uuid": network}], "metadata": {"k": "v"}}})["server"]["id"]
    _wait(owner, f"/compute/v2.1/servers/{server}", "server")
    keypair = owner("POST", "/compute/v2.1/os-keypairs", {"keypair": {
        "name": "fuzz-key"}})["keypair"]["name"]
    group = owner("POST", "/compute/v2.1/os-server-groups", {"server_group": {
        "name": "fuzz-group", "policy": "anti-affinity"}})["server_group"]["id"]
    aggregate = admin("POST", "/compute/v2.1/os-aggregates", {"aggregate": {
        "name": "fuzz-agg"}})["aggregate"]["id"]
    hypervisors = admin("GET", "/compute/v2.1/os-hypervisors")["hypervisors"]
    compute_services = admin("GET", "/compute/v2.1/os-services")["services"]
    actions = owner("GET", f"/compute/v2.1/servers/{server}/os-instance-actions")
    pools.update(server_id=[server], name=[keypair], group_id=[group],
                 aggregate_id=[str(aggregate)], key=["k"],
                 hypervisor_id=[str(h["id"]) for h in hypervisors],
                 request_id=[a["request_id"] for a in actions["instanceActions"]],
                 **{"/compute:service_id": [str(s["id"]) for s in compute_services]})

    volume_base = f"/volume/v3/{owner_project}"
    volume = owner("POST", volume_base + "/volumes", {"volume": {
        "size": 1, "name": "fuzz-volume", "metadata": {"k": "v"}}})["volume"]["id"]
    _wait(owner, f"{volume_base}/volumes/{volume}", "volume")
    snapshot = owner("POST", volume_base + "/snapshots", {"snapshot": {
        "volume_id": volume, "name": "fuzz-snapshot"}})["snapshot"]["id"]
    _wait(owner, f"{volume_base}/snapshots/{snapshot}", "snapshot")
    types = admin("GET", "/volume/v3/types")["volume_types"]
    pools.update(volume_id=[volume], snapshot_id=[snapshot],
                 type_id=[t["id"] for t in types], attachment_id=[])
    return pools


@pytest.fixture(scope="session")
def fuzz(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fuzz")
    routes = _scratch_routes(str(workdir))
    cloud = Cloud(workdir / "cloud")
    try:
        cloud.start()
        owner_project = cloud.add_member_project("fuzz-owner", OWNER_PASSWORD)
        admin_token, admin_body = _token(cloud, "admin", ADMIN_PASSWORD, "admin")
        owner_token, _ = _token(cloud, "fuzz-owner", OWNER_PASSWORD, "fuzz-owner")
        pools = _resources(cloud, admin_token, owner_token, owner_project)
        unscoped = _unscoped(cloud, admin_token)
        tokens = {"admin": admin_token, "owner": owner_token, "unscoped": unscoped,
                  "forged": "gAAAAAB" + "x" * 180, "none": None}
        fuzz = FuzzCloud(cloud, routes, tokens, pools, owner_project,
                         admin_body["project"]["id"])
        fuzz.baseline = list_statuses(fuzz)
        yield fuzz
    finally:
        cloud.stop()


def _unscoped(cloud, admin_token):
    """A token of a user with no default project: unscoped."""
    _Api(cloud, admin_token)("POST", "/identity/v3/users", {"user": {
        "name": "fuzz-unscoped", "domain_id": "default", "password": "u-secret"}})
    token, body = _token(cloud, "fuzz-unscoped", "u-secret", None)
    assert "project" not in body
    return token
