"""A customer's points account and its entries."""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from .common import Cursor, Out, PageLimit, Strict


class PointsEntriesQuery(Strict):
    limit: PageLimit = 20
    cursor: Optional[Cursor] = None


class PointsOut(Out):
    user_id: str
    available: int
    pending: int = Field(description="earned, waiting out the return window")
    held: int = Field(description="spent by authorizations not yet captured")
    lifetime_earned: int
    next_available_at: Optional[str]


class PointsEntryOut(Out):
    id: str
    type: str
    points: int = Field(description="the change of the account's total")
    held: int = Field(description="put on hold (+) or taken off hold (-) within the account")
    spent: int
    earned: int
    returned: int
    clawed_back: int
    shortfall: int = Field(description="earned points a refund could not take back (already spent)")
    available_after: int
    pending_after: int
    held_after: int
    payment_id: Optional[str] = None
    reward_id: Optional[str] = None
    created_at: str


class PointsEntriesPage(Out):
    user_id: str
    entries: list[PointsEntryOut]
    next_cursor: Optional[str]
