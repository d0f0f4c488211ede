"""``pocketstack trace SERVER``: a server's build as a timeline of the seed's steps.

The seed this project grew from explains how OpenStack builds a VM: authenticate, ask the
compute API, schedule, then on the host network, storage, image and boot, and finally
record the state. Every one of those steps is an instance action event here (the same
events ``openstack server event show`` lists); this command lays them out as a waterfall
with each step's duration, and with the scheduler's account of the hosts each filter
kept. ``--html FILE`` writes the same timeline as a self-contained HTML page with SVG.
``--action NAME`` (or a request id) shows another action the same way, the newest of
that name: a resize, a migration, its confirm or revert.

It reads the controller's database, like other operator commands, so it runs where the
controller's configuration is (``--config-file``, default that of ``pocketstack up``).
"""
import argparse
import datetime
import html
import json
import os
import sys

from sqlalchemy import or_, select

# event name → (seed step number, label)
STEPS = {
    "api_validate_token": ("1", "auth: token validated by identity"),
    "compute_api_create": ("2", "API: request checked, instance written"),
    "compute__schedule_instances": ("2", "scheduling: filter, weigh, claim"),
    "compute_build_and_run_instance": ("", "build on the host"),
    "compute_networking": ("3", "network: port from the network service, plugged"),
    "networking": ("3", "network: port from the network service, plugged"),
    "block_device_mapping": ("4", "storage: block volume"),
    "storage": ("4", "storage: root disk overlay, config drive"),
    "image": ("5", "image: fetched from the image service or the cache"),
    "spawn": ("6", "boot: domain defined and started"),
    "conductor_migrate_server": ("", "move: destination chosen and claimed"),
    "compute_resize_instance": ("", "move: guest stopped, disks handed over (source)"),
    "compute_finish_resize": ("", "move: ports wired, guest started (destination)"),
    "compute_confirm_resize": ("", "confirm: source host let go"),
    "compute_revert_resize": ("", "revert: moved guest removed (destination)"),
    "compute_finish_revert_resize": ("", "revert: kept guest started (source)"),
}
BAR_WIDTH = 40


class TraceError(Exception):
    pass


def load(db, server, action_name="create"):
    """The server and the events of its action ``action_name`` (the newest of that name,
    or the one of that request id), oldest first."""
    from controller.compute import models
    with db.session() as session:
        query = select(models.Instance).where(
            or_(models.Instance.uuid == server, models.Instance.name == server))
        found = session.scalars(query).all()
        # A name may be reused after a delete: the live server is the one meant.
        found = [i for i in found if i.deleted_at is None] or found
        if not found:
            raise TraceError(f"no server named or with id {server!r}")
        if len(found) > 1:
            ids = ", ".join(i.uuid for i in found)
            raise TraceError(f"{len(found)} servers are named {server!r}; use an id: {ids}")
        instance = found[0]
        action = session.scalars(
            select(models.InstanceAction)
            .where(models.InstanceAction.instance_uuid == instance.uuid,
                   or_(models.InstanceAction.action == action_name,
                       models.InstanceAction.request_id == action_name))
            .order_by(models.InstanceAction.id.desc())).first()
        if action is None:
            raise TraceError(f"server {instance.uuid} has no {action_name} action recorded")
        events = session.scalars(
            select(models.InstanceActionEvent)
            .where(models.InstanceActionEvent.action_id == action.id)
            .order_by(models.InstanceActionEvent.start_time,
                      models.InstanceActionEvent.id)).all()
        return {
            "uuid": instance.uuid, "name": instance.name,
            "vm_state": instance.vm_state, "host": instance.host,
            "request_id": action.request_id, "action": action.action,
            "launched_at": instance.launched_at if action.action == "create" else None,
            "events": [{"event": e.event, "host": e.host, "result": e.result,
                        "start": e.start_time, "finish": e.finish_time,
                        "details": e.details} for e in events],
        }


def scheduling_summary(details):
    """'3 hosts → ComputeFilter 3 → RamFilter 2; chose h2 (weight 1.0)' from the report."""
    try:
        report = json.loads(details)
    except (TypeError, ValueError):
        return details or ""
    if not isinstance(report, dict):
        return str(report)
    parts = [f"{report.get('hosts', '?')} hosts"]
    parts += [f"{name} {left}" for name, left in report.get("filters", [])]
    text = " → ".join(parts)
    weighed = report.get("weighed") or []
    if weighed:
        text += "; best: " + ", ".join(f"{host} ({weight})" for host, weight in weighed)
    if report.get("claim_attempts", 1) > 1:
        text += f"; claimed on try {report['claim_attempts']}"
    return text


def rows(trace):
    """One row per step: label, host, offset and duration in seconds, note."""
    events = trace["events"]
    if not events:
        return [], None
    origin = events[0]["start"]
    out = []
    for event in events:
        number, label = STEPS.get(event["event"], ("", event["event"]))
        finish = event["finish"] or event["start"]
        note = ""
        if event["event"] == "compute__schedule_instances" and event["details"]:
            note = scheduling_summary(event["details"])
        elif event["result"] and event["result"] != "Success":
            note = (event["details"] or event["result"]).strip().splitlines()[-1][:120]
        indent = "" if number or event["event"] == "compute_build_and_run_instance" else "  "
        out.append({
            "step": f"{number} {label}" if number else indent + label,
            "host": event["host"] or "",
            "offset": (event["start"] - origin).total_seconds(),
            "duration": (finish - event["start"]).total_seconds(),
            "result": event["result"] or "running",
            "note": note,
        })
    if trace["launched_at"]:
        launched = _parse_time(trace["launched_at"])
        if launched is not None:
            out.append({"step": "7 state: ACTIVE recorded through the conductor",
                        "host": trace["host"] or "", "result": "Success", "note": "",
                        "offset": (launched - origin).total_seconds(), "duration": 0.0})
    return out, origin


