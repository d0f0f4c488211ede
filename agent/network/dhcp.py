"""DHCP for a network's ports on this host: a ``qdhcp-<network-id>`` namespace joined to
the network's bridge by a veth pair, and dnsmasq in it.

Every host that has ports of a network runs this for them (a simple distributed DHCP,
with no network node): the namespace end of the veth carries the DHCP port's MAC and
addresses on each host, dnsmasq knows only this host's ports (``dhcp-host`` entries,
everything else ignored), and the veth's bridge port is isolated from the tunnel so
hosts never see each other's DHCP namespace.

The namespace also holds 169.254.169.254/32, and DHCP routes that address via the DHCP
port (option 121): the seam where a metadata proxy started in this namespace will
answer guests.
"""
import ipaddress
import logging
import os
import shutil
import signal
import stat
import subprocess
import time

from pyroute2 import IPRoute, netns

from agent.network import bridge as bridge_module
from agent.network import metadata

LOG = logging.getLogger(__name__)

NAMESPACE_PREFIX = "qdhcp-"
ROOT_VETH_PREFIX = "dh-"
NAMESPACE_VETH_PREFIX = "ns-"
METADATA_CIDR = "169.254.169.254/32"
DEFAULT_ROUTE = "0.0.0.0/0"


def namespace_name(network_id):
    return NAMESPACE_PREFIX + network_id


def veth_names(network_id):
    """(root end on the bridge, end inside the namespace)."""
    return ROOT_VETH_PREFIX + network_id[:11], NAMESPACE_VETH_PREFIX + network_id[:11]


def state_dir(state_path, network_id):
    return os.path.join(state_path, "dhcp", network_id)


def host_entries(ports, dhcp_subnet_ids):
    """dnsmasq ``dhcp-host`` lines (MAC, hostname, IP) for the addresses of ``ports``
    on DHCP-enabled subnets."""
    lines = []
    for port in sorted(ports, key=lambda p: p["id"]):
        for fixed_ip in port["fixed_ips"]:
            if fixed_ip["subnet_id"] in dhcp_subnet_ids:
                hostname = "host-" + fixed_ip["ip_address"].replace(".", "-")
                lines.append(f"{port['mac_address']},{hostname},{fixed_ip['ip_address']}")
    return lines


def stale_leases(lease_lines, served_hosts):
    """The leases (ip, mac, client id or None) of dnsmasq's lease file that no
    ``dhcp-host`` line serves any more: the ports were deleted. Until released, dnsmasq
    keeps such an address for the old MAC and refuses it to the new port that IPAM
    gave it to ("not using configured address ... because it is leased to ...")."""
    served = set()
    for line in served_hosts:
        mac, _, ip = line.split(",")
        served.add((ip, mac))
    stale = []
    for line in lease_lines:
        fields = line.split()
        if len(fields) < 4:
            continue
        mac, ip = fields[1], fields[2]
        if (ip, mac) not in served:
            client_id = fields[4] if len(fields) > 4 and fields[4] != "*" else None
            stale.append((ip, mac, client_id))
    return stale


def subnet_options(subnet, dhcp_address, mtu):
    """dnsmasq ``dhcp-option`` lines of one subnet: classless static routes (metadata
    via the DHCP port, the subnet's host routes, the default route via the gateway),
    router, DNS servers, MTU."""
    tag = f"tag:subnet-{subnet['id']}"
    routes = [METADATA_CIDR, dhcp_address]
    for route in subnet["host_routes"]:
        routes += [route["destination"], route["nexthop"]]
    gateway = subnet["gateway_ip"]
    if gateway:
        routes += [DEFAULT_ROUTE, gateway]
    lines = [f"{tag},option:classless-static-route,{','.join(routes)}",
             # With no gateway, an empty router option stops dnsmasq offering itself.
             f"{tag},option:router" + (f",{gateway}" if gateway else ""),
             f"{tag},option:mtu,{mtu}"]
    if subnet["dns_nameservers"]:
        lines.append(f"{tag},option:dns-server,{','.join(subnet['dns_nameservers'])}")
    return lines


def _traversable_by_others(path):
    """Can an unprivileged user reach files in ``path``? dnsmasq reads its hosts file
    after dropping root."""
    path = os.path.abspath(path)
    while True:
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def _write_atomically(path, lines):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


