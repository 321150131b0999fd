"""Backtests (the merchant's staff, admins): what a proposed balance rule, coupon or promotion would have done to the
merchant's checkouts of the last days; queued here, run by the backtest function (docs/backtests.md)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from .. import bootstrap
from ..services import backtests
from .checkouts import _validated_rules
from .routing import Call, route

bp = Blueprint(__name__)


def _store() -> Any:
    from ..store.backtests import backtest_store  # PynamoDB waits for the first request that needs it

    return backtest_store()


@route(
    bp,
    "/v1/merchants/{merchant_id}/backtests",
    "POST",
    name="requestBacktest",
    summary="Replay the merchant's checkouts of the last days under a proposed balance rule, coupon or promotion "
    "and under the current configuration (queued; the job runs it once): 202 with its id (its staff, admin)",
    access="user",
    body="backtests.BacktestRequest",
    response="backtests.BacktestQueuedOut",
    status=202,
    tag="insight",
)
def request_backtest(call: Call, merchant_id: str) -> dict:
    backtests.check_access(call.caller, merchant_id)  # before the proposal's own checks: a stranger learns nothing
    b = call.body
    proposal = {
        "balance_rules": _validated_rules(b.balance_rules) if b.balance_rules is not None else None,
        "coupon_definition": b.coupon_definition.model_dump() if b.coupon_definition is not None else None,
        "promotion": b.promotion.model_dump() if b.promotion is not None else None,
    }
    return backtests.request_backtest(_store(), bootstrap.store(), call.caller, merchant_id, proposal, b.days)


@route(
    bp,
    "/v1/merchants/{merchant_id}/backtests/{backtest_id}",
    "GET",
    name="getBacktest",
    summary="A backtest's state and, once it succeeded, both configurations' figures and their difference "
    "(its staff, admin)",
    access="user",
    response="backtests.BacktestOut",
    tag="insight",
)
def get_backtest(call: Call, merchant_id: str, backtest_id: str) -> dict:
    return backtests.get_backtest(_store(), call.caller, merchant_id, backtest_id)
