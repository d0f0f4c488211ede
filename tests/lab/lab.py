"""A multi-host lab on one machine, for the deployment tests.

Each lab host is a network namespace with an address on the lab's management bridge,
plus mount, UTS and PID namespaces of its own: a hostname, its own /run and /etc/hosts,
private copies of the directories that make one host differ from another (pocketstack's,
libvirt's, PostgreSQL's, RabbitMQ's, /etc/sysctl.d), and an sshd on its management
address that lets root in with the lab's key. Whatever Ansible starts over that SSH
runs inside the host: each compute host gets its own libvirtd, so its guests' taps,
bridges, VXLAN devices and qdhcp- namespaces are the host's own. Everything else (the
installed packages, /usr, /etc/passwd) is the machine's, shared.

Addresses come from 198.18.0.0/15 (RFC 2544's benchmarking range, used by no real
network here): lab slot N gets 198.18.N.0/24, the bridge ``pslabN`` holding .1 in the
root namespace and hosts from .11 up. The bridge has no port on a real interface and
nothing routes or NATs out of it, so all traffic stays inside the namespaces.

Teardown, also when a test fails: killing a host's PID 1 ends every process of the host
(the kernel kills a PID namespace with its init), which frees its mount namespace and
with it the namespaces only it held; then the host's network namespace, the bridge and
the working directory go. If the test process itself dies, its lab hosts die with it
(PR_SET_PDEATHSIG), and the next lab that takes the slot removes the leftovers.
"""
import contextlib
import fcntl
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

HOST_INIT = Path(__file__).resolve().parent / "host-init.sh"
LOCK_DIR = Path("/run/pocketstack-lab")
SLOTS = range(1, 100)
FIRST_HOST_ADDRESS = 11

# Directories each host has a copy of its own: "empty" starts empty (the machine's
# owner and mode), "tree" copies the directory tree without its files, "copy" copies
# everything (configuration a package installed).
PRIVATE_DIRECTORIES = (
    ("/etc/pocketstack", "empty"),
    ("/var/lib/pocketstack", "empty"),
    ("/var/log/pocketstack", "empty"),
    ("/opt/pocketstack", "empty"),
    ("/etc/libvirt", "copy"),
    ("/var/lib/libvirt", "tree"),
    ("/var/cache/libvirt", "tree"),
    ("/var/log/libvirt", "tree"),
    ("/etc/postgresql", "empty"),
    ("/var/lib/postgresql", "empty"),
    ("/var/log/postgresql", "empty"),
    ("/etc/rabbitmq", "copy"),
    ("/var/lib/rabbitmq", "empty"),
    ("/var/log/rabbitmq", "empty"),
    ("/etc/sysctl.d", "copy"),
)


def run(*cmd, check=True, timeout=60, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n"
                           f"{result.stdout}{result.stderr}")
    return result


def _copy_owner_and_mode(source, target):
    st = os.stat(source)
    os.chown(target, st.st_uid, st.st_gid)
    os.chmod(target, st.st_mode & 0o7777)


def _make_private_copy(path, how, target):
    """The host's own version of ``path`` at ``target``."""
    source = Path(path)
    if not source.exists():     # pocketstack's own directories, on a fresh machine
        source.mkdir(mode=0o755, parents=True, exist_ok=True)
    if how == "copy":
        run("cp", "--archive", str(source), str(target))
        # A host starts with no libvirt networks of its own (Debian's "default" NAT).
        for link in (target / "qemu" / "networks" / "autostart").glob("*.xml"):
            link.unlink()
        return
    target.mkdir(parents=True)
    _copy_owner_and_mode(source, target)
    if how == "tree":
        for directory, subdirs, _files in os.walk(source):
            for name in subdirs:
                original = Path(directory) / name
                copy = target / original.relative_to(source)
                copy.mkdir()
                _copy_owner_and_mode(original, copy)


