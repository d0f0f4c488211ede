"""tempest against pocketstack: prepare the cloud, write ``tempest.conf``, count results.

Used by ``tools/tempest.sh``; runs in the project's venv (``conf``) or any Python
(``summary``).

``conf`` reads everything tempest needs from the running all-in-one through its public
APIs (catalog, version documents, extensions, flavors, the ``pocketstack-tiny`` image),
lets tempest make each of its projects an isolated network joined by a router to ``up``'s
external network ``public`` (``create_isolated_networks``), and turns off the feature
flags of what pocketstack has not built, so those tests are skipped by tempest itself
rather than hidden in an exclude list.
"""
import argparse
import collections
import csv
import os
import re
import sys

from controller.cmd import allinone_files, allinone_setup

PUBLIC_NETWORK = "public"     # the external network `pocketstack up` makes

# What pocketstack has not built (yet): tempest skips these tests by its feature flags.
COMPUTE_FEATURES_OFF = (
    "shelve_migrate", "spice_console", "rdp_console", "change_password",
    "swap_volume", "volume_multiattach",
    "attach_encrypted_volume", "personality", "scheduler_enabled_filters_all",
    "instance_password_multiple", "barbican_integration", "cold_migration_no_shared",
    "unified_limits", "stable_rescue", "volume_backed_live_migration",
    "can_migrate_between_any_hosts",
)
COMPUTE_FEATURES_ON = (
    "pause", "suspend", "lock", "snapshot", "console_output", "metadata_service",
    "interface_attach", "disk_config", "enable_instance_password", "vnc_console",
    "serial_console", "resize", "cold_migration", "live_migration",
    "block_migration_for_live_migration", "shelve", "rescue",
)
VOLUME_FEATURES_OFF = (
    "backup", "snapshot_backup", "clone", "manage_snapshot", "manage_volume",
    "extend_attached_volume", "extend_attached_encrypted_volume", "extend_volume_with_snapshot",
    "volume_revert", "cluster_active_active",
)
IMAGE_FEATURES_OFF = ("import_image", "os_glance_reserved", "manage_locations",
                      "image_conversion", "do_secure_hash")


def _version_range(api, service_type, path):
    """The (min, max) microversion a service's version document advertises."""
    resp = api.session.get(api.url(service_type, path), timeout=30)
    resp.raise_for_status()
    document = resp.json()
    version = document.get("version") or document["versions"][0]  # Cinder lists its one
    return version.get("min_version") or "", version.get("version") or ""


