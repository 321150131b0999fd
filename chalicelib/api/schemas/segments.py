"""Profiles and segments, as the segmentation runs computed them (docs/segments.md)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from ...insight.segments import SEGMENTS
from .common import Cursor, Out, PageLimit, Strict, UtcDay


class RfmOut(Out):
    recency_days: int = Field(description="days since the last balance payment")
    frequency: int = Field(description="balance payments in the 90 days to the run's day")
    monetary: int = Field(description="what balance paid in them, fen")
    r_score: int
    f_score: int
    m_score: int


class PredictionOut(Out):
    p_active: float = Field(description="BG/NBD: the probability the customer still pays by balance")
    expected_payments_30d: float


class ProfileOut(Out):
    user_id: str
    segment: str
    frequency_class: str = Field(description="high (6+ balance payments in 90 days), medium (2-5), low (0-1)")
    rfm: Optional[RfmOut] = Field(description="null for a customer with no balance payment in the 90 days")
    recency_days: Optional[int]
    logins: int
    browses: int
    topups: int
    last_topup_day: Optional[str]
    balance_share_percent: Optional[int] = Field(description="of the 90 days' balance-paid orders, what balance paid")
    top_categories: list[str]
    average_rating: Optional[float]
    balance: int = Field(description="the wallet's total at the run, available and on hold, fen")
    prediction: Optional[PredictionOut]
    prediction_reason: Optional[str] = Field(description="why there is no prediction, when there is none")
    run_id: str
    computed_at: str


class SegmentOut(Out):
    name: str
    size: int
    description: str
    strategy: str
    avg_balance: int
    avg_monetary: int


class SegmentsOut(Out):
    run_id: Optional[str] = Field(description="the last succeeded run; null before the first")
    as_of: Optional[str]
    segments: list[SegmentOut]


class SegmentationRunOut(Out):
    run_id: str
    as_of: Optional[str]
    finished_at: Optional[str]
    sizes: dict[str, int]


class SegmentHistoryOut(Out):
    runs: list[SegmentationRunOut]


# ---- members of a segment --------------------------------------------------------------------------
SegmentName = Literal[tuple(SEGMENTS)]  # type: ignore[valid-type]


class MembersQuery(Strict):
    limit: PageLimit = 50
    cursor: Optional[Cursor] = None


class MemberOut(Out):
    user_id: str
    balance: int = Field(description="the wallet's total at the run, fen")
    recency_days: Optional[int] = Field(description="days since the last balance payment; null: none yet")
    frequency: int = Field(description="balance payments in the 90 days to the run's day")
    monetary: int = Field(description="what balance paid in them, fen")
    frequency_class: str


class MembersOut(Out):
    segment: str
    members: list[MemberOut]
    next_cursor: Optional[str] = Field(description="the next page's cursor; null on the last page")


# ---- runs ------------------------------------------------------------------------------------------
class SegmentationRequest(Strict):
    as_of: Optional[UtcDay] = Field(
        None, description="the UTC day to compute for (default today; at most 366 days back, not in the future)"
    )


class SegmentationQueuedOut(Out):
    run_id: str = Field(description="the new run's id; or the one already queued or running for that day")
    state: Literal["queued", "running"]
    as_of: str
    requested_at: str


class SegmentationStateOut(Out):
    run_id: str
    state: Literal["queued", "running", "succeeded", "failed"]
    as_of: Optional[str]
    requested_by: Optional[str] = Field(description="who asked for it; null for the daily schedule's runs")
    started_at: str = Field(description="when it was queued, then when it started running")
    finished_at: Optional[str]
    customers: int = Field(description="profiles written (0 until it succeeded)")
    counts: dict[str, int] = Field(description="customers per segment, once it succeeded")
    prediction: Optional[str] = Field(description="'fitted', or why the BG/NBD prediction was left out")
    error: Optional[str]
