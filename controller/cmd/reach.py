"""``pocketstack ssh SERVER`` and ``pocketstack exec SERVER -- CMD``: reach an
all-in-one server without composing ``ip netns exec`` by hand.

Guests sit on bridges with no address in the host's namespace, so a server is reached
from inside a namespace: its floating IP from its router's ``qrouter-`` namespace (the
router translates it, as for the outside world), else its fixed IP from its network's
``qdhcp-`` namespace or a router's interface on its subnet.
"""
import argparse
import os
import sys

import requests
from pyroute2 import netns

from controller.cmd import allinone
from controller.cmd.allinone_files import Layout, api_url, load_secrets
from controller.cmd.allinone_process import UpError, running
from controller.cmd.allinone_setup import Api, find_ssh_public_key, invoking_user


def _admin(args):
    layout = Layout(args.config_dir, args.state_path)
    if running(layout) is None:
        raise UpError("pocketstack is not running")
    passwords = load_secrets(layout)
    return Api(api_url(layout), "admin", passwords["admin_password"], "admin")


def _server(admin, name_or_id):
    resp = admin.session.get(admin.url("compute", f"/servers/{name_or_id}"), timeout=30)
    if resp.status_code == 200:
        return resp.json()["server"]
    servers = [server for server in admin.get("compute", "/servers", all_tenants=1)["servers"]
               if server["name"] == name_or_id]
    if len(servers) != 1:
        raise UpError(f"{'no' if not servers else 'more than one'} server named "
                      f"{name_or_id!r}")
    return servers[0]


def locate(admin, server_id, namespaces, prefer_fixed=False):
    """(namespace, address) from which ``server_id`` is reachable on this host."""
    ports = admin.get("network", "/v2.0/ports", device_id=server_id)["ports"]
    floating, fixed = [], []
    for port in ports:
        for fip in admin.get("network", "/v2.0/floatingips", port_id=port["id"])[
                "floatingips"]:
            floating.append((f"qrouter-{fip['router_id']}", fip["floating_ip_address"]))
        for ip in port["fixed_ips"]:
            fixed.append((f"qdhcp-{port['network_id']}", ip["ip_address"]))
            for router_port in admin.get("network", "/v2.0/ports",
                                         device_owner="network:router_interface",
                                         network_id=port["network_id"])["ports"]:
                if ip["subnet_id"] in {i["subnet_id"] for i in router_port["fixed_ips"]}:
                    fixed.append((f"qrouter-{router_port['device_id']}", ip["ip_address"]))
    candidates = fixed + floating if prefer_fixed else floating + fixed
    for namespace, address in candidates:
        if namespace in namespaces:
            return namespace, address
    raise UpError(f"no namespace on this host reaches server {server_id} "
                  f"(no port, or its network is served elsewhere)")


def _private_key():
    """The invoking user's SSH key, the one ``up`` imported as keypair ``default``."""
    public = find_ssh_public_key(invoking_user())
    return public[:-len(".pub")] if public and os.path.exists(public[:-4]) else None


def _parser(prog):
    p = allinone.parser()
    p.prog = f"pocketstack {prog}"
    p.add_argument("server", help="name or ID of the server")
    p.add_argument("--fixed", action="store_true",
                   help="use the fixed IP even when the server has a floating IP")
    return p


def _target(args):
    admin = _admin(args)
    server = _server(admin, args.server)
    return locate(admin, server["id"], set(netns.listnetns()), args.fixed)


def _exec(namespace, command):
    os.execvp("nsenter", ["nsenter", f"--net=/run/netns/{namespace}", *command])


def main_ssh(argv):
    p = _parser("ssh")
    p.add_argument("-l", "--login", default="root", help="user on the guest (root)")
    p.add_argument("-i", "--identity", help="private key (default: the invoking "
                                            "user's, which up imported as 'default')")
    p.add_argument("command", nargs=argparse.REMAINDER, help="command to run there")
    args = p.parse_args(argv)
    try:
        namespace, address = _target(args)
    except (UpError, requests.RequestException) as exc:
        print(f"pocketstack ssh: {exc}", file=sys.stderr)
        return 1
    key = args.identity or _private_key()
    command = ["ssh", "-o", "StrictHostKeyChecking=no", "-o",
               "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]
    if key:
        command += ["-i", key]
    _exec(namespace, command + [f"{args.login}@{address}", *args.command])


def main_exec(argv):
    p = _parser("exec")
    p.add_argument("command", nargs=argparse.REMAINDER,
                   help="-- COMMAND [ARGS...]; {ip} in them becomes the server's address")
    args = p.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        p.error("a command is needed after --")
    try:
        namespace, address = _target(args)
    except (UpError, requests.RequestException) as exc:
        print(f"pocketstack exec: {exc}", file=sys.stderr)
        return 1
    os.environ["SERVER_IP"] = address
    _exec(namespace, [part.replace("{ip}", address) for part in command])
