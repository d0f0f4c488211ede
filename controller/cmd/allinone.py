"""``pocketstack up | down | status``: the whole cloud on this machine, in one command.

``up`` writes a configuration on first use, starts the controller's services and a local
agent in one background process (SQLite, in-process messaging), then makes the cloud
ready to use through its own public APIs, exactly as a user would: the ``demo`` project
and user, flavors, the ``pocketstack-tiny`` image, a ``private`` network and a keypair.
It writes ``clouds.yaml`` entries and an ``openrc``. Every step is idempotent, so
re-running ``up`` on a running cloud only checks it.
"""
import argparse
import os
import sys
import time

import requests

from controller.cmd import allinone_l3
from controller.cmd.allinone_files import (DEFAULT_CONFIG_DIR, DEFAULT_STATE_PATH,
                                           IMAGE_NAME, Layout, api_url, load_secrets,
                                           write_client_files, write_config)
from controller.cmd.allinone_process import (UpError, pocketstack_cli, running,
                                             start_process, stop_process)
from controller.cmd.allinone_setup import (Api, ensure_demo_access, ensure_demo_identity,
                                           ensure_flavors, ensure_image, ensure_keypair,
                                           ensure_private_network, find_ssh_public_key,
                                           invoking_user, wait_for_agent)


def _say(message):
    print(message, flush=True)


def up(args):
    layout = Layout(args.config_dir, args.state_path)
    started = time.monotonic()
    if os.geteuid() != 0:
        raise UpError("run as root: the agent drives libvirt and makes bridges and namespaces")
    os.makedirs(layout.config_dir, mode=0o755, exist_ok=True)
    passwords = load_secrets(layout)
    if write_config(layout, args, passwords):
        _say(f"wrote {layout.config_file}")
    url = api_url(layout)
    record = running(layout)
    if record is None:
        crashed = layout.lock.crashed()
        if crashed:
            _say(f"pocketstack (pid {crashed.pid}) did not stop cleanly; starting afresh")
        os.makedirs(layout.state_path, exist_ok=True)
        # One argument "--admin-password=X": a generated password may start with "-".
        pocketstack_cli(layout, "bootstrap", f"--admin-password={passwords['admin_password']}",
                        "--public-url", url)
        pocketstack_cli(layout, "metadefs-load")
        pid = start_process(layout)
        _say(f"started pocketstack (pid {pid}), logs in {layout.log_file}")
    else:
        _say(f"pocketstack is already running (pid {record.pid})")
    admin = Api(url, "admin", passwords["admin_password"], "admin")
    wait_for_agent(admin)
    ensure_demo_identity(admin, passwords["demo_password"])
    ensure_flavors(admin)
    ensure_image(admin)
    demo = Api(url, "demo", passwords["demo_password"], "demo")
    ensure_private_network(demo)
    ensure_demo_access(demo)
    allinone_l3.ensure_router(demo, allinone_l3.ensure_public_network(admin))
    keyname = ensure_keypair(demo, args.ssh_key or find_ssh_public_key(invoking_user()))
    clouds = write_client_files(layout, url, passwords, invoking_user(), args.clouds_yaml)
    key_arg = f" --key-name {keyname}" if keyname else ""
    _say(f"""
pocketstack is up at {url} ({time.monotonic() - started:.1f} s)
  clouds.yaml: {clouds} (clouds 'pocketstack' = demo, 'pocketstack-admin' = admin)
  openrc:      {layout.openrc}

Try:
  export OS_CLOUD=pocketstack
  openstack server create --image {IMAGE_NAME} --flavor m1.nano --network private{key_arg} --wait vm1
  openstack console log show vm1
  openstack floating ip create public        # then: openstack server add floating ip vm1 <ip>
  pocketstack ssh vm1                        # or: pocketstack exec vm1 -- ping -c1 {{ip}}
  pocketstack trace vm1
""")
    return 0


def delete_all_servers(admin, timeout=120):
    """Servers are deleted through the API so each one's disks and ports go with it."""
    servers = admin.get("compute", "/servers", all_tenants=1)["servers"]
    for server in servers:
        admin.delete("compute", f"/servers/{server['id']}")
    deadline = time.monotonic() + timeout
    while servers and time.monotonic() < deadline:
        servers = admin.get("compute", "/servers", all_tenants=1)["servers"]
        time.sleep(0.5)
    return not servers


