#!/usr/bin/env bash
# Prepare this machine to run pocketstack: Debian/Ubuntu packages, libvirtd (also where
# there is no systemd), the project's venv, the stock clients' venv, the tiny guest image,
# and `pocketstack` and `openstack` in /usr/local/bin. Idempotent: a second run checks,
# changes nothing and takes a few seconds. Run as root, or as a user with sudo (it
# re-runs itself through sudo).
#
#   tools/install.sh              # what the all-in-one (`pocketstack up`) needs
#   tools/install.sh --multi-host # also RabbitMQ, PostgreSQL and Ansible (ansible/)
#   tools/install.sh --test       # also what tools/test.sh needs (it runs this itself)
#   tools/install.sh --no-image   # skip building images/build/pocketstack-tiny.qcow2
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || {
        echo "install.sh: run as root (it installs packages and starts libvirtd)" >&2
        exit 1
    }
    exec sudo -- "$0" "$@"
fi

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD_IMAGE=1 MULTI_HOST=0 TEST=0
for arg in "$@"; do
    case "$arg" in
        --no-image) BUILD_IMAGE=0 ;;
        --multi-host) MULTI_HOST=1 ;;
        --test) TEST=1 MULTI_HOST=1 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

# What the venvs are built with: installed first, so pip can start while the rest of the
# packages download and unpack.
BUILD_PACKAGES=(
    # building libvirt-python
    libvirt-dev pkg-config gcc python3-dev python3-venv
)
PACKAGES=(
    # hypervisor and its management
    qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients
    # host networking: bridges are made with pyroute2; DHCP by dnsmasq in namespaces
    dnsmasq-base dnsmasq-utils iproute2 iputils-ping nftables
    # building the tiny guest image without loop devices or mounts
    mtools syslinux syslinux-common dosfstools fdisk cpio busybox-static zstd xz-utils
    # reaching guests over SSH
    openssh-client
    # the dashboard's serial console is term.js (noVNC's pages: tools/install-novnc.sh)
    libjs-term.js
)
MULTI_HOST_PACKAGES=(
    # message queue and database of a multi-process deployment
    rabbitmq-server postgresql
    # the deployment tests' lab hosts (tests/lab): sshd, sudo (Ansible's become) and what
    # Ansible's modules import
    openssh-server sudo python3-apt python3-psycopg2 python3-requests
)
# the dashboard's browser tests: headless Chromium driven by Selenium
TEST_PACKAGES=(chromium chromium-driver)
[ "$MULTI_HOST" = 1 ] && PACKAGES+=("${MULTI_HOST_PACKAGES[@]}")
[ "$TEST" = 1 ] && PACKAGES+=("${TEST_PACKAGES[@]}")

# Debian's own Python, the one python3-venv and libvirt-dev are installed for (not
# whatever python3 comes first on PATH, such as a pyenv shim).
PYTHON=/usr/bin/python3
# The venvs are filled by uv (from PyPI), which downloads and installs in parallel: about
# 4x faster than pip for the same versions (docs/benchmarks.md, "Zero to pingable VM").
# One cache for every venv and every user who runs this through sudo: a venv made again
# (a changed setup.cfg) reuses the wheels built before (libvirt-python compiles).
export PIP_CACHE_DIR=/var/cache/pocketstack/pip PIP_DISABLE_PIP_VERSION_CHECK=1
export UV_CACHE_DIR=/var/cache/pocketstack/uv UV_NATIVE_TLS=1 UV_NO_PROGRESS=1
UV_HOME=/var/cache/pocketstack/uv-tool      # a venv that holds uv itself
UV=$UV_HOME/bin/uv
# apt: a connection per mirror host, requests pipelined.
APT_OPTIONS=(-o Acquire::Queue-Mode=host -o Acquire::http::Pipeline-Depth=10
             -o Acquire::Retries=3)
LOGS=$(mktemp -d /tmp/pocketstack-install.XXXXXX)
trap 'rm -rf "$LOGS"' EXIT

log() { printf '==> %s\n' "$*"; }

missing() {     # the packages of "$@" that are not installed, in one dpkg-query
    local installed
    installed=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null \
        | awk '/ install ok installed$/ { print $1 }')
    local pkg
    for pkg in "$@"; do
        grep -qx "$pkg" <<<"$installed" || echo "$pkg"
    done
}

apt_install() {
    # Packages' own services must not start from their postinst where there is no init.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${APT_OPTIONS[@]}" "$@" >/dev/null
}