def _parse_time(value):
    if isinstance(value, datetime.datetime):
        return value
    try:
        return datetime.datetime.fromisoformat(str(value).rstrip("Z")).replace(tzinfo=None)
    except ValueError:
        return None


def _ms(seconds):
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def render_text(trace, table):
    total = max((r["offset"] + r["duration"] for r in table), default=0.0) or 1e-9
    lines = [f"server {trace['name']} ({trace['uuid']}), {trace['action']} request "
             f"{trace['request_id']}",
             f"state {trace['vm_state']} on {trace['host'] or '-'}; "
             f"{_ms(total)} from the API request to the last step", ""]
    width = max((len(r["step"]) for r in table), default=10)
    for r in table:
        start = int(r["offset"] / total * BAR_WIDTH)
        length = max(1, round(r["duration"] / total * BAR_WIDTH))
        bar = (" " * start + "█" * length)[:BAR_WIDTH].ljust(BAR_WIDTH)
        flag = "" if r["result"] == "Success" else f" [{r['result']}]"
        lines.append(f"{r['step']:<{width}}  {r['host'][:14]:<14} +{_ms(r['offset']):>8} "
                     f"{_ms(r['duration']):>8} |{bar}|{flag}")
        if r["note"]:
            lines.append(f"{'':<{width}}    {r['note']}")
    return "\n".join(lines)


def render_html(trace, table):
    total = max((r["offset"] + r["duration"] for r in table), default=0.0) or 1e-9
    row_height, label_width, chart_width = 26, 430, 520
    height = row_height * (len(table) + 1) + 10
    shapes = []
    for i, r in enumerate(table):
        y = row_height * (i + 1)
        x = label_width + r["offset"] / total * chart_width
        w = max(2.0, r["duration"] / total * chart_width)
        colour = "#3b82f6" if r["result"] == "Success" else "#dc2626"
        title = html.escape(f"{r['step']} — {_ms(r['duration'])} at +{_ms(r['offset'])}"
                            + (f" — {r['note']}" if r["note"] else ""))
        shapes.append(
            f'<text x="4" y="{y + 15}">{html.escape(r["step"])}</text>'
            f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_height - 8}" '
            f'fill="{colour}"><title>{title}</title></rect>'
            f'<text x="{min(x + w + 4, label_width + chart_width - 60):.1f}" y="{y + 15}" '
            f'class="d">{_ms(r["duration"])}</text>')
    notes = "".join(f"<li><b>{html.escape(r['step'])}</b>: {html.escape(r['note'])}</li>"
                    for r in table if r["note"])
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>pocketstack trace {html.escape(trace['name'])}</title>
<style>body{{font-family:sans-serif;margin:1.5em}} text{{font-size:13px}} .d{{fill:#555}}</style>
</head><body>
<h1>{html.escape(trace['action'])} of {html.escape(trace['name'])}</h1>
<p>{html.escape(trace['uuid'])}, request {html.escape(trace['request_id'])}: state
{html.escape(trace['vm_state'])} on {html.escape(trace['host'] or '-')},
{_ms(total)} from the API request to the last step.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + chart_width + 70}" height="{height}">
<text x="4" y="14" class="d">step</text>
<text x="{label_width}" y="14" class="d">0</text>
<text x="{label_width + chart_width - 40}" y="14" class="d">{_ms(total)}</text>
{''.join(shapes)}
</svg>
<ul>{notes}</ul>
</body></html>
"""


def main(argv):
    parser = argparse.ArgumentParser(prog="pocketstack trace",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("server", help="name or id of the server")
    parser.add_argument("--config-dir", default=os.environ.get("POCKETSTACK_CONFIG_DIR",
                                                               "/etc/pocketstack"),
                        help="where `pocketstack up` keeps pocketstack.conf")
    parser.add_argument("--config-file", help="the controller's configuration file "
                                              "(default: pocketstack.conf in --config-dir)")
    parser.add_argument("--html", metavar="FILE", help="also write the timeline as HTML/SVG")
    parser.add_argument("--action", default="create",
                        help="the action to show (its name, e.g. resize, or request id); "
                             "default: the create")
    args = parser.parse_args(argv)
    args.config_file = args.config_file or os.path.join(args.config_dir, "pocketstack.conf")
    if not os.path.exists(args.config_file):
        print(f"pocketstack trace: no configuration at {args.config_file}; "
              "pass --config-file", file=sys.stderr)
        return 2
    from conf import groups_of
    from contract import service_startup
    from conf import CONF
    from controller.db.engine import Database, default_url
    service_startup.parse_config(["--config-file", args.config_file], groups_of("manage"))
    db = Database(CONF.database.connection or default_url(CONF))
    try:
        trace = load(db, args.server, args.action)
    except TraceError as exc:
        print(f"pocketstack trace: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    table, _ = rows(trace)
    print(render_text(trace, table))
    if args.html:
        with open(args.html, "w") as f:
            f.write(render_html(trace, table))
        print(f"\nwrote {args.html}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
