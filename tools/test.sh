#!/usr/bin/env bash
# Run the whole test suite: pure-logic, functional (real HTTP APIs, the stock clients) and
# real-system tests (libvirt guests, bridges, dnsmasq, RabbitMQ, PostgreSQL). Needs root
# and a machine prepared by tools/install.sh. Extra arguments go to pytest, e.g.
#   sudo tools/test.sh -m "not system"     # only the tests that boot nothing
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
if [ ! -x .venv/bin/python ]; then
    echo "test.sh: no .venv; run tools/install.sh first" >&2
    exit 1
fi
WORKERS=${POCKETSTACK_TEST_WORKERS:-2}
exec .venv/bin/python -m pytest -n "$WORKERS" --dist loadscope -q -ra "$@" tests
