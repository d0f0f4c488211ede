"""``bench/bench_scale.py`` at a tiny size (5 simulated hosts in two agent processes,
20 servers), so the scale run keeps working: every server built through the API on
RabbitMQ and PostgreSQL, every one scheduled, the paged listing walks them all, and
the CPU of each service is measured."""
import json
import subprocess
import sys

import pytest

from tests.lib import services
from tests.lib.cloud import REPO

pytestmark = pytest.mark.skipif(not services.rabbitmq_installed(),
                                reason="rabbitmq-server is not installed")

SERVERS = 20


def test_scale_script_at_a_tiny_size(tmp_path):
    figures = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, "bench/bench_scale.py", "--hosts", "5", "--servers", str(SERVERS),
         "--hosts-per-process", "3", "--batch", "6", "--clients", "2", "--page-size", "7",
         "--walks", "2", "--idle-seconds", "1", "--report-interval", "2",
         "--json", str(figures)],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    [run] = json.loads(figures.read_text())
    assert (run["hosts"], run["servers"], run["active"], run["error"]) == (5, SERVERS,
                                                                          SERVERS, 0)
    assert run["decisions"] == SERVERS and run["throughput"] > 0
    assert run["seen"] == SERVERS and run["pages"] == 2 * 3      # 7 + 7 + 6, twice
    assert run["cpu"]["conductor"] > 0 and run["cpu"]["API"] > 0
    assert run["cpu"]["PostgreSQL"] > 0
    assert "| 5 | 20 | 20 (0) |" in result.stdout
