"""The dashboard's pure parts: the build timeline's bars from the compute API's action
events, and the session's CSRF check."""
import types

import pytest

from controller.dashboard import session, timeline

SERVER = {"OS-SRV-USG:launched_at": "2026-12-04T10:00:09.000000",
          "OS-EXT-SRV-ATTR:host": "h1"}
ACTION = {"events": [
    {"event": "compute__schedule_instances", "start_time": "2026-12-04T10:00:01.000000",
     "finish_time": "2026-12-04T10:00:02.000000", "result": "Success"},
    {"event": "compute_api_create", "start_time": "2026-12-04T10:00:00.000000",
     "finish_time": "2026-12-04T10:00:01.000000", "result": "Success"},
    {"event": "spawn", "start_time": "2026-12-04T10:00:03.000000",
     "finish_time": None, "result": None},
    {"event": "image", "start_time": "2026-12-04T10:00:02.000000",
     "finish_time": "2026-12-04T10:00:03.000000", "result": "Error"},
]}


def test_the_timeline_lays_the_steps_out_in_time():
    rows, total, height = timeline.bars(SERVER, ACTION)
    assert [r["step"].split(" ", 1)[1] for r in rows] == [
        "API: request checked, instance written", "scheduling: filter, weigh, claim",
        "image: fetched from the image service or the cache",
        "boot: domain defined and started",
        "state: ACTIVE recorded through the conductor"]
    assert [r["state"] for r in rows] == ["ok", "ok", "failed", "running", "ok"]
    assert total == "9000 ms" and height == timeline.ROW_HEIGHT * 6 + 10
    first, second = rows[0], rows[1]
    assert first["x"] == timeline.LABEL_WIDTH
    assert second["x"] == pytest.approx(timeline.LABEL_WIDTH + timeline.CHART_WIDTH / 9, 0.1)
    assert rows[-1]["x"] == timeline.LABEL_WIDTH + timeline.CHART_WIDTH


def test_a_build_not_recorded_draws_nothing():
    assert timeline.bars({}, {"events": []})[0] == []


def request(header=None):
    return types.SimpleNamespace(get_header=lambda name: header)


def test_csrf_is_bound_to_the_session_token():
    expected = session.csrf_of("token-a")
    assert expected != session.csrf_of("token-b") and "token-a" not in expected
    session.check_csrf(request(), {"csrf_token": expected}, expected)
    session.check_csrf(request(expected), {}, expected)
    for form, header in (({}, None), ({"csrf_token": "x"}, None), ({}, "y")):
        with pytest.raises(session.CsrfRefused):
            session.check_csrf(request(header), form, expected)