def down(args):
    layout = Layout(args.config_dir, args.state_path)
    record = running(layout)
    if record is None and layout.lock.crashed():
        # Guests, ports and their daemons outlive a crash: start the cloud once more
        # so that deleting the servers through the API cleans them up as usual.
        _say("pocketstack did not stop cleanly; starting it to clean up")
        start_process(layout)
        record = running(layout)
    if record is None:
        _say("pocketstack is not running")
        return 0
    passwords = load_secrets(layout)
    try:
        admin = Api(api_url(layout), "admin", passwords["admin_password"], "admin")
        count = len(admin.get("compute", "/servers", all_tenants=1)["servers"])
        if count:
            _say(f"deleting {count} server(s)")
            if not delete_all_servers(admin):
                _say("some servers did not go away in time; the agent cleans up on exit")
    except (UpError, requests.RequestException) as exc:
        _say(f"could not delete servers through the API ({exc}); stopping anyway")
    clean = stop_process(record)
    layout.lock.forget()
    pocketstack_cli(layout, "l3-cleanup")
    _say("pocketstack stopped" + ("" if clean else " (killed after a timeout)"))
    return 0


def status(args):
    layout = Layout(args.config_dir, args.state_path)
    record = running(layout)
    if record is None:
        crashed = layout.lock.crashed()
        _say("pocketstack is not running" + (
            f" (pid {crashed.pid} did not stop cleanly: 'pocketstack down' cleans up)"
            if crashed else ""))
        return 3
    url = api_url(layout)
    _say(f"pocketstack is running (pid {record.pid}) at {url}")
    passwords = load_secrets(layout)
    try:
        admin = Api(url, "admin", passwords["admin_password"], "admin")
    except (UpError, requests.RequestException) as exc:
        _say(f"  the APIs do not answer: {exc}")
        return 1
    for service in admin.get("compute", "/os-services")["services"]:
        _say(f"  {service['binary']:<24} {service['host']:<24} {service['status']:<9} "
             f"{service['state']}")
    servers = admin.get("compute", "/servers", all_tenants=1)["servers"]
    _say(f"  servers: {len(servers)}")
    return 0


def parser():
    p = argparse.ArgumentParser(prog="pocketstack", description=__doc__.split("\n")[0])
    p.add_argument("--config-dir", default=os.environ.get("POCKETSTACK_CONFIG_DIR",
                                                          DEFAULT_CONFIG_DIR))
    p.add_argument("--state-path", help=f"state directory (default {DEFAULT_STATE_PATH})")
    return p


def _run(function, argv, extra=None):
    p = parser()
    if extra:
        extra(p)
    args = p.parse_args(argv)
    try:
        return function(args)
    except UpError as exc:
        print(f"pocketstack: {exc}", file=sys.stderr)
        return 1
    except requests.RequestException as exc:
        print(f"pocketstack: the APIs did not answer: {exc}", file=sys.stderr)
        return 1


def _up_options(p):
    p.add_argument("--bind-host", default="127.0.0.1",
                   help="address the APIs listen on (0.0.0.0 to reach them from elsewhere)")
    p.add_argument("--public-host", help="host name or address written into the catalog")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--host", help="the agent's host name (default: this machine's); a "
                                  "second cloud on one machine needs its own, as an agent "
                                  "removes the guests of its host that its cloud lacks")
    p.add_argument("--virt-type", choices=("auto", "kvm", "qemu"), default="auto",
                   help="auto: kvm when a guest really boots under KVM here, else qemu")
    p.add_argument("--ssh-key", help="SSH public key to import as keypair 'default' "
                                     "(default: ~/.ssh/id_*.pub of the invoking user)")
    p.add_argument("--clouds-yaml", help="write the clouds.yaml entries here instead of "
                                         "~/.config/openstack/clouds.yaml")


def main_up(argv):
    return _run(up, argv, _up_options)


def main_down(argv):
    return _run(down, argv)


def main_status(argv):
    return _run(status, argv)


if __name__ == "__main__":
    sys.exit(main_up(sys.argv[1:]))
