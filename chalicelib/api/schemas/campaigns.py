"""Campaigns: one action for a segment's members, a random holdout, and the measured uplift (docs/campaigns.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, Field, StrictBool, StrictInt, StrictStr

from ...insight.segments import SEGMENTS
from .common import Ident, Instant, Out, Strict, Text, TransactionFen


def _a_segment(value: str) -> str:
    if value not in SEGMENTS:
        raise ValueError(f"a segment is one of {', '.join(SEGMENTS)}")
    return value


Choice = Annotated[StrictStr, Field(min_length=1, max_length=80)]


class GrantCouponAction(Strict):
    kind: Literal["grant_coupon"]
    definition_id: Ident


class GrantBonusAction(Strict):
    kind: Literal["grant_bonus"]
    amount: TransactionFen
    valid_days: Annotated[StrictInt, Field(ge=1, le=365, description="the bonus expires this many days after it")]


class NotifyAction(Strict):
    kind: Literal["notify"]
    title: Annotated[StrictStr, Field(min_length=1, max_length=120)]
    body: Annotated[StrictStr, Field(min_length=1, max_length=2000)]


class SurveyAction(Strict):
    kind: Literal["survey"]
    question: Annotated[StrictStr, Field(min_length=1, max_length=200)]
    choices: Annotated[list[Choice], Field(min_length=2, max_length=10, description="distinct")]
    allow_comment: StrictBool = False


class CampaignRequest(Strict):
    """``run_at``: not in the past (a minute's skew allowed), at most 90 days ahead; none: now."""

    name: Text
    segment: Annotated[
        StrictStr,
        Field(json_schema_extra={"enum": list(SEGMENTS)}, description="a segment of the last segmentation run"),
        AfterValidator(_a_segment),
    ]
    action: Annotated[GrantCouponAction | GrantBonusAction | NotifyAction | SurveyAction, Field(discriminator="kind")]
    holdout_percent: Annotated[StrictInt, Field(ge=0, le=50)] = 10
    run_at: Optional[Instant] = None
    measure_days: Annotated[StrictInt, Field(ge=1, le=90)] = 14


class DeliveryOut(Out):
    state: str
    pages: int


class CampaignOut(Out):
    campaign_id: str
    name: str
    segment: str
    action: dict[str, Any]
    holdout_percent: int
    measure_days: int
    run_at: str
    status: Literal["scheduled", "running", "completed", "cancelled"]
    created_at: str
    created_by: str
    started_at: Optional[str]
    completed_at: Optional[str]
    cancelled_at: Optional[str]
    delivery: DeliveryOut
    targeted: int = Field(description="members reached by the run (treated and holdout)")
    treated: int
    holdout: int = Field(description="members held out: they get nothing and are never told")
    delivered: int = Field(description="treated members the action reached")
    failed: int
    inbox_only: int = Field(
        description="delivered members a notify or survey reached in the inbox alone: opted out of marketing e-mail "
        "(or no address): never e-mailed"
    )
    measurement: dict[str, Any] = Field(
        description="state (not_requested, queued, running, succeeded, failed); when measured: the windows, each "
        "group's figures and the uplift with its 95 % interval (docs/campaigns.md)"
    )
    survey: Optional[dict[str, Any]] = Field(
        None, description="a survey's answers once it has run: overall, by segment and by frequency class"
    )


class CampaignsPage(Out):
    campaigns: list[CampaignOut]
