"""Benchmark 10: the analytics export's lag, locally: from an event put on the bus to its object in S3.

On the local stack with its event runner: N events (a customer app's ``behaviour.view_topup``, as
``POST /v1/events`` puts them) are put on the stage's bus one after another, paced; moto's EventBridge routes
each to the export rule's target queue, and the runner (dev/lifecycle.py ``ExportDelivery``, the stand-in for
Amazon Data Firehose) writes what it drained into moto's S3 under ``export/events/dt=.../type=.../``, gzip,
one object per partition per delivery. A reader lists the event's partition prefix every few milliseconds and
opens each new object; an event's lag is from its PutEvents answer to the listing that first shows the object
holding it. That covers moto's routing, the runner's idle poll (0.1 s) and drain, the object's write and the
reader's own listing interval.

On AWS the export rule's target is Firehose with dynamic partitioning, which buffers each partition up to
300 s or 64 MB before it writes an object (``BUFFER_SECONDS``, ``BUFFER_MB`` in infra/concerns/analytics.py):
the lag there is dominated by that buffer (up to about five minutes at this volume, the 64 MB never being
reached), which this benchmark does not measure.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from .common import Row, percentile, render_rows

EVENTS = int(os.environ.get("BENCH_EXPORT_EVENTS", "200"))
PACE_SECONDS = 0.025  # between two puts: a steady trickle, as customers' apps report
LIST_EVERY_SECONDS = 0.01
DETAIL_TYPE = "behaviour.view_topup"
WAIT_SECONDS = 60.0


class ExportReader:
    """Lists the partition prefixes of ``DETAIL_TYPE`` in the export bucket and records, for each event of
    ``user_id`` found in a new object, when the listing first showed it (perf_counter)."""

    def __init__(self, endpoint: str, user_id: str) -> None:
        from dev.stack import EXPORT_BUCKET, aws_client

        self.s3, self.bucket, self.user_id = aws_client("s3", endpoint), EXPORT_BUCKET, user_id
        self.seen: dict[str, float] = {}
        self.objects: set[str] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _prefixes(self) -> list[str]:
        from chalicelib.insight.export import prefix_of  # the layout's one definition (pure)

        today = datetime.now(timezone.utc).date()  # an event's dt is its time's day: today, or tomorrow at midnight
        return [prefix_of(day.isoformat(), DETAIL_TYPE) for day in (today, today + timedelta(days=1))]

    def _read(self) -> None:
        from chalicelib.insight.export import rows_of

        while not self.stopping.is_set():
            for prefix in self._prefixes():
                listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("Contents", [])
                at = time.perf_counter()
                for obj in listed:
                    if obj["Key"] in self.objects:
                        continue
                    body = self.s3.get_object(Bucket=self.bucket, Key=obj["Key"])["Body"].read()
                    details = [json.loads(row[7]) for row in rows_of(body, "", DETAIL_TYPE)]
                    with self.lock:
                        self.objects.add(obj["Key"])
                        for d in details:
                            if d.get("user_id") == self.user_id:
                                self.seen.setdefault(d["event_id"], at)
            self.stopping.wait(LIST_EVERY_SECONDS)

    def wait_for(self, ids: set[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if ids <= set(self.seen):
                    return True
            time.sleep(0.01)
        return False

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)


def _entry(bus: str, user_id: str, event_id: str) -> dict[str, Any]:
    from chalicelib.events.catalogue import SOURCE

    detail = {
        "event_id": event_id,
        "user_id": user_id,
        "occurred_at": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "props": {"option_id": "opt-100"},
    }
    return {"Source": SOURCE, "DetailType": DETAIL_TYPE, "Detail": json.dumps(detail), "EventBusName": bus}


def run(info: Any, events: int = EVENTS) -> dict[str, Any]:
    """Put ``events`` events on the stack's bus, paced, and time each until its export object is listed."""
    from dev.stack import LOCAL_BUS, aws_client

    bus = aws_client("events", info.aws_endpoint)
    user_id = f"bench-export-{uuid.uuid4().hex[:8]}"
    reader = ExportReader(info.aws_endpoint, user_id)
    try:
        warm_up = str(uuid.uuid4())  # the runner may still be starting: one event first, not timed
        bus.put_events(Entries=[_entry(LOCAL_BUS, user_id, warm_up)])
        if not reader.wait_for({warm_up}, WAIT_SECONDS):
            raise RuntimeError(f"the warm-up event reached no export object within {WAIT_SECONDS:.0f} s")
        with reader.lock:
            before = len(reader.objects)
        put: dict[str, float] = {}
        for _ in range(events):
            event_id = str(uuid.uuid4())
            answer = bus.put_events(Entries=[_entry(LOCAL_BUS, user_id, event_id)])
            put[event_id] = time.perf_counter()
            if answer.get("FailedEntryCount"):
                raise RuntimeError(f"PutEvents refused an event: {answer['Entries']}")
            time.sleep(PACE_SECONDS)
        complete = reader.wait_for(set(put), WAIT_SECONDS)
    finally:
        reader.stop()
    with reader.lock:
        seen, objects = dict(reader.seen), len(reader.objects)
    lags = [(seen[i] - t) * 1000 for i, t in put.items() if i in seen]
    if not lags:
        raise RuntimeError("no event reached the export")
    return {
        "events": events,
        "exported": len(lags),
        "missing": 0 if complete else events - len(lags),
        "pace_ms": PACE_SECONDS * 1000,
        "lag_ms": {
            "p50": round(percentile(lags, 50), 1),
            "p99": round(percentile(lags, 99), 1),
            "max": round(max(lags), 1),
        },
        "objects": objects - before,  # the warm-up's apart
    }


def rows(res: dict[str, Any]) -> list[Row]:
    lag = res["lag_ms"]
    return [
        Row(
            f"event put on the bus -> its object listed under export/events/ ({res['events']} events, "
            f"one every {res['pace_ms']:.0f} ms)",
            f"p50 {lag['p50']} ms, p99 {lag['p99']} ms, max {lag['max']} ms",
        ),
        Row(
            "events exported / objects written (one per partition per delivery)",
            f"{res['exported']} of {res['events']} / {res['objects']}"
            + (f" ({res['missing']} missing!)" if res["missing"] else ""),
        ),
        Row("on AWS (not measured): Firehose's buffer", "up to 300 s or 64 MB per partition before an object"),
    ]


def main(argv: list[str]) -> int:
    """``python -m bench.export_lag [events]``: on a local stack of its own, with the event runner."""
    import tempfile
    from pathlib import Path

    from dev.stack import LocalStack

    n = int(argv[0]) if argv else EVENTS
    stack = LocalStack(log_dir=Path(tempfile.mkdtemp(prefix="bench-export-")))
    try:
        res = run(stack.start(), n)
    finally:
        stack.stop()
    print(render_rows("10. Analytics export: bus -> S3 object lag (local runner)", rows(res)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
