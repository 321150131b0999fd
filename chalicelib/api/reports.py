"""Operators' reports: the liability from the ledger; the export's analyses (admins, and a merchant's staff for
their own merchant)."""

from __future__ import annotations

from datetime import timedelta

from chalice import Blueprint

from .. import bootstrap
from ..domain import access
from ..domain.errors import Forbidden
from ..domain.moments import parse_day
from ..services import clock, reports
from .routing import Call, route
from .schemas.reports import LiabilityOut, ObstaclesOut, PeriodQuery

bp = Blueprint(__name__)

DEFAULT_DAYS = 30


@route(
    bp,
    "/v1/admin/reports/liability",
    "GET",
    name="reportLiability",
    summary="What the wallets hold now, cash and bonus, by age of the money and by expiry (admin; a full read)",
    access="admin",
    response=LiabilityOut,
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
    query=PeriodQuery,
    response=ObstaclesOut,
    tag="reports",
)
def obstacles(call: Call) -> dict:
    q = call.query
    if not access.manages(call.caller, q.merchant_id):
        raise Forbidden("an admin, or a merchant's staff for their own merchant (merchant_id)")
    end = parse_day(q.to, "to") or clock.now().date()
    start = parse_day(q.from_, "from") or end - timedelta(days=DEFAULT_DAYS - 1)
    reports.period(start, end)  # refused before anything is read
    return reports.obstacles(bootstrap.analytics(start, end), start, end, q.merchant_id)
