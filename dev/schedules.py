"""Fire the local stack's due EventBridge Scheduler schedules: moto stores schedules but never fires them.

``fire_due`` lists the group's schedules and, for each one-time ``at(...)`` schedule whose time has come,
hands its input (JSON-decoded) to ``invoke(function_name, event)``, then deletes it, as
``ActionAfterCompletion: DELETE`` does on AWS (one with ``NONE`` is remembered instead, and not fired again
by this process). A schedule whose invocation raises is left in place: the next call fires it again, as the
scheduler's retry policy would. Recurring (``rate``/``cron``) schedules are not fired here.

``invoke_app`` is the ``invoke`` the local runner uses: a target ARN's function name
(``...:function:store-balance-local-promotions``) names the app's handler (``app.promotions``), called with a
small fake Lambda context in this process. ``python -m dev.schedules invoke <function> '<event json>'``
does the same once, in a process of its own set up for the local stack (``--state``), and
``python -m dev.schedules fire`` fires what is due once.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
log = logging.getLogger(__name__)
_fired_kept: set[tuple[str, str, str]] = set()  # (group, name, expression) of fired schedules that stay (NONE)


def due_at(schedule: dict[str, Any]) -> datetime | None:
    """When a one-time schedule fires (aware, UTC); None for any other kind."""
    m = AT.match(schedule.get("ScheduleExpression", ""))
    if m is None:
        return None
    zone = ZoneInfo(schedule.get("ScheduleExpressionTimezone") or "UTC")
    return datetime.fromisoformat(m.group(1)).replace(tzinfo=zone).astimezone(timezone.utc)


def function_name(arn: str) -> str:
    """``arn:aws:lambda:...:function:store-balance-local-promotions`` -> ``store-balance-local-promotions``."""
    return arn.split(":function:", 1)[1].split(":", 1)[0] if ":function:" in arn else arn


def fire_due(scheduler_client: Any, group: str, invoke: Callable[[str, Any], Any], now: datetime) -> list[str]:
    """Fire every one-time schedule of ``group`` due at ``now``; return the names fired (and deleted)."""
    fired: list[str] = []
    names: list[str] = []
    kwargs: dict[str, Any] = {"GroupName": group}
    while True:
        page = scheduler_client.list_schedules(**kwargs)
        names += [s["Name"] for s in page.get("Schedules", [])]
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    due: list[tuple[datetime, str, dict[str, Any]]] = []
    for name in names:
        try:
            schedule = scheduler_client.get_schedule(Name=name, GroupName=group)
        except scheduler_client.exceptions.ResourceNotFoundException:
            continue  # deleted meanwhile (a cancellation)
        when = due_at(schedule)
        if when is None or when > now or schedule.get("State", "ENABLED") != "ENABLED":
            continue
        due.append((when, name, schedule))
    for _, name, schedule in sorted(due, key=lambda d: (d[0], d[1])):  # in the order they fell due
        ident = (group, name, schedule["ScheduleExpression"])
        if ident in _fired_kept:
            continue
        target = schedule["Target"]
        raw = target.get("Input")
        event = json.loads(raw) if raw else {}
        try:
            invoke(function_name(target["Arn"]), event)
        except Exception:
            log.exception("schedule %s of %s failed; it fires again next time", name, group)
            continue
        if schedule.get("ActionAfterCompletion", "NONE") == "DELETE":
            try:
                scheduler_client.delete_schedule(Name=name, GroupName=group)
            except scheduler_client.exceptions.ResourceNotFoundException:
                pass
        else:
            _fired_kept.add(ident)
        fired.append(name)
    return fired


class FakeContext:
    """What a handler reads of Lambda's context."""

    def __init__(self, name: str, timeout_s: float = 300.0) -> None:
        self.function_name = name
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.memory_limit_in_mb = 512
        self.function_version = "$LATEST"
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def handler_name(function: str) -> str:
    """``store-balance-local-promotions`` -> ``promotions`` (any stage; a bare name stays as it is)."""
    return re.sub(r"^store-balance-[^-]+-", "", function)


def invoke_app(function: str, event: Any) -> Any:
    """Call the app's handler for ``function`` in this process (its environment must point at the stack)."""
    import app

    name = handler_name(function)
    handler = getattr(app, name, None)
    if not callable(handler):
        raise LookupError(f"the app has no function {name!r} (target {function!r})")
    return handler(event, FakeContext(function))


def main(argv: list[str]) -> int:
    import argparse
    import os

    from dev.stack import STATE_FILE, StackInfo, app_environment, aws_client

    parser = argparse.ArgumentParser(prog="python -m dev.schedules")
    parser.add_argument("--state", default=str(STATE_FILE), help="the local stack's state file")
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("invoke", help="run one function of the app with an event")
    one.add_argument("function")
    one.add_argument("event")
    sub.add_parser("fire", help="fire the due schedules once")
    args = parser.parse_args(argv)
    from pathlib import Path

    info = StackInfo.load(Path(args.state))
    os.environ.update(app_environment(info))
    if args.command == "invoke":
        print(json.dumps(invoke_app(args.function, json.loads(args.event)), default=str))
        return 0
    group = info.lifecycle_env.get("SCHEDULE_GROUP", "default")
    fired = fire_due(aws_client("scheduler", info.aws_endpoint), group, invoke_app, datetime.now(timezone.utc))
    print(json.dumps(fired))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