def build_conf(config_dir, workdir):
    layout = allinone_files.Layout(config_dir)
    passwords = allinone_files.load_secrets(layout)
    url = allinone_files.api_url(layout)
    admin = allinone_setup.Api(url, "admin", passwords["admin_password"], "admin")
    flavors = {f["name"]: f["id"] for f in admin.get("compute", "/flavors")["flavors"]}
    image = admin.get("image", "/v2/images", name=allinone_files.IMAGE_NAME)["images"][0]
    public = admin.get("network", "/v2.0/networks", name=PUBLIC_NETWORK)["networks"][0]
    compute_min, compute_max = _version_range(admin, "compute", "/")
    volume_min, volume_max = _version_range(admin, "block-storage", "/")
    extensions = sorted(e["alias"] for e in admin.get("network", "/v2.0/extensions")["extensions"])
    # The storage backend's protocol and vendor, which tempest puts in volume types'
    # extra specs and the scheduler matches.
    pool = admin.get("block-storage", "/scheduler-stats/get_pools",
                     detail="true")["pools"][0]["capabilities"]
    volume_extensions = sorted(e["alias"] for e in admin.get("block-storage",
                                                             "/extensions")["extensions"])
    flags = lambda names, value: {name: value for name in names}  # noqa: E731
    sections = {
        "DEFAULT": {"log_dir": workdir, "log_file": "tempest.log", "debug": "true",
                    "use_stderr": "false"},
        "auth": {"admin_username": "admin", "admin_password": passwords["admin_password"],
                 "admin_project_name": "admin", "admin_domain_name": "Default",
                 "use_dynamic_credentials": "true", "create_isolated_networks": "true",
                 "default_credentials_domain_name": "Default"},
        "identity": {"uri_v3": url + "/identity/v3", "auth_version": "v3",
                     "region": "RegionOne", "v3_endpoint_type": "public",
                     "disable_ssl_certificate_validation": "true"},
        "identity-feature-enabled": {"api_v2": "false", "api_v3": "true",
                                     "security_compliance": "false",
                                     "project_tags": "true", "application_credentials":
                                     "true", "access_rules": "false", "trust": "false"},
        "service_available": {"nova": "true", "glance": "true", "neutron": "true",
                              "cinder": "true", "swift": "false", "heat": "false",
                              "horizon": "false", "placement": "false"},
        "compute": {"image_ref": image["id"], "image_ref_alt": image["id"],
                    "flavor_ref": flavors["m1.nano"], "flavor_ref_alt": flavors["m1.micro"],
                    "region": "RegionOne",
                    "min_microversion": compute_min, "max_microversion": compute_max,
                    "build_timeout": "300", "build_interval": "1"},
        "compute-feature-enabled": {**flags(COMPUTE_FEATURES_OFF, "false"),
                                    **flags(COMPUTE_FEATURES_ON, "true")},
        "image": {"region": "RegionOne", "build_timeout": "300", "build_interval": "1"},
        "image-feature-enabled": {**flags(IMAGE_FEATURES_OFF, "false"),
                                  "api_v2": "true", "api_v1": "false"},
        "network": {"region": "RegionOne", "public_network_id": public["id"],
                    "floating_network_name": PUBLIC_NETWORK,
                    "project_networks_reachable": "false", "build_timeout": "300",
                    "build_interval": "1", "shared_physical_network": "false"},
        "network-feature-enabled": {"api_extensions": ",".join(extensions) or "None",
                                    "ipv6": "false", "ipv6_subnet_attributes": "false",
                                    "floating_ips": "true", "port_security": "true"},
        "volume": {"catalog_type": "block-storage", "region": "RegionOne",
                   "min_microversion": volume_min, "max_microversion": volume_max,
                   "build_timeout": "300", "build_interval": "1",
                   "volume_size": "1", "disk_format": "raw,qcow2",
                   "storage_protocol": pool["storage_protocol"],
                   "vendor_name": pool["vendor_name"]},
        "volume-feature-enabled": {**flags(VOLUME_FEATURES_OFF, "false"),
                                   "api_v3": "true",
                                   "api_extensions": ",".join(volume_extensions)},
        "validation": {"run_validation": "false"},
        "object-storage": {"operator_role": "member"},
    }
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, "etc", "tempest.conf")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for section, values in sections.items():
            f.write(f"[{section}]\n")
            for key, value in values.items():
                f.write(f"{key} = {value}\n")
            f.write("\n")
    return path


SERVICE = re.compile(r"tempest\.api\.(\w+)\.")


def summary(csv_path):
    """Per-service pass/fail/skip counts from ``subunit2csv`` output; failed tests listed.

    A class whose set-up fails or is skipped (by a feature flag) is one row named
    ``setUpClass (…)``, its tests never ran: counted apart as ``class fail``/``class skip``.
    """
    counts = collections.defaultdict(collections.Counter)
    failed = []
    with open(csv_path) as f:
        for row in csv.DictReader(f):
            match = SERVICE.search(row["test"])
            service = match.group(1) if match else "other"
            status = {"success": "pass", "xfail": "pass", "fail": "fail", "failure": "fail",
                      "uxsuccess": "fail", "skip": "skip"}.get(row["status"])
            if status is None:
                continue
            if row["test"].startswith("setUpClass") and status != "pass":
                status = "class " + status
            counts[service][status] += 1
            if status == "fail":
                failed.append(re.sub(r"\[.*\]$", "", row["test"]))
    columns = ("pass", "fail", "skip", "class fail", "class skip")
    print(f"{'service':<10}" + "".join(f"{name:>12}" for name in columns))
    total = collections.Counter()
    for service in sorted(counts) + ["total"]:
        c = total if service == "total" else counts[service]
        print(f"{service:<10}" + "".join(f"{c[name]:>12}" for name in columns))
        total.update(c)
    for name in failed:
        print("FAILED " + name)
    return 1 if failed else 0


def passed(csv_path):
    """The tests that passed, as include-list lines (anchored, exact test names)."""
    with open(csv_path) as f:
        names = sorted({re.sub(r"\[.*\]$", "", row["test"]) for row in csv.DictReader(f)
                        if row["status"] == "success"})
    for name in names:
        print("^" + re.escape(name) + r"\b")
    return 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("conf", help="write tempest.conf for the cloud in CONFIG_DIR")
    c.add_argument("config_dir")
    c.add_argument("workdir")
    s = sub.add_parser("summary", help="per-service counts from a subunit2csv file")
    s.add_argument("csv")
    s = sub.add_parser("passed", help="include-list lines of the tests that passed")
    s.add_argument("csv")
    args = p.parse_args(argv)
    if args.command == "conf":
        print(build_conf(args.config_dir, args.workdir))
        return 0
    return summary(args.csv) if args.command == "summary" else passed(args.csv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
