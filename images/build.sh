#!/bin/bash
# Build pocketstack-tiny, the project's tiny test guest (like CirrOS):
#   images/build.sh [OUTDIR]      (default OUTDIR: images/build)
# writes OUTDIR/pocketstack-tiny.qcow2 and OUTDIR/pocketstack-tiny.manifest.
#
# Host packages needed (Debian 12): apt dpkg mtools syslinux syslinux-common
#   dosfstools fdisk qemu-utils cpio xz-utils coreutils util-linux
#   (and zstd only if a kernel ever ships .ko.zst modules)
# Guest packages, fetched with `apt-get download` (never installed):
#   linux-image-cloud-amd64 (-> its versioned linux-image-*), busybox-static,
#   dropbear-bin, libtomcrypt1, libtommath1, libgmp10, zlib1g, libcrypt1, libc6
#
# No loop devices, no mounts, no mknod. The FAT partition is built as
# a separate file (mkfs.fat -C, mcopy, syslinux --install) and copied to
# 1 MiB into the raw disk; mbr.bin goes to sector 0, sfdisk writes the table.
# Reproducible: fixed SOURCE_DATE_EPOCH, mtimes, volume ids and cpio order.
# Cached: nothing is rebuilt when the inputs hash (scripts + package
# versions) matches OUTDIR/pocketstack-tiny.stamp; .debs are kept in
# images/build/debs.
set -euo pipefail
trap 'echo "build.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(mkdir -p "${1:-$HERE/build}" && cd "${1:-$HERE/build}" && pwd)
DEBS=$HERE/build/debs
NAME=pocketstack-tiny
IMAGE=$OUT/$NAME.qcow2
STAMP=$OUT/$NAME.stamp
MANIFEST=$OUT/$NAME.manifest
export SOURCE_DATE_EPOCH=1700000000
export LC_ALL=C TZ=UTC

# kernel modules the guest loads (their dependencies are added)
MODULES="virtio_pci virtio_blk virtio_net isofs button evdev ata_piix sr_mod"
# shared objects dropbear needs (from /lib or /usr/lib of their packages)
DROPBEAR_LIBS="libtomcrypt.so.1 libtommath.so.1 libgmp.so.10 libz.so.1 libcrypt.so.1
libc.so.6 ld-linux-x86-64.so.2"
PACKAGES="busybox-static dropbear-bin libtomcrypt1 libtommath1 libgmp10 zlib1g libcrypt1 libc6"

mkdir -p "$DEBS"
exec 9>"$OUT/.build.lock"
flock 9

# --- resolve package versions (few apt-cache calls: each one is slow) ----
policy=$(apt-cache policy linux-image-cloud-amd64 $PACKAGES)
candidate() {
    local v
    v=$(awk -v p="$1:" '$1 == p { f = 1 } f && /Candidate:/ { print $2; exit }' <<<"$policy")
    if [ -z "$v" ] || [ "$v" = "(none)" ]; then
        echo "build.sh: no candidate for $1 (run apt-get update)" >&2
        exit 1
    fi
    echo "$v"
}
meta_ver=$(candidate linux-image-cloud-amd64)
# "Depends: linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)"
kdep=$(apt-cache show "linux-image-cloud-amd64=$meta_ver" |
    awk -F': ' '/^Depends:/ { print $2; exit }' | tr ',' '\n' |
    grep -o 'linux-image-[^ ]*-cloud-amd64 (= [^)]*)' | head -n1)