# Background steps run in parallel; `finish` waits for all and fails if one did.
jobs_started=()
start() {
    local name=$1
    shift
    log "$name (in the background)"
    ( "$@" ) >"$LOGS/$name.log" 2>&1 &
    jobs_started+=("$!:$name")
}
finish() {
    local job failed=0
    for job in "${jobs_started[@]}"; do
        if ! wait "${job%%:*}"; then
            echo "install.sh: ${job#*:} failed:" >&2
            tail -n 40 "$LOGS/${job#*:}.log" >&2
            failed=1
        fi
    done
    jobs_started=()
    [ "$failed" = 0 ]
}

mapfile -t missing_build < <(missing "${BUILD_PACKAGES[@]}")
mapfile -t missing_rest < <(missing "${PACKAGES[@]}")
# The console proxy's noVNC pages ([console_proxy] web), without the novnc package's
# dependencies.
NOVNC_DIR=/usr/local/share/novnc
novnc_missing=0
[ -f "$NOVNC_DIR/vnc_lite.html" ] || novnc_missing=1
if [ $(( ${#missing_build[@]} + ${#missing_rest[@]} + novnc_missing )) -gt 0 ]; then
    log "apt-get update"
    apt-get update -qq "${APT_OPTIONS[@]}"
fi
if [ "${#missing_build[@]}" -gt 0 ]; then
    log "installing ${missing_build[*]}"
    apt_install "${missing_build[@]}"
fi
"$REPO/tools/install-novnc.sh" "$NOVNC_DIR"
image() {
    [ "$BUILD_IMAGE" = 1 ] || return 0
    log "building the pocketstack-tiny image (cached)"
    "$REPO/images/build.sh" "$REPO/images/build"
}
if [ "${#missing_rest[@]}" -gt 0 ]; then
    # The image is built from packages this installs (mtools, syslinux, qemu-utils).
    start packages-and-image eval 'apt_install "${missing_rest[@]}" && image'
else
    log "Debian packages present"
    start image image
fi

if [ ! -x "$UV" ]; then
    log "installing uv"
    "$PYTHON" -m venv --clear "$UV_HOME"
    "$UV_HOME/bin/pip" install -q uv
fi
make_venv() {   # DIR PACKAGE...: a venv (with pip, for users' own installs) with these packages
    local dir=$1
    shift
    "$dir/bin/python" -c '' 2>/dev/null || "$UV" venv -q --clear --seed --python "$PYTHON" "$dir"
    "$UV" pip install -q --python "$dir/bin/python" "$@"
}

# The project's venv (with the test extras for --test), refreshed only when its
# requirements change.
stamp() { { sha256sum "$REPO/setup.cfg" "$REPO/pyproject.toml"; echo "$1"; } | sha256sum | cut -c1-16; }
fresh() { [ "$(cat "$REPO/.venv/.stamp$1" 2>/dev/null)" = "$(stamp "$1")" ]; }
project_venv() {
    if [ "$TEST" = 1 ]; then
        make_venv "$REPO/.venv" -e "$REPO[test]"
        stamp -test > "$REPO/.venv/.stamp-test"
    else
        make_venv "$REPO/.venv" -e "$REPO"
    fi
    stamp "" > "$REPO/.venv/.stamp"
}
if ! "$REPO/.venv/bin/python" -c '' 2>/dev/null || ! fresh "" || { [ "$TEST" = 1 ] && ! fresh -test; }; then
    start venv project_venv
else
    log "venv up to date"
fi

# The stock clients, in a venv of their own: the judges of API compatibility.
if [ ! -x "$REPO/.venv-clients/bin/openstack" ]; then
    start clients make_venv "$REPO/.venv-clients" python-openstackclient python-glanceclient
else
    log "stock clients present"
fi

# Ansible for ansible/ and its tests, in a venv of its own (the `ansible` package brings
# the community collections the roles use).
if [ "$MULTI_HOST" = 1 ] && [ ! -x "$REPO/.venv-ansible/bin/ansible-lint" ]; then
    start ansible make_venv "$REPO/.venv-ansible" "ansible>=11" "ansible-lint>=24" \
        "check-jsonschema>=0.28"
elif [ "$MULTI_HOST" = 1 ]; then
    log "Ansible present"
fi
finish

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

# `pocketstack` and `openstack` on everyone's PATH; a file of that name that is not ours
# is left alone.
BIN_DIR=${POCKETSTACK_BIN_DIR:-/usr/local/bin}
for link in "pocketstack:$REPO/.venv/bin/pocketstack" "openstack:$REPO/.venv-clients/bin/openstack"; do
    target=$BIN_DIR/${link%%:*}
    if [ -e "$target" ] && [ ! -L "$target" ]; then
        log "$target exists and is not a link: left as it is"
    elif [ "$(readlink "$target")" != "${link#*:}" ]; then
        ln -sfn "${link#*:}" "$target"
        log "linked $target"
    fi
done

log "done"
