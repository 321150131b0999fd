"""Operators' reports: the liability and the segment sizes from the ledger; the export's analyses (admins, and a
merchant's staff for their own merchant where a report is by merchant)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from datetime import date, timedelta

from chalice import Blueprint

from .. import bootstrap
from ..domain import access
from ..domain.errors import Forbidden
from ..domain.moments import parse_day
from ..services import clock, reports
from .routing import Call, route

if TYPE_CHECKING:
    from .schemas.reports import DaysQuery

bp = Blueprint(__name__)

DEFAULT_DAYS = 30


def days_of(q: DaysQuery) -> tuple[date, date]:
    """The query's period: ``to`` default today, ``from`` default DEFAULT_DAYS - 1 before it; refused (400) when
    reversed or too long, before anything is read."""
    end = parse_day(q.to, "to") or clock.now().date()
    start = parse_day(q.from_, "from") or end - timedelta(days=DEFAULT_DAYS - 1)
    reports.period(start, end)
    return start, end


def _staff_or_admin(call: Call, merchant_id: str | None) -> None:
    if not access.manages(call.caller, merchant_id):
        raise Forbidden("an admin, or a merchant's staff for their own merchant (merchant_id)")


@route(
    bp,
    "/v1/admin/reports/liability",
    "GET",
    name="reportLiability",
    summary="What the wallets hold now, cash and bonus, by age of the money and by expiry (admin; a full read)",
    access="admin",
    response="reports.LiabilityOut",
    tag="reports",
)
def liability(call: Call) -> dict:
    return reports.liability(bootstrap.store().scan(), clock.now())


@route(
    bp,
    "/v1/admin/reports/obstacles",
    "GET",
    name="reportObstacles",
    summary="Of a period's checkouts, how many balance paid fully, partly or not at all, and why (admin; staff)",
    access="user",
    query="reports.PeriodQuery",
    response="reports.ObstaclesOut",
    tag="reports",
)
def obstacles(call: Call) -> dict:
    _staff_or_admin(call, call.query.merchant_id)
    start, end = days_of(call.query)
    return reports.obstacles(bootstrap.analytics(start, end), start, end, call.query.merchant_id)


@route(
    bp,
    "/v1/admin/reports/breakage",
    "GET",
    name="reportBreakage",
    summary="Bonus that expired unused, by month, against the bonus granted that month (admin)",
    access="admin",
    query="reports.DaysQuery",
    response="reports.BreakageOut",
    tag="insight",
)
def breakage(call: Call) -> dict:
    start, end = days_of(call.query)
    return reports.breakage(bootstrap.analytics(start, end), start, end)


@route(
    bp,
    "/v1/admin/reports/balance-share",
    "GET",
    name="reportBalanceShare",
    summary="The share of sales balance paid, net of refunds, per merchant and day (admin; staff)",
    access="user",
    query="reports.PeriodQuery",
    response="reports.BalanceShareOut",
    tag="insight",
)
def balance_share(call: Call) -> dict:
    _staff_or_admin(call, call.query.merchant_id)
    start, end = days_of(call.query)
    return reports.balance_share(bootstrap.analytics(start, end), start, end, call.query.merchant_id)


@route(
    bp,
    "/v1/admin/reports/segments",
    "GET",
    name="reportSegments",
    summary="Each day's segment sizes: the day's last segmentation run (admin; from the ledger)",
    access="admin",
    query="reports.DaysQuery",
    response="reports.SegmentSizesOut",
    tag="insight",
)
def segment_sizes(call: Call) -> dict:
    start, end = days_of(call.query)
    return reports.segment_sizes(bootstrap.profile_store(), start, end)


@route(
    bp,
    "/v1/admin/reports/feedback",
    "GET",
    name="reportFeedback",
    summary="Ratings by the customers' segment when they rated and by tag: count, average, 1 to 5 (admin)",
    access="admin",
    query="reports.DaysQuery",
    response="reports.FeedbackReportOut",
    tag="insight",
)
def feedback(call: Call) -> dict:
    start, end = days_of(call.query)
    return reports.feedback(bootstrap.analytics(reports.feedback_reads_from(start), end), start, end)