class DhcpServer:
    """The DHCP namespace and dnsmasq of one network on this host."""

    def __init__(self, network_id, conf):
        self.network_id = network_id
        self.conf = conf
        self.namespace = namespace_name(network_id)
        self.root_veth, self.ns_veth = veth_names(network_id)
        self.dir = state_dir(conf.state_path, network_id)
        self.hosts_file = os.path.join(self.dir, "host")
        self.opts_file = os.path.join(self.dir, "opts")
        self.leases_file = os.path.join(self.dir, "leases")
        self.pid_file = os.path.join(self.dir, "pid")
        self.log_file = os.path.join(self.dir, "dnsmasq.log")

    # --- the namespace and its veth ----------------------------------------------

    def _ensure_namespace(self):
        if self.namespace not in netns.listnetns():
            LOG.info("creating namespace %s", self.namespace)
            netns.create(self.namespace)
        with IPRoute(netns=self.namespace) as ipr:
            ipr.link("set", index=ipr.link_lookup(ifname="lo")[0], state="up")

    def _ensure_veth(self, bridge, mac, addresses, mtu):
        """The veth pair, its root end isolated on the bridge, its namespace end with
        the DHCP port's MAC and exactly ``addresses`` (``ip/prefixlen``)."""
        if not bridge_module.link_exists(self.root_veth):
            LOG.info("creating veth %s <-> %s:%s", self.root_veth, self.namespace,
                     self.ns_veth)
            with IPRoute() as ipr:
                ipr.link("add", ifname=self.root_veth, kind="veth",
                         peer={"ifname": self.ns_veth, "net_ns_fd": self.namespace})
        bridge_module.disable_ipv6(self.root_veth)
        with IPRoute() as ipr:
            ipr.link("set", index=ipr.link_lookup(ifname=self.root_veth)[0], mtu=mtu)
        bridge_module.attach(self.root_veth, bridge, isolated=True)
        with IPRoute(netns=self.namespace) as ipr:
            index = ipr.link_lookup(ifname=self.ns_veth)[0]
            link = ipr.get_links(index)[0]
            if link.get_attr("IFLA_ADDRESS") != mac:
                ipr.link("set", index=index, state="down")
                ipr.link("set", index=index, address=mac)
            ipr.link("set", index=index, mtu=mtu, state="up")
            current = {f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}"
                       for a in ipr.get_addr(index=index, family=2)}
            for cidr in current - set(addresses):
                address, prefixlen = cidr.split("/")
                ipr.addr("del", index=index, address=address, prefixlen=int(prefixlen))
            for cidr in sorted(set(addresses) - current):
                address, prefixlen = cidr.split("/")
                ipr.addr("add", index=index, address=address, prefixlen=int(prefixlen))

    # --- dnsmasq -----------------------------------------------------------------

    def _command(self, subnets):
        lease = self.conf.network.dhcp_lease_duration
        command = [self.conf.network.nsenter, f"--net=/run/netns/{self.namespace}",
                   self.conf.network.dnsmasq, "--conf-file=/dev/null", "--no-hosts",
                   "--no-resolv", "--port=0", "--bind-interfaces",
                   f"--interface={self.ns_veth}", "--except-interface=lo",
                   f"--pid-file={self.pid_file}", f"--dhcp-hostsfile={self.hosts_file}",
                   f"--dhcp-optsfile={self.opts_file}",
                   f"--dhcp-leasefile={self.leases_file}", "--dhcp-ignore=tag:!known",
                   f"--domain={self.conf.network.dns_domain}",
                   f"--log-facility={self.log_file}"]
        for subnet in sorted(subnets, key=lambda s: s["id"]):
            net = ipaddress.ip_network(subnet["cidr"])
            command.append(f"--dhcp-range=set:subnet-{subnet['id']},{net.network_address},"
                           f"static,{net.netmask},{lease}s")
        if self.conf.debug:
            command.append("--log-dhcp")
        # dnsmasq drops root once started, and must still read its files then.
        command.append("--user=" + ("nobody" if _traversable_by_others(self.dir) else "root"))
        return command

    def pid(self):
        """The pid of this network's dnsmasq, if it runs."""
        try:
            with open(self.pid_file) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            return None
        return pid if self._is_ours(pid) else None

    def _is_ours(self, pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
        except OSError:
            return False
        return os.path.basename(argv[0]) == "dnsmasq" and f"--pid-file={self.pid_file}" in argv

    def _running_command(self, pid):
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace").rstrip("\0").split("\0")

    def _start(self, command):
        LOG.info("starting dnsmasq in %s", self.namespace)
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise RuntimeError(f"dnsmasq for network {self.network_id} failed to start "
                               f"({result.returncode}): {result.stderr.strip()}")

    def configure(self, bridge, dhcp_port, subnets, mtu, ports):
        """Make the namespace, its veth, dnsmasq's files and dnsmasq itself match: DHCP
        for ``ports`` (this host's) on the DHCP-enabled ``subnets``, served from
        ``dhcp_port``'s addresses. A change of hosts or options reaches a running
        dnsmasq by SIGHUP (leases kept); a change of subnets restarts it."""
        dhcp_addresses = {ip["subnet_id"]: ip["ip_address"] for ip in dhcp_port["fixed_ips"]}
        served = [subnet for subnet in subnets
                  if subnet["enable_dhcp"] and subnet["id"] in dhcp_addresses]
        addresses = [f"{dhcp_addresses[s['id']]}/{ipaddress.ip_network(s['cidr']).prefixlen}"
                     for s in served] + [METADATA_CIDR]
        os.makedirs(self.dir, mode=0o755, exist_ok=True)
        self._ensure_namespace()
        self._ensure_veth(bridge, dhcp_port["mac_address"], addresses, mtu)
        hosts = host_entries(ports, {subnet["id"] for subnet in served})
        _write_atomically(self.hosts_file, hosts)
        _write_atomically(self.opts_file, [line for s in served for line in
                                           subnet_options(s, dhcp_addresses[s["id"]], mtu)])
        metadata.serve(self.network_id, self.namespace, ports, self.conf.host)
        command = self._command(served)
        pid = self.pid()
        if pid is not None and self._running_command(pid) == command[2:]:
            os.kill(pid, signal.SIGHUP)
            self._release_stale_leases(hosts)
            return
        if pid is not None:
            self._stop_process(pid)
        self._start(command)

    def reload_hosts(self, ports, dhcp_subnet_ids):
        """Serve exactly ``ports`` now: rewrite the hosts file, SIGHUP dnsmasq."""
        hosts = host_entries(ports, dhcp_subnet_ids)
        _write_atomically(self.hosts_file, hosts)
        metadata.update_ports(self.network_id, ports)
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGHUP)
            self._release_stale_leases(hosts)

    def _release_stale_leases(self, hosts):
        """Ask the running dnsmasq (by a DHCPRELEASE from inside the namespace) to drop
        the leases of ports gone from ``hosts``, as Neutron's DHCP agent does."""
        try:
            with open(self.leases_file) as f:
                stale = stale_leases(f.read().splitlines(), hosts)
        except FileNotFoundError:
            return
        for ip, mac, client_id in stale:
            command = [self.conf.network.nsenter, f"--net=/run/netns/{self.namespace}",
                       self.conf.network.dhcp_release, self.ns_veth, ip, mac]
            if client_id:
                command.append(client_id)
            result = subprocess.run(command, capture_output=True, text=True, timeout=10)
            if result.returncode != 0:
                LOG.warning("could not release the DHCP lease of %s (%s) on network %s: "
                            "%s", ip, mac, self.network_id, result.stderr.strip())
            else:
                LOG.info("released the DHCP lease of %s (%s) on network %s", ip, mac,
                         self.network_id)

    def _stop_process(self, pid, timeout=5):
        LOG.info("stopping dnsmasq %d of network %s", pid, self.network_id)
        try:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self._is_ours(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if self._is_ours(pid):
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _stray_pids(self):
        """dnsmasq processes of this network even without a pid file."""
        return [int(entry) for entry in os.listdir("/proc")
                if entry.isdigit() and self._is_ours(int(entry))]

    def destroy(self):
        """Stop dnsmasq and the metadata service, delete the namespace (and with it the
        veth) and the files."""
        metadata.stop(self.network_id)
        for pid in self._stray_pids():
            self._stop_process(pid)
        bridge_module.delete_link(self.root_veth)
        if self.namespace in netns.listnetns():
            LOG.info("removing namespace %s", self.namespace)
            netns.remove(self.namespace)
        shutil.rmtree(self.dir, ignore_errors=True)
