#!/usr/bin/env bash
# OpenStack's own API tests (tempest, pinned) against pocketstack.
#
#   sudo tools/tempest.sh                # the fast include list (CI), on a throwaway cloud
#   sudo tools/tempest.sh --full         # all of tempest.api.{identity,image,compute,network,volume}
#   sudo tools/tempest.sh --cloud /etc/pocketstack   # use a running all-in-one instead
#   sudo tools/tempest.sh --regex 'tempest\.api\.image\.'   # any selection (stestr regex)
#
# Unless --cloud is given it starts an all-in-one (`pocketstack up`) in a temp directory on
# a free loopback port, so it never touches the user's own cloud, and stops and removes it
# afterwards (--keep leaves it running). tempest's feature flags turn off what pocketstack
# has not built. The fast run is tests/tempest/include.txt (what passes today) less
# tests/tempest/exclude.txt (a regex and its reason per line: what left the include list,
# and why); --full runs everything, excluding nothing. Results: .tempest/ (tempest.conf,
# run.log, tempest.log, results.csv; `tools/tempest_cloud.py passed .tempest/results.csv`
# prints the passing tests as include-list lines). Exits non-zero on any failed test.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
TEMPEST_VERSION=47.0.0
PYTHON=/usr/bin/python3
VENV=$REPO/.venv-tempest
OUT=$REPO/.tempest
MODE=fast
CLOUD=
KEEP=0
REGEX=
CONCURRENCY=${TEMPEST_CONCURRENCY:-2}

while [ $# -gt 0 ]; do
    case "$1" in
        --full) MODE=full ;;
        --cloud) CLOUD=$2; shift ;;
        --keep) KEEP=1 ;;
        --regex) MODE=regex; REGEX=$2; shift ;;
        --concurrency) CONCURRENCY=$2; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "tempest.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

log() { printf '==> %s\n' "$*"; }

if [ "$("$VENV/bin/tempest" --version 2>/dev/null)" != "tempest $TEMPEST_VERSION" ]; then
    log "installing tempest $TEMPEST_VERSION into $VENV"
    "$PYTHON" -m venv --clear "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q "tempest==$TEMPEST_VERSION"
fi

started=$(date +%s)
if [ -z "$CLOUD" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "tempest.sh: run as root (the all-in-one drives libvirt and host networking)" >&2
        exit 1
    fi
    TMP=$(mktemp -d /tmp/pocketstack-tempest.XXXXXX)
    chmod 755 "$TMP"   # QEMU (its own user) opens the disks below it
    CLOUD=$TMP/etc
    PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cleanup() {
        if [ "$KEEP" = 1 ]; then
            log "cloud left running: .venv/bin/pocketstack down --config-dir $CLOUD"
            return
        fi
        .venv/bin/pocketstack down --config-dir "$CLOUD" || true
        mkdir -p "$OUT" && cp "$TMP/state/pocketstack.log" "$OUT/pocketstack.log" 2>/dev/null || true
        rm -rf "$TMP"
    }
    trap cleanup EXIT
    log "starting a throwaway all-in-one in $TMP on 127.0.0.1:$PORT"
    up() {
        # `up` is idempotent: on a loaded machine the agent may report late, so try twice.
        for attempt in 1 2; do
            .venv/bin/pocketstack up --config-dir "$CLOUD" --state-path "$TMP/state" \
                --port "$PORT" --host "tempest-$(basename "$TMP")" --virt-type qemu \
                --clouds-yaml "$TMP/clouds.yaml" \
                >>"$TMP/up.log" 2>&1 && break
            [ "$attempt" = 2 ] && { cat "$TMP/up.log"; exit 1; }
        done
    }
    up
    # One host: resizes stay on it (devstack's single-node setting), read at a restart.
    printf '\n[compute]\nallow_resize_to_same_host = true\n' >>"$CLOUD/pocketstack.conf"
    .venv/bin/pocketstack down --config-dir "$CLOUD" >>"$TMP/up.log" 2>&1
    up
fi

# A tempest workspace of our own (not `tempest init`, which registers it in ~/.tempest).
rm -rf "$OUT/workspace"
mkdir -p "$OUT/workspace/etc"
site=$("$VENV/bin/python" -c 'import os, tempest; print(os.path.dirname(tempest.__file__))')
printf '[DEFAULT]\ntest_path=%s/test_discover\ntop_dir=%s\ngroup_regex=([^\\.]*\\.)*\n' \
    "$site" "$site" >"$OUT/workspace/.stestr.conf"
export TEMPEST_CONFIG_DIR=$OUT/workspace/etc
conf=$(.venv/bin/python tools/tempest_cloud.py conf "$CLOUD" "$OUT/workspace")
cp "$conf" "$OUT/tempest.conf"
log "tempest.conf written ($(( $(date +%s) - started )) s)"

# The fast list is the include list less the exclude list; --full and --regex run their
# whole selection, so that their counts are the honest ones.
case "$MODE" in
    fast) SELECT=(--include-list "$REPO/tests/tempest/include.txt"
                  --exclude-list "$REPO/tests/tempest/exclude.txt") ;;
    full) SELECT=(--regex '^tempest\.api\.(identity|image|compute|network|volume)\.') ;;
    regex) SELECT=(--regex "$REGEX") ;;
esac
log "running tempest ($MODE, concurrency $CONCURRENCY)"
set +e
(cd "$OUT/workspace" && "$VENV/bin/tempest" run --concurrency "$CONCURRENCY" "${SELECT[@]}") \
    >"$OUT/run.log" 2>&1
set -e
# subunit2csv exits non-zero when a test failed; the summary below says which.
(cd "$OUT/workspace" && "$VENV/bin/stestr" last --subunit | "$VENV/bin/subunit2csv") \
    >"$OUT/results.csv" || true
cp "$OUT/workspace/tempest.log" "$OUT/tempest.log" 2>/dev/null || true
log "tempest ran in $(( $(date +%s) - started )) s; details in $OUT/run.log"
.venv/bin/python tools/tempest_cloud.py summary "$OUT/results.csv"
