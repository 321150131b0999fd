"""Profiles and segmentation runs on the ledger table: ``W#{user} / PROFILE`` (a key lookup for the profile)
and ``SEGRUN / {run_id}``. A run rewrites every profile it computed (BatchWriteItem: derived data, overwritten
whole, so a retried run writes the same items again; no money moves here). Each profile is listed in the sparse
index ``segment-members`` under its segment (``keys.member_shard``), which pages a segment's members and is
the work list of a segment-targeted grant."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable

from .items_insight import ProfileItem, SegmentationItem
from pynamodb.exceptions import PutError, UpdateError

from .keys import SEGMENT_SHARDS, SEGMENTATION_PK, member_shard, profile_key, segment_shard, segmentation_key
from .table import LedgerItem

MEMBER_FIELDS = ("balance", "recency_days", "frequency", "monetary", "frequency_class")


class DynamoProfileStore:
    """ProfileStore (chalicelib/services/ports/insight.py) on the ledger table, through the table's one connection."""

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
                        member_shard=member_shard(p["segment"], p["user_id"]),
                        member=member_view(p),
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

    def members(
        self, segment: str, cursor: dict[str, Any] | None, limit: int
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Up to ``limit`` members of ``segment`` (by shard, then user id) from ``cursor`` on, and the cursor
        after them (None at the end). A cursor is ``{"shard": n, "after": <the last user id listed> | None}``."""
        shard, after = check_members_cursor(segment, cursor)
        out: list[dict[str, Any]] = []
        while shard < SEGMENT_SHARDS:
            page = ProfileItem.segment_members.query(
                segment_shard(segment, str(shard)),
                limit=limit - len(out),
                last_evaluated_key=_start_key(segment, after),
            )
            listed = [{"user_id": i.user_id, **jsonable(i.member.as_dict() if i.member else {})} for i in page]
            out += listed
            if page.last_evaluated_key is None:
                shard, after = shard + 1, None
            else:
                after = listed[-1]["user_id"] if listed else after
            if len(out) >= limit:
                break
        return out, ({"shard": shard, "after": after} if shard < SEGMENT_SHARDS else None)

    def put_run(self, run: dict[str, Any]) -> None:
        self._run_item(run).save()

    def add_run(self, run: dict[str, Any]) -> bool:
        """Write a new run (queued) unless one of its id exists: False if it does."""
        try:
            self._run_item(run).save(condition=SegmentationItem.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def claim_run(self, run_id: str, at: str) -> bool:
        """Move a queued run to running (``started_at`` = ``at``): True for the one caller that did, False if it
        is not queued (already claimed by a redelivery, or finished)."""
        item = SegmentationItem(*segmentation_key(run_id))
        try:
            item.update(
                actions=[SegmentationItem.state.set("running"), SegmentationItem.started_at.set(at)],
                condition=SegmentationItem.state == "queued",
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    @staticmethod
    def _run_item(run: dict[str, Any]) -> SegmentationItem:
        return SegmentationItem(
            *segmentation_key(run["run_id"]),
            kind="segmentation",
            run_id=run["run_id"],
            state=run["state"],
            started_at=run["started_at"],
            finished_at=run.get("finished_at"),
            customers=run.get("customers", 0),
            summary=run.get("summary") or {},
            error=run.get("error"),
            as_of=run.get("as_of"),
            requested_by=run.get("requested_by"),
        )

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
        "as_of": item.as_of,
        "requested_by": item.requested_by,
    }


def check_members_cursor(segment: str, cursor: dict[str, Any] | None) -> tuple[int, str | None]:
    """(shard, the user id to start after) of a members cursor for ``segment``; ValueError if it is not one
    ``members`` returned for that segment (a forged start key would otherwise reach DynamoDB)."""
    if cursor is None:
        return 0, None
    shard, after = cursor.get("shard"), cursor.get("after")
    if isinstance(shard, bool) or not isinstance(shard, int) or not 0 <= shard < SEGMENT_SHARDS:
        raise ValueError("shard")
    if after is not None and (
        not isinstance(after, str) or member_shard(segment, after) != segment_shard(segment, str(shard))
    ):
        raise ValueError("after")
    return shard, after


def _start_key(segment: str, after: str | None) -> dict[str, Any] | None:
    """The index's ExclusiveStartKey after ``after``'s profile (the index key and the table key)."""
    if after is None:
        return None
    pk, sk = profile_key(after)
    return {
        "pk": {"S": pk},
        "sk": {"S": sk},
        "member_shard": {"S": member_shard(segment, after)},
        "user_id": {"S": after},
    }


def member_view(profile: dict[str, Any]) -> dict[str, Any]:
    """What a segment's member listing shows of a profile (index ``segment-members`` projects it)."""
    rfm = profile.get("rfm") or {}
    return {
        "balance": profile.get("balance", 0),
        "recency_days": profile.get("recency_days"),
        "frequency": rfm.get("frequency", 0),
        "monetary": rfm.get("monetary", 0),
        "frequency_class": profile.get("frequency_class"),
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
