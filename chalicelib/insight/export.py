"""The analytics export's layout on S3, as Amazon Data Firehose writes it (infra/concerns/analytics.py) and as
the local stack writes it (dev/lifecycle.py ``ExportDelivery``), and how it is read back.

- A record is the whole EventBridge event (``version, id, detail-type, source, account, time, region,
  resources, detail``), one JSON object per line, gzip-compressed.
- Objects are under ``export/events/dt=<YYYY-MM-DD of the event's time>/type=<detail-type>/``: the Glue
  table's partition projection (``dt`` a date, ``type`` an enum of the catalogue's detail types) maps each
  partition to that prefix, so a query over 30 days reads those 30 days' objects only.
- Delivery is at least once (Firehose retries; the bus may put an event twice): every analysis dedupes on
  ``detail.event_id``.
"""

from __future__ import annotations

import gzip
import json
import threading
import uuid
from collections import OrderedDict
from datetime import date, datetime, timezone
from typing import Any, Iterable, Iterator

PREFIX = "export/events/"
COLUMNS = ("version", "id", "detail_type", "source", "account", "time", "region", "detail", "dt", "type")


def partition(event: dict[str, Any]) -> tuple[str, str]:
    """(dt, type) of an event: Firehose's JQ query ``{dt: .time[0:10], type: ."detail-type"}``."""
    return str(event["time"])[:10], str(event["detail-type"])


def prefix_of(dt: str, detail_type: str) -> str:
    return f"{PREFIX}dt={dt}/type={detail_type}/"


def objects_of(events: Iterable[dict[str, Any]], stream: str, now: datetime | None = None) -> dict[str, bytes]:
    """The objects one delivery writes: one gzip object of newline-delimited records per partition, named as
    Firehose names its objects (``<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>.gz``)."""
    now = now or datetime.now(timezone.utc)
    groups: dict[tuple[str, str], list[str]] = {}
    for event in events:
        groups.setdefault(partition(event), []).append(json.dumps(event, separators=(",", ":")) + "\n")
    stamp = now.strftime("%Y-%m-%d-%H-%M-%S")
    return {
        f"{prefix_of(dt, t)}{stream}-1-{stamp}-{uuid.uuid4()}.gz": gzip.compress("".join(lines).encode())
        for (dt, t), lines in groups.items()
    }


def rows_of(body: bytes, dt: str, detail_type: str) -> Iterator[tuple[Any, ...]]:
    """The table's rows of one object, as the Glue table reads it (``detail`` is the JSON text of the object)."""
    text = gzip.decompress(body).decode() if body[:2] == b"\x1f\x8b" else body.decode()
    for line in text.splitlines():
        if not line.strip():
            continue
        e = json.loads(line)
        yield (
            e.get("version"),
            e.get("id"),
            e.get("detail-type"),
            e.get("source"),
            e.get("account"),
            e.get("time"),
            e.get("region"),
            json.dumps(e.get("detail"), separators=(",", ":")),
            dt,
            detail_type,
        )


# The rows of the objects read so far, by (bucket, key, ETag), least recently read first, at most CACHED_ROWS rows
# in all. An export object is written once under a name of its own (objects_of), and a rewritten one would have
# another ETag, so a cached object's rows are its rows: a process that reads the export again (the local event
# runner runs a backtest per request, every report reads its days) fetches and decodes only the objects new since.
CACHED_ROWS = 500_000
_cache: OrderedDict[tuple[str, str, str], tuple[tuple[Any, ...], ...]] = OrderedDict()
_cached_rows = 0
_cache_lock = threading.Lock()  # chalice local serves requests on threads


def _object_rows(s3: Any, bucket: str, obj: dict[str, Any], dt: str, detail_type: str) -> tuple[tuple[Any, ...], ...]:
    global _cached_rows
    key = (bucket, obj["Key"], str(obj.get("ETag", "")))
    with _cache_lock:
        rows = _cache.get(key)
        if rows is not None:
            _cache.move_to_end(key)
            return rows
    body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
    rows = tuple(rows_of(body, dt, detail_type))
    if not key[2] or len(rows) > CACHED_ROWS:
        return rows  # no ETag to tell a rewrite by, or too large to keep
    with _cache_lock:
        if key not in _cache:
            _cache[key] = rows
            _cached_rows += len(rows)
        while _cached_rows > CACHED_ROWS:
            _, dropped = _cache.popitem(last=False)
            _cached_rows -= len(dropped)
    return rows


def read(s3: Any, bucket: str, start: date, end: date) -> list[tuple[Any, ...]]:
    """Every row of the export from ``start`` to ``end`` (days of the events' time), read with S3's own API
    (locally DuckDB cannot fetch from S3 itself: no httpfs here). Keys list in order, and ``dt=`` sorts as its
    date: one listing starts after the day before ``start`` and stops at the first key past ``end`` (a listing a
    day cost a request per day, some 3 s for a year's report on the local stack). An object read before is not
    fetched again (``_object_rows``)."""
    out: list[tuple[Any, ...]] = []
    first, last = start.isoformat(), end.isoformat()
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=PREFIX, StartAfter=f"{PREFIX}dt={first}"):
        for obj in page.get("Contents", []):
            dt, _, rest = obj["Key"][len(PREFIX) :].partition("/")
            dt = dt.removeprefix("dt=")
            if dt > last:
                return out
            if dt < first or not rest.startswith("type="):
                continue
            detail_type = rest[len("type=") :].split("/", 1)[0]
            out.extend(_object_rows(s3, bucket, obj, dt, detail_type))
    return out
