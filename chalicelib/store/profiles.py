"""Profiles and segmentation runs on the ledger table: ``W#{user} / PROFILE`` (a key lookup for the profile
and for targeting) and ``SEGRUN / {run_id}``. A run rewrites every profile it computed (BatchWriteItem: derived
data, overwritten whole, so a retried run writes the same items again; no money moves here)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable

from .items_insight import ProfileItem, SegmentationItem
from .keys import SEGMENTATION_PK, profile_key, segmentation_key
from .table import LedgerItem


class DynamoProfileStore:
    """ProfileStore (chalicelib/services/ports.py) on the ledger table, through the table's one connection."""

    @property
    def _connection(self) -> Any:
        return LedgerItem._get_connection().connection

    def put_profiles(self, profiles: Iterable[dict[str, Any]], run_id: str, at: str) -> int:
        written = 0
        with ProfileItem.batch_write() as batch:
            for p in profiles:
                batch.save(
                    ProfileItem(
                        *profile_key(p["user_id"]),
                        kind="profile",
                        user_id=p["user_id"],
                        segment=p["segment"],
                        run_id=run_id,
                        computed_at=at,
                        profile=p,
                    )
                )
                written += 1
        return written

    def get_profile(self, user_id: str) -> dict[str, Any] | None:
        try:
            item = ProfileItem.get(*profile_key(user_id))
        except ProfileItem.DoesNotExist:
            return None
        return {**jsonable(item.profile.as_dict()), "run_id": item.run_id, "computed_at": item.computed_at}

    def put_run(self, run: dict[str, Any]) -> None:
        SegmentationItem(
            *segmentation_key(run["run_id"]),
            kind="segmentation",
            run_id=run["run_id"],
            state=run["state"],
            started_at=run["started_at"],
            finished_at=run.get("finished_at"),
            customers=run.get("customers", 0),
            summary=run.get("summary") or {},
            error=run.get("error"),
        ).save()

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        try:
            return _run(SegmentationItem.get(*segmentation_key(run_id)))
        except SegmentationItem.DoesNotExist:
            return None

    def latest_runs(self, limit: int) -> list[dict[str, Any]]:
        """The newest runs first (run ids sort by time)."""
        return [_run(i) for i in SegmentationItem.query(SEGMENTATION_PK, scan_index_forward=False, limit=limit)]


def _run(item: SegmentationItem) -> dict[str, Any]:
    return {
        "run_id": item.run_id,
        "state": item.state,
        "started_at": item.started_at,
        "finished_at": item.finished_at,
        "customers": int(item.customers or 0),
        "summary": jsonable(item.summary.as_dict() if hasattr(item.summary, "as_dict") else dict(item.summary)),
        "error": item.error,
    }


def jsonable(value: Any) -> Any:
    """A map read back from DynamoDB with its numbers as int or float again (they come back as Decimal)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
