"""Usage reports: hours a server ran within a window, and a project's totals."""
import datetime
import types

import pytest

from controller.compute import usage

T0 = datetime.datetime(2026, 1, 1)


def at(hours):
    return T0 + datetime.timedelta(hours=hours)


@pytest.mark.parametrize("launched, terminated, start, stop, hours", [
    (0, None, 0, 10, 10.0),       # ran the whole window
    (2, None, 0, 10, 8.0),        # launched inside the window
    (0, 4, 0, 10, 4.0),           # terminated inside it
    (2, 4.5, 0, 10, 2.5),         # both
    (-5, 20, 0, 10, 10.0),        # spans it
    (-5, -1, 0, 10, 0.0),         # gone before it began
    (11, None, 0, 10, 0.0),       # launched after it ended
    (None, None, 0, 10, 0.0),     # never launched
])
def test_hours_in_window(launched, terminated, start, stop, hours):
    assert usage.hours_in_window(None if launched is None else at(launched),
                                 None if terminated is None else at(terminated),
                                 at(start), at(stop)) == pytest.approx(hours)


def server(uuid, project, launched, terminated=None, vcpus=2, memory_mb=512, root_gb=1,
           ephemeral_gb=1, vm_state="active"):
    return types.SimpleNamespace(
        uuid=uuid, name=f"vm-{uuid}", project_id=project, flavor={"name": "m1"},
        vcpus=vcpus, memory_mb=memory_mb, root_gb=root_gb, ephemeral_gb=ephemeral_gb,
        vm_state=vm_state, launched_at=at(launched),
        terminated_at=None if terminated is None else at(terminated))


def test_project_usages_total_each_project_in_order_met():
    rows = [server("a", "p1", 0), server("b", "p2", 5, vcpus=1),
            server("c", "p1", 6, terminated=8, memory_mb=1024, vm_state="deleted")]
    first, second = usage.project_usages(rows, at(0), at(10), at(12), detailed=True)
    assert first["tenant_id"] == "p1" and second["tenant_id"] == "p2"
    assert first["total_hours"] == pytest.approx(12.0)               # 10 + 2
    assert first["total_vcpus_usage"] == pytest.approx(24.0)         # 2×10 + 2×2
    assert first["total_memory_mb_usage"] == pytest.approx(7168.0)   # 512×10 + 1024×2
    assert first["total_local_gb_usage"] == pytest.approx(24.0)      # 2 GiB × 12 h
    assert second["total_vcpus_usage"] == pytest.approx(5.0)
    ended = first["server_usages"][1]
    assert ended["state"] == "terminated" and ended["ended_at"] == at(8).isoformat()
    assert ended["uptime"] == 2 * 3600 and ended["local_gb"] == 2
    running = first["server_usages"][0]
    assert running["state"] == "active" and running["ended_at"] is None
    assert running["uptime"] == 12 * 3600    # until now, past the window's end
    assert (first["start"], first["stop"]) == (at(0).isoformat(), at(10).isoformat())


def test_project_usages_without_details_have_no_servers():
    (summary,) = usage.project_usages([server("a", "p1", 0)], at(0), at(1), at(1),
                                      detailed=False)
    assert "server_usages" not in summary and summary["total_hours"] == pytest.approx(1.0)
