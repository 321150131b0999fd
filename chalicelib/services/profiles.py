"""Reading what the segmentation runs wrote: a customer's profile (a key lookup), the segments of the last
run, the sizes of every run."""

from __future__ import annotations

from typing import Any

from ..domain.errors import NotFound
from ..insight.segments import SEGMENTS
from .ports import ProfileStore

HISTORY_RUNS = 100


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
