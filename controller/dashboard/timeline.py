"""A server's build as a picture: the events of its create action (what ``pocketstack
trace`` reads) laid out as bars of an SVG waterfall, one row per step of the seed."""
import datetime

from controller.cmd import trace

ROW_HEIGHT, LABEL_WIDTH, CHART_WIDTH = 26, 380, 460
# an event's result → how its bar is drawn
STATES = {"Success": "ok", "running": "running", None: "running"}


def _time(value):
    if not value:
        return None
    return datetime.datetime.fromisoformat(value.rstrip("Z").split("+")[0])


def trace_of(server, action):
    """The shape ``trace.rows`` takes, from the compute API's server and action."""
    events = []
    for event in sorted(action.get("events", ()), key=lambda e: e["start_time"] or ""):
        start = _time(event.get("start_time"))
        if start is None:
            continue
        events.append({"event": event["event"], "host": event.get("host") or "",
                       "result": event.get("result"), "start": start,
                       "finish": _time(event.get("finish_time")),
                       "details": event.get("details")})
    return {"events": events, "launched_at": server.get("OS-SRV-USG:launched_at"),
            "host": server.get("OS-EXT-SRV-ATTR:host") or ""}


def bars(server, action):
    """(rows with their bar's geometry, total seconds, SVG height)."""
    table, _ = trace.rows(trace_of(server, action))
    total = max((r["offset"] + r["duration"] for r in table), default=0.0) or 1e-9
    shaped = []
    for i, row in enumerate(table):
        x = LABEL_WIDTH + row["offset"] / total * CHART_WIDTH
        width = max(2.0, row["duration"] / total * CHART_WIDTH)
        shaped.append(dict(row, y=ROW_HEIGHT * (i + 1), x=round(x, 1),
                           width=round(width, 1), label=trace._ms(row["duration"]),
                           at=trace._ms(row["offset"]),
                           state=STATES.get(row["result"], "failed")))
    return shaped, trace._ms(total), ROW_HEIGHT * (len(table) + 1) + 10
