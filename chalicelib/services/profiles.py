"""Reading what the segmentation runs wrote: a customer's profile (a key lookup), the segments of the last
run and their members, the sizes of every run; and asking for a run now (queued here, run by the
segmentation function when ``segmentation.requested`` reaches it from the table's stream)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import timedelta
from typing import Any

from ..domain.errors import InvalidRequest, NotFound, SegmentationInProgress
from ..domain.model import new_id
from ..domain.moments import parse_day, parse_time
from ..insight.segments import SEGMENTS
from . import clock
from .ports import ProfileStore

HISTORY_RUNS = 100
# a queued or running run younger than this refuses a new request (409); an older one is taken as lost
RUN_STALE_AFTER = timedelta(minutes=30)
BACKDATE_DAYS = 366  # how far back ``as_of`` may go


def profile(store: ProfileStore, user_id: str) -> dict[str, Any]:
    found = store.get_profile(user_id)
    if found is None:
        raise NotFound("profile", user_id)
    return found


def last_run(store: ProfileStore) -> dict[str, Any] | None:
    return next((r for r in store.latest_runs(HISTORY_RUNS) if r["state"] == "succeeded"), None)


def segments(store: ProfileStore) -> dict[str, Any]:
    """The last succeeded run's segments, every documented one listed (size 0 where empty)."""
    run = last_run(store)
    sizes = (run or {}).get("summary", {}).get("segments", {})
    return {
        "run_id": run["run_id"] if run else None,
        "as_of": run["summary"].get("as_of") if run else None,
        "segments": [
            {
                "name": name,
                "size": int(sizes.get(name, {}).get("size", 0)),
                "description": who,
                "strategy": strategy,
                "avg_balance": int(sizes.get(name, {}).get("avg_balance", 0)),
                "avg_monetary": int(sizes.get(name, {}).get("avg_monetary", 0)),
            }
            for name, (who, strategy) in SEGMENTS.items()
        ],
    }


def history(store: ProfileStore) -> dict[str, Any]:
    """Every succeeded run's segment sizes, newest first."""
    return {
        "runs": [
            {
                "run_id": r["run_id"],
                "as_of": r["summary"].get("as_of"),
                "finished_at": r["finished_at"],
                "sizes": {name: int(s.get("size", 0)) for name, s in r["summary"].get("segments", {}).items()},
            }
            for r in store.latest_runs(HISTORY_RUNS)
            if r["state"] == "succeeded"
        ]
    }


def members(store: ProfileStore, segment: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of a segment's members as the last run left them (by shard, then user id)."""
    if segment not in SEGMENTS:
        raise NotFound("segment", segment)
    try:
        page, after = store.members(segment, _decode(cursor) if cursor else None, limit)
    except ValueError as exc:
        raise InvalidRequest("cursor is not one this listing returned", code="invalid_cursor", field="cursor") from exc
    return {"segment": segment, "members": page, "next_cursor": _encode(after) if after else None}


def _encode(cursor: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(cursor, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except (ValueError, binascii.Error) as exc:
        raise ValueError("not a cursor") from exc
    if not isinstance(value, dict) or set(value) != {"shard", "after"}:
        raise ValueError("not a cursor")
    return value


def request_run(store: ProfileStore, requested_by: str, as_of: str | None) -> dict[str, Any]:
    """Queue a run for ``as_of`` (default: today, UTC): 202's body. While a run for the same day is queued or
    running, the request joins it (its id, nothing new queued); one for another day is refused (409). A run
    older than RUN_STALE_AFTER that never finished is taken as lost (its function died) and not waited for."""
    now = clock.now()
    today = now.date()
    day = parse_day(as_of, "as_of") or today
    if day > today:
        raise InvalidRequest("as_of may not be in the future", code="as_of_in_future", field="as_of")
    if day < today - timedelta(days=BACKDATE_DAYS):
        raise InvalidRequest(f"as_of may go back at most {BACKDATE_DAYS} days", code="as_of_too_old", field="as_of")
    for r in store.latest_runs(5):
        if r["state"] in ("queued", "running") and now - _started(r) < RUN_STALE_AFTER:
            if r.get("as_of") != day.isoformat():
                raise SegmentationInProgress(r["run_id"], r["state"])
            return {"run_id": r["run_id"], "state": r["state"], "as_of": r["as_of"], "requested_at": r["started_at"]}
    run = {
        "run_id": new_id("seg"),
        "state": "queued",
        "started_at": clock.stamp(),
        "as_of": day.isoformat(),
        "requested_by": requested_by,
    }
    store.add_run(run)  # a new id: never taken
    return {"run_id": run["run_id"], "state": "queued", "as_of": run["as_of"], "requested_at": run["started_at"]}


def _started(run: dict[str, Any]) -> Any:
    """When a run was queued or started; a time it does not hold in the stored format counts as long ago."""
    try:
        return parse_time(run["started_at"])
    except (ValueError, TypeError, KeyError):
        return parse_time("2000-01-01T00:00:00Z")


def run_state(store: ProfileStore, run_id: str) -> dict[str, Any]:
    """A run's state and, once it succeeded, its counts per segment."""
    r = store.get_run(run_id)
    if r is None:
        raise NotFound("segmentation_run", run_id)
    summary = r.get("summary") or {}
    return {
        "run_id": r["run_id"],
        "state": r["state"],
        "as_of": r.get("as_of") or summary.get("as_of"),
        "requested_by": r.get("requested_by"),
        "started_at": r["started_at"],
        "finished_at": r.get("finished_at"),
        "customers": int(r.get("customers") or 0),
        "counts": {name: int(s.get("size", 0)) for name, s in summary.get("segments", {}).items()},
        "prediction": summary.get("prediction"),
        "error": "the run failed; its function's log has the cause" if r["state"] == "failed" else None,
    }