class LabHost:
    """One host of the lab: a network namespace, a PID 1 in its other namespaces, sshd."""

    def __init__(self, lab, name, index):
        self.lab = lab
        self.name = name
        self.address = str(lab.network.network_address + FIRST_HOST_ADDRESS + index)
        self.netns = f"pslab{lab.slot}-{name}"
        self.veth = f"pl{lab.slot}-{index}"
        self.dir = lab.workdir / "hosts" / name
        self.process = None

    # ------------------------------------------------------------------ building it

    def create(self):
        self._make_network()
        self._make_filesystem()
        self._write_sshd_config()
        self.dir.joinpath("hostname").write_text(self.name + "\n")
        self._start_init()

    def _make_network(self):
        run("ip", "netns", "add", self.netns)
        run("ip", "link", "add", self.veth, "type", "veth",
            "peer", "name", self.veth + "p", "netns", self.netns)
        run("ip", "link", "set", self.veth, "master", self.lab.bridge, "up")
        inside = ("ip", "-n", self.netns)
        run(*inside, "link", "set", self.veth + "p", "name", "eth0")
        run(*inside, "addr", "add", f"{self.address}/{self.lab.network.prefixlen}",
            "dev", "eth0")
        run(*inside, "link", "set", "eth0", "up")
        run(*inside, "link", "set", "lo", "up")

    def _make_filesystem(self):
        mounts = []
        for path, how in PRIVATE_DIRECTORIES:
            target = self.dir / "fs" / path.strip("/").replace("/", "_")
            _make_private_copy(path, how, target)
            mounts.append(f"{target} {path}")
        hosts = self.dir / "hosts"
        hosts.write_text("127.0.0.1\tlocalhost\n" + "".join(
            f"{host.address}\t{host.name}\n" for host in self.lab.hosts.values()))
        hosts.chmod(0o644)
        mounts.append(f"{hosts} /etc/hosts")
        self.dir.joinpath("mounts").write_text("\n".join(mounts) + "\n")

    def _write_sshd_config(self):
        key = self.dir / "ssh_host_ed25519_key"
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", self.name, "-f", str(key))
        self.dir.joinpath("sshd_config").write_text(f"""\
ListenAddress {self.address}
HostKey {key}
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
AuthorizedKeysFile {self.lab.key}.pub
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# The key lives in the lab's directory, which may be below a world-writable /tmp.
StrictModes no
MaxStartups 100
PrintMotd no
Subsystem sftp /usr/lib/openssh/sftp-server
""")

    def _start_init(self):
        log = open(self.dir / "init.log", "ab")
        with log:
            # setpriv: the host dies with the test process; unshare --kill-child: when
            # unshare dies, so does the host's PID 1, and with it the whole host.
            self.process = subprocess.Popen(
                ["setpriv", "--pdeathsig", "KILL", "ip", "netns", "exec", self.netns,
                 "unshare", "--mount", "--uts", "--pid", "--fork", "--mount-proc",
                 "--kill-child", "--propagation", "private", str(HOST_INIT), str(self.dir)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)

    def wait_for_ssh(self, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"lab host {self.name} exited ({self.process.returncode}): "
                                   + self.dir.joinpath("init.log").read_text(errors="replace"))
            with socket.socket() as sock:
                sock.settimeout(1)
                if sock.connect_ex((self.address, 22)) == 0:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"sshd of lab host {self.name} is not answering")
            time.sleep(0.1)

    # ------------------------------------------------------------------ using it

    @property
    def init_pid(self):
        """PID 1 of the host, as the root namespace sees it."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return int(children.read_text().split()[0])

    def ssh(self, command, check=True, timeout=120):
        """Run a shell command on the host as root, over SSH as Ansible does."""
        return run("ssh", *self.lab.ssh_options, f"root@{self.address}", command,
                   check=check, timeout=timeout)

    def enter(self, *cmd):
        """argv that runs ``cmd`` inside every namespace of the host (no SSH)."""
        return ["nsenter", "--target", str(self.init_pid), "--all", *cmd]

    # ------------------------------------------------------------------ removing it

    def destroy(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()         # --kill-child: PID 1, and so the whole host, dies
            self.process.wait(timeout=30)
        run("ip", "netns", "delete", self.netns, check=False)


class Lab:
    """Hosts on a private management network; a context manager that always cleans up.

    ``Lab(workdir, ["ctl", "compute1", "compute2"])``: the first host gets .11, the
    next .12, ... of the lab's /24; ``lab.hosts[name]`` is a LabHost; ``lab.key`` the
    private key root logs in with.
    """

    def __init__(self, workdir, names):
        self.workdir = Path(workdir)
        self.names = list(names)
        self.slot = None
        self._slot_lock = None
        self.hosts = {}

    @property
    def network(self):
        return ipaddress.ip_network(f"198.18.{self.slot}.0/24")

    @property
    def bridge(self):
        return f"pslab{self.slot}"

    @property
    def gateway(self):
        return str(self.network.network_address + 1)

    @property
    def key(self):
        return self.workdir / "id_ed25519"

    @property
    def ssh_options(self):
        return ["-i", str(self.key), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self._take_slot()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.workdir.chmod(0o755)
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pocketstack-lab",
            "-f", str(self.key))
        run("ip", "link", "add", self.bridge, "type", "bridge")
        run("sysctl", "-qw", f"net.ipv6.conf.{self.bridge}.disable_ipv6=1")
        run("ip", "addr", "add", f"{self.gateway}/{self.network.prefixlen}", "dev", self.bridge)
        run("ip", "link", "set", self.bridge, "up")
        self.hosts = {name: LabHost(self, name, index) for index, name in enumerate(self.names)}
        for host in self.hosts.values():
            host.create()
        for host in self.hosts.values():
            host.wait_for_ssh()

    def stop(self):
        for host in self.hosts.values():
            with contextlib.suppress(Exception):
                host.destroy()
        if self.slot is not None:
            self._remove_network(self.slot)
            fcntl.flock(self._slot_lock, fcntl.LOCK_UN)
            os.close(self._slot_lock)
            self.slot = None
        shutil.rmtree(self.workdir / "hosts", ignore_errors=True)

    def _take_slot(self):
        LOCK_DIR.mkdir(mode=0o755, exist_ok=True)
        for slot in SLOTS:
            fd = os.open(LOCK_DIR / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.slot, self._slot_lock = slot, fd
            self._remove_network(slot)      # what a dead test process left behind
            return
        raise RuntimeError(f"every lab slot in {LOCK_DIR} is taken")

    @staticmethod
    def _remove_network(slot):
        for line in run("ip", "netns", "list").stdout.splitlines():
            name = line.split()[0] if line.split() else ""
            if name.startswith(f"pslab{slot}-"):
                run("ip", "netns", "delete", name, check=False)
        # A namespace may outlive its name for a while; its veths must go now.
        for line in run("ip", "-o", "link", "show", "type", "veth").stdout.splitlines():
            name = line.split(":")[1].strip().split("@")[0]
            if name.startswith(f"pl{slot}-"):
                run("ip", "link", "delete", name, check=False)
        run("ip", "link", "delete", f"pslab{slot}", check=False)

    def inventory(self, groups, host_vars=None):
        """An Ansible inventory (as a dict) of the lab's hosts: ``groups`` maps group
        names to host names; every host gets its address and the lab's SSH key."""
        hosts = {}
        for host in self.hosts.values():
            hosts[host.name] = {
                "ansible_host": host.address,
                "ansible_user": "root",
                "ansible_ssh_private_key_file": str(self.key),
                "ansible_ssh_common_args": " ".join(self.ssh_options[2:]),
                "ansible_python_interpreter": "/usr/bin/python3",
                "pocketstack_management_ip": host.address,
                **(host_vars or {}).get(host.name, {}),
            }
        return {"all": {"hosts": hosts, "children": {
            group: {"hosts": {name: None for name in members}}
            for group, members in groups.items()}}}
