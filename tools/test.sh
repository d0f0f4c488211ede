#!/usr/bin/env bash
# Run the whole test suite: pure-logic, functional (real HTTP APIs, the stock clients) and
# real-system tests (libvirt guests, bridges, dnsmasq, RabbitMQ, PostgreSQL, the Ansible
# lab). Installs what only the tests need first (tools/install.sh --test: RabbitMQ,
# PostgreSQL, sshd, Ansible, pytest; seconds when present). Runs as root, or re-runs
# itself through sudo. Extra arguments go to pytest, e.g.
#   tools/test.sh -m "not system"     # only the tests that boot nothing
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "test.sh: run as root" >&2; exit 1; }
    exec sudo -- "$0" "$@"
fi
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
"$REPO/tools/install.sh" --test
# Two workers per core: a test that waits (a CLI's --wait polls every 2 s, a guest boots)
# leaves its core to another. A module stays on one worker (loadscope: its module-scoped
# cloud is made once), handed out longest first (tests/conftest.py, not xdist's order).
WORKERS=${POCKETSTACK_TEST_WORKERS:-$(( 2 * $(nproc) ))}
exec .venv/bin/python -m pytest -n "$WORKERS" --dist loadscope --no-loadscope-reorder \
    -q -ra --durations=20 "$@" tests