kpkg=${kdep%% *}
kpkg_ver=${kdep##* }
versions="linux-image-cloud-amd64=$meta_ver"$'\n'"$kpkg=${kpkg_ver%)}"
for p in $PACKAGES; do
    versions+=$'\n'"$p=$(candidate "$p")"
done

inputs_hash=$({
    echo "$versions"
    cd "$HERE"
    find build.sh tiny -type f | sort | xargs sha256sum
    find tiny -type l | sort | xargs -r ls -l
} | sha256sum | cut -d' ' -f1)

if [ -f "$IMAGE" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$inputs_hash" ]; then
    echo "$IMAGE is up to date"
    exit 0
fi

# --- download (cached) and unpack ---------------------------------------
WORK=$(mktemp -d "$OUT/.work.XXXXXX")
[ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/pkgs"
for pv in $versions; do
    [ "${pv%%=*}" = linux-image-cloud-amd64 ] && continue   # metapackage
    name=${pv%%=*} ver=${pv#*=}
    deb=$(ls "$DEBS/${name}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$deb" ]; then
        (cd "$DEBS" && apt-get download -qq "$pv" 2>&1 | grep -v unsandboxed >&2 || true)
        deb=$(ls "$DEBS/${name}_${ver//:/%3a}_"*.deb)
    fi
    dpkg-deb -x "$deb" "$WORK/pkgs"
done
P=$WORK/pkgs
kver=${kpkg#linux-image-}

# --- root filesystem (the whole guest runs from this initramfs) ---------
R=$WORK/rootfs
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,mnt,var,lib64,etc/dropbear}
mkdir -p -m 700 "$R/root"
chmod 1777 "$R/tmp"
ln -s ../run "$R/var/run"
cp -a "$HERE/tiny/rootfs/." "$R/"
chmod 755 "$R/etc/init.d/rcS" "$R/etc/init.d/rcK" "$R/etc/udhcpc.script" \
    "$R/sbin/powerbtn-watch"
chmod 600 "$R/etc/shadow"

install -m 755 "$P/bin/busybox" "$R/bin/busybox"
for applet in $("$R/bin/busybox" --list-full); do
    [ -e "$R/$applet" ] || ln -s /bin/busybox "$R/$applet"
done
ln -s bin/busybox "$R/init"

install -D -m 755 "$P/usr/sbin/dropbear" "$R/usr/sbin/dropbear"
mkdir -p "$R/lib/x86_64-linux-gnu"
for lib in $DROPBEAR_LIBS; do
    src=$P/lib/x86_64-linux-gnu/$lib
    [ -e "$src" ] || src=$P/usr/lib/x86_64-linux-gnu/$lib
    install -m 755 "$(readlink -f "$src")" "$R/lib/x86_64-linux-gnu/$lib"
done
ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$R/lib64/ld-linux-x86-64.so.2"

# kernel modules in load order, dependencies first (from each module's
# modinfo "depends=", which is what depmod writes into modules.dep)
MODSRC=$P/lib/modules/$kver
MODDST=$R/lib/modules/$kver
mkdir -p "$MODDST"
declare -A seen=()
module_file() {
    find "$MODSRC/kernel" -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" |
        head -n1
}
add_module() {
    local m=$1 f dep
    [ -n "${seen[$m]:-}" ] && return 0
    seen[$m]=1
    if grep -qE "/$m\.ko(\.xz|\.zst)?$" "$MODSRC/modules.builtin"; then
        return 0
    fi
    f=$(module_file "$m")
    [ -n "$f" ] || { echo "build.sh: module $m not found" >&2; exit 1; }
    case "$f" in
    *.xz) xz -dc "$f" >"$MODDST/$m.ko" ;;
    *.zst) zstd -qdc "$f" >"$MODDST/$m.ko" ;;
    *) cp "$f" "$MODDST/$m.ko" ;;
    esac
    for dep in $(tr '\0' '\n' <"$MODDST/$m.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
        add_module "${dep//-/_}"
    done
    echo "$m" >>"$MODDST/load-order"
}
for m in $MODULES; do
    add_module "$m"
done

find "$R" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$R" && find . -mindepth 1 | sort | cpio --quiet -o -H newc -R 0:0 --reproducible) >"$WORK/initrd.cpio"

# /dev/console must exist before init runs; a second newc archive holds the
# device node so that building needs no mknod (and no root).
newc_entry() { # name mode rdevmajor rdevminor
    local name=$1 hdr
    hdr=$(printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        0 "$2" 0 0 1 "$SOURCE_DATE_EPOCH" 0 0 0 "$3" "$4" $((${#name} + 1)) 0)
    printf '%s%s\0' "$hdr" "$name"
    head -c $(( (4 - (110 + ${#name} + 1) % 4) % 4 )) /dev/zero
}
{
    newc_entry dev/console $((0020000 | 0600)) 5 1
    newc_entry TRAILER!!! 0 0 0
} >>"$WORK/initrd.cpio"
# the kernel's xz decoder allocates the whole dictionary: keep it small
xz --check=crc32 --lzma2=preset=9e,dict=1MiB -T1 -c "$WORK/initrd.cpio" >"$WORK/initrd.img"

# --- FAT boot partition, built as a file ---------------------------------
cp "$P/boot/vmlinuz-$kver" "$WORK/vmlinuz"
cp "$HERE/tiny/syslinux.cfg" "$WORK/syslinux.cfg"
touch -d "@$SOURCE_DATE_EPOCH" "$WORK/vmlinuz" "$WORK/initrd.img" "$WORK/syslinux.cfg"
payload=$(( $(stat -c %s "$WORK/vmlinuz") + $(stat -c %s "$WORK/initrd.img") ))
part_mib=$(( payload / 1048576 + 3 ))
mkfs.fat -C -F 16 -n PSTINY -i 50535459 -h 2048 --invariant \
    "$WORK/boot.fat" $((part_mib * 1024)) >/dev/null
mcopy -m -i "$WORK/boot.fat" "$WORK/vmlinuz" "$WORK/initrd.img" "$WORK/syslinux.cfg" ::/
syslinux --install "$WORK/boot.fat"

# --- whole disk: MBR boot code, one bootable partition at 1 MiB ----------
truncate -s $(( (part_mib + 1) * 1048576 )) "$WORK/disk.raw"
sfdisk --quiet --no-reread --no-tell-kernel "$WORK/disk.raw" <<EOF
label: dos
label-id: 0x50535459
start=2048, type=6, bootable
EOF
dd if="$WORK/boot.fat" of="$WORK/disk.raw" bs=1M seek=1 conv=notrunc status=none
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$WORK/disk.raw" bs=440 count=1 conv=notrunc status=none

qemu-img convert -q -f raw -O qcow2 -c -o compat=1.1 "$WORK/disk.raw" "$WORK/$NAME.qcow2"

{
    echo "image: $NAME.qcow2"
    echo "sha256: $(sha256sum "$WORK/$NAME.qcow2" | cut -d' ' -f1)"
    echo "size: $(stat -c %s "$WORK/$NAME.qcow2")"
    echo "virtual-size: $(stat -c %s "$WORK/disk.raw")"
    echo "kernel: $kver"
    echo "modules: $(tr '\n' ' ' <"$MODDST/load-order")"
    echo "source-date-epoch: $SOURCE_DATE_EPOCH"
    echo "inputs: $inputs_hash"
    echo "packages:"
    echo "$versions" | sed 's/^/  /'
} >"$WORK/manifest"
mv "$WORK/$NAME.qcow2" "$IMAGE"
mv "$WORK/manifest" "$MANIFEST"
echo "$inputs_hash" >"$STAMP"
echo "built $IMAGE ($(stat -c %s "$IMAGE") bytes)"
