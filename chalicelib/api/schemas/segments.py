"""Profiles and segments, as the segmentation runs computed them (docs/segments.md)."""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from .common import Out


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
