#!/usr/bin/env bash
# Prepare this machine to run pocketstack: Debian/Ubuntu packages, libvirtd (also where
# there is no systemd), the project's venv, the stock clients' venv and the tiny guest
# image. Idempotent: a second run checks, changes nothing and takes a few seconds.
#
#   sudo tools/install.sh            # everything
#   sudo tools/install.sh --no-image # skip building images/build/pocketstack-tiny.qcow2
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD_IMAGE=1
for arg in "$@"; do
    case "$arg" in
        --no-image) BUILD_IMAGE=0 ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

if [ "$(id -u)" != 0 ]; then
    echo "install.sh: run as root (it installs packages and starts libvirtd)" >&2
    exit 1
fi

PACKAGES=(
    # hypervisor and its management
    qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients
    # building libvirt-python
    libvirt-dev pkg-config gcc python3-dev python3-venv
    # host networking: bridges are made with pyroute2; DHCP by dnsmasq in namespaces
    dnsmasq-base dnsmasq-utils iproute2 iputils-ping nftables
    # building the tiny guest image without loop devices or mounts
    mtools syslinux syslinux-common dosfstools fdisk cpio busybox-static zstd xz-utils
    # the SSH client the tests use to reach guests
    openssh-client
    # message queue and database for multi-process deployments (and their tests)
    rabbitmq-server postgresql
    # the deployment tests' lab hosts (tests/lab): sshd, sudo (Ansible's become) and what
    # Ansible's modules import
    openssh-server sudo python3-apt python3-psycopg2 python3-requests
)

log() { printf '==> %s\n' "$*"; }

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Packages' own services must not start from their postinst where there is no init.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    log "Debian packages present"
fi

# libvirtd: systemd starts it where there is one; otherwise start it ourselves.
if ! virsh -c qemu:///system version >/dev/null 2>&1; then
    log "starting libvirtd"
    if [ -d /run/systemd/system ]; then
        systemctl enable --now libvirtd
    else
        mkdir -p /run/libvirt
        pgrep -x virtlogd >/dev/null || virtlogd -d
        pgrep -x libvirtd >/dev/null || libvirtd -d
    fi
    for _ in $(seq 50); do
        virsh -c qemu:///system version >/dev/null 2>&1 && break
        sleep 0.2
    done
    virsh -c qemu:///system version >/dev/null
else
    log "libvirtd running"
fi

# Without udev nothing gives /dev/kvm the group Debian's rule gives it, and qemu (run as
# libvirt-qemu, in group kvm) could not open it.
if [ -c /dev/kvm ] && getent group kvm >/dev/null; then
    chgrp kvm /dev/kvm && chmod 660 /dev/kvm
fi

# Bridged guests need the bridge module's netfilter hooks off, or the host's
# iptables would see (and could drop) tenant traffic.
modprobe br_netfilter 2>/dev/null || true
for key in net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables \
           net.bridge.bridge-nf-call-arptables; do
    [ -e "/proc/sys/${key//.//}" ] && sysctl -qw "$key=0" || true
done

# Debian's own Python, the one python3-venv and libvirt-dev were installed for (not
# whatever python3 comes first on PATH, such as a pyenv shim).
PYTHON=/usr/bin/python3

# The project's venv, refreshed only when its requirements change.
stamp() { sha256sum "$REPO/setup.cfg" "$REPO/pyproject.toml" | sha256sum | cut -c1-16; }
if ! "$REPO/.venv/bin/python" -c '' 2>/dev/null || [ "$(cat "$REPO/.venv/.stamp" 2>/dev/null)" != "$(stamp)" ]; then
    log "creating $REPO/.venv"
    "$REPO/.venv/bin/python" -c '' 2>/dev/null || "$PYTHON" -m venv --clear "$REPO/.venv"
    "$REPO/.venv/bin/pip" install -q --upgrade pip wheel
    "$REPO/.venv/bin/pip" install -q -e "$REPO[test]"
    stamp > "$REPO/.venv/.stamp"
else
    log "venv up to date"
fi

# The stock clients, in a venv of their own: the judges of API compatibility.
if [ ! -x "$REPO/.venv-clients/bin/openstack" ]; then
    log "installing the stock OpenStack clients into $REPO/.venv-clients"
    "$PYTHON" -m venv --clear "$REPO/.venv-clients"
    "$REPO/.venv-clients/bin/pip" install -q --upgrade pip
    "$REPO/.venv-clients/bin/pip" install -q python-openstackclient python-glanceclient
else
    log "stock clients present"
fi

# Ansible for ansible/ and its tests, in a venv of its own (the `ansible` package brings
# the community collections the roles use).
if [ ! -x "$REPO/.venv-ansible/bin/ansible-lint" ]; then
    log "installing Ansible into $REPO/.venv-ansible"
    "$PYTHON" -m venv --clear "$REPO/.venv-ansible"
    "$REPO/.venv-ansible/bin/pip" install -q --upgrade pip
    "$REPO/.venv-ansible/bin/pip" install -q "ansible>=11" "ansible-lint>=24" "check-jsonschema>=0.28"
else
    log "Ansible present"
fi

if [ "$BUILD_IMAGE" = 1 ]; then
    log "building the pocketstack-tiny image (cached)"
    "$REPO/images/build.sh" "$REPO/images/build"
fi

log "done"
