"""Backtests on the ledger table: ``BT#{merchant} / {backtest_id}`` (a merchant's own partition; ids begin with the
request's time, so one Query lists the newest). Derived data, no money: the item holds the proposal, the state
(queued -> running -> succeeded | failed, each step conditioned on the one before) and the report.

The stream publisher turns a new queued item into ``backtest.requested``; the backtest function claims it
(queued -> running, one claim wins), so a redelivered event runs it once. The job also reads the customers' own
coupons its checkouts' quotes named (their terms, as granted), by key, a hundred at a time.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError

from ..domain.coupons import Coupon
from .coupons import as_coupon
from .keys import BACKTEST_PREFIX, backtest_key, coupon_key
from .models import CouponItem
from .table import LedgerItem, item_meta

COUPON_BATCH = 100  # BatchGetItem's most keys a call


class BacktestItem(LedgerItem):
    """One backtest. The stream publisher turns its insertion as ``queued`` into ``backtest.requested``: keep
    these names."""

    Meta = item_meta()
    backtest_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    state = UnicodeAttribute()  # queued | running | succeeded | failed
    days = NumberAttribute()
    proposal = JSONAttribute()  # the validated proposal: balance_rules, coupon_definition, promotion (each or null)
    proposal_hash = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    requested_at = UnicodeAttribute()
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    period_from = UnicodeAttribute(null=True)
    period_to = UnicodeAttribute(null=True)
    report = JSONAttribute(null=True)
    error = UnicodeAttribute(null=True)


def _conditional_failed(exc: PutError | UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


def _view(item: BacktestItem) -> dict[str, Any]:
    return {
        "backtest_id": item.backtest_id,
        "merchant_id": item.merchant_id,
        "state": item.state,
        "days": int(item.days),
        "proposal": item.proposal,
        "proposal_hash": item.proposal_hash,
        "requested_by": item.requested_by,
        "requested_at": item.requested_at,
        "started_at": item.started_at,
        "finished_at": item.finished_at,
        "period_from": item.period_from,
        "period_to": item.period_to,
        "report": item.report,
        "error": item.error,
    }


class DynamoBacktestStore:
    """BacktestStore (chalicelib/services/backtests.py) on the ledger table, through the table's one connection."""

    def add_backtest(self, b: dict[str, Any]) -> bool:
        """Write a new backtest (queued); False if one of its id exists."""
        try:
            BacktestItem(
                *backtest_key(b["merchant_id"], b["backtest_id"]),
                kind="backtest",
                backtest_id=b["backtest_id"],
                merchant_id=b["merchant_id"],
                state=b["state"],
                days=b["days"],
                proposal=b["proposal"],
                proposal_hash=b["proposal_hash"],
                requested_by=b["requested_by"],
                requested_at=b["requested_at"],
            ).save(condition=BacktestItem.pk.does_not_exist())
        except PutError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def get_backtest(self, merchant_id: str, backtest_id: str) -> dict[str, Any] | None:
        try:
            return _view(BacktestItem.get(*backtest_key(merchant_id, backtest_id), consistent_read=True))
        except BacktestItem.DoesNotExist:
            return None

    def latest_backtests(self, merchant_id: str, limit: int) -> list[dict[str, Any]]:
        """The merchant's newest backtests first."""
        pk = f"{BACKTEST_PREFIX}{merchant_id}"
        return [_view(i) for i in BacktestItem.query(pk, scan_index_forward=False, limit=limit, consistent_read=True)]

    def claim_backtest(self, merchant_id: str, backtest_id: str, at: str, period: tuple[str, str]) -> bool:
        """queued -> running (``started_at`` = ``at``, the period it replays): True for the one caller that moved
        it, False if it is not queued (claimed by a redelivery already, or finished)."""
        item = BacktestItem(*backtest_key(merchant_id, backtest_id))
        try:
            item.update(
                actions=[
                    BacktestItem.state.set("running"),
                    BacktestItem.started_at.set(at),
                    BacktestItem.period_from.set(period[0]),
                    BacktestItem.period_to.set(period[1]),
                ],
                condition=BacktestItem.state == "queued",
            )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def finish_backtest(
        self,
        merchant_id: str,
        backtest_id: str,
        state: str,
        at: str,
        report: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> bool:
        """running -> succeeded (with its report) or failed (with the error); False if it is not running."""
        item = BacktestItem(*backtest_key(merchant_id, backtest_id))
        actions: list[Any] = [BacktestItem.state.set(state), BacktestItem.finished_at.set(at)]
        if report is not None:
            actions.append(BacktestItem.report.set(report))
        if error is not None:
            actions.append(BacktestItem.error.set(error))
        try:
            item.update(actions=actions, condition=BacktestItem.state == "running")
        except UpdateError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def coupons(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Coupon]:
        """The customers' coupons by (user, coupon id), as the ledger holds them (terms as granted); a key with no
        coupon is left out."""
        wanted = sorted(set(keys))
        out: dict[tuple[str, str], Coupon] = {}
        for start in range(0, len(wanted), COUPON_BATCH):
            batch = [coupon_key(user, coupon) for user, coupon in wanted[start : start + COUPON_BATCH]]
            for item in CouponItem.batch_get(batch):
                out[(item.user_id, item.coupon_id)] = as_coupon(item)
        return out


@lru_cache(maxsize=1)
def backtest_store() -> DynamoBacktestStore:
    """The process's backtest store, on the table's one connection (the ledger store connects it first)."""
    from . import get_store

    get_store()
    return DynamoBacktestStore()
