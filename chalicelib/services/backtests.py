"""Backtests: what a merchant's proposed balance rules, coupon or promotion would have done to its checkouts of the
last days, asked for over the API (queued here) and run by the backtest function once ``backtest.requested``
reaches it from the table's stream (``run``). The replay itself is ``chalicelib.domain.backtest``; this module
reads what it needs: the checkouts from the export (the ``backtest_checkouts`` analysis), the customers' own coupons
their quotes named, and the merchant's configuration now (its rules, the tiers, the promotions it had over the
period) from the ledger. Nothing here writes to the ledger but the backtest's own item: no money moves, no coupon
or point changes hands.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date, datetime, timedelta
from typing import Any, Callable, Protocol

from ..domain import access
from .ports import BacktestStore
from ..domain.backtest import (
    Configuration,
    PastCheckout,
    Replay,
    as_replayed,
    by_customer,
    merged,
    past_checkout,
    proposed,
    proposed_promotion,
    replay,
    shares_a_budget,
)
from ..domain.coupons import CouponDefinition, CouponTerms
from ..domain.errors import Forbidden, InvalidRequest, NotFound
from ..domain.model import Principal, new_id
from ..domain.moments import parse_time
from ..domain.pricing import PricingPolicy
from ..domain.promotions import Effect, Promotion, factor_percent
from ..domain.rules import BalanceRules
from ..domain.tiers import TierTable
from ..observability import capture_method, logger
from . import clock
from .ports import Configurations, Snapshots
from .reports import Engine

ANALYSIS = "backtest_checkouts"
MAX_DAYS = 90
LATEST = 20  # the merchant's newest backtests a request looks through for one it may join
# a queued or running backtest younger than this is joined by a request with the same proposal; an older one that
# never finished is taken as lost (its function died)
STALE_AFTER = timedelta(minutes=30)
PARALLEL_FROM = 20_000  # checkouts from which the replay uses a second core (a second process costs about 1 s)


class PromotionList(Protocol):
    def list_promotions(self) -> list[Promotion]: ...


class ConfigurationStore(Configurations, PromotionList, Protocol):
    """The ledger as the backtest reads it: the merchant's configuration now and every promotion."""


# ---- asking for one ---------------------------------------------------------------------------------------------


def check_access(principal: Principal, merchant_id: str) -> None:
    """The merchant's staff and admins backtest its configuration (as they change it)."""
    if not access.manages(principal, merchant_id):
        raise Forbidden("the merchant's staff or an admin backtests its configuration")


def check_coupon_definition(doc: dict[str, Any], merchant_id: str) -> None:
    """What the coupon definitions' route refuses beyond the fields (services/coupons.py put_definition), and a
    definition of another merchant."""
    if doc["valid_to"] <= doc["valid_from"]:
        raise InvalidRequest("valid_to must be after valid_from", field="coupon_definition.valid_to")
    if doc["kind"] == "percent_off" and not 0 < doc["value"] <= 100:
        raise InvalidRequest(
            "a percent_off value is a percentage, 1 to 100", code="invalid_request", field="coupon_definition.value"
        )
    if doc.get("merchant_id") not in (None, merchant_id):
        raise InvalidRequest(
            "a backtest replays this merchant's checkouts: the coupon definition is another merchant's",
            code="coupon_for_another_merchant",
            field="coupon_definition.merchant_id",
        )


def check_promotion(doc: dict[str, Any]) -> None:
    """What the promotions' route refuses of an effect (services/promotions.py), and an effect no replay of
    prices can show."""
    effect = doc["effect"]
    if effect["kind"] == "points_multiplier" and factor_percent(effect["factor"]) is None:
        raise InvalidRequest(
            'factor is a decimal string above 1 and at most 10, two decimals at most (e.g. "1.5")',
            code="invalid_factor",
            field="promotion.effect.factor",
        )
    if effect["kind"] == "grant_coupon":
        raise InvalidRequest(
            "a grant_coupon promotion changes no price: backtest the coupon it grants as coupon_definition",
            code="promotion_not_replayable",
            field="promotion.effect.kind",
        )


def proposal_hash(proposal: dict[str, Any], days: int) -> str:
    return hashlib.sha256(json.dumps({"proposal": proposal, "days": days}, sort_keys=True).encode()).hexdigest()


def _queued_view(b: dict[str, Any]) -> dict[str, Any]:
    return {
        "backtest_id": b["backtest_id"],
        "merchant_id": b["merchant_id"],
        "state": b["state"],
        "days": b["days"],
        "requested_at": b["requested_at"],
    }


@capture_method
def request_backtest(
    store: BacktestStore,
    ledger: Snapshots,
    principal: Principal,
    merchant_id: str,
    proposal: dict[str, Any],
    days: int,
) -> dict[str, Any]:
    """Queue a backtest of ``proposal`` (``balance_rules``, ``coupon_definition``, ``promotion``: each validated by
    the API, or None: the current one) over the merchant's last ``days`` days: 202's body. While a backtest of the
    same proposal and days is queued or running, the request joins it (its id; nothing new queued)."""
    check_access(principal, merchant_id)
    if not 1 <= days <= MAX_DAYS:
        raise InvalidRequest(f"days is 1 to {MAX_DAYS}", field="days")
    if proposal.get("coupon_definition") is not None:
        check_coupon_definition(proposal["coupon_definition"], merchant_id)
    if proposal.get("promotion") is not None:
        check_promotion(proposal["promotion"])
    if ledger.snapshot(merchant=merchant_id).merchant is None:
        raise NotFound("merchant", merchant_id)
    digest = proposal_hash(proposal, days)
    now = clock.now()
    for b in store.latest_backtests(merchant_id, LATEST):
        if b["state"] in ("queued", "running") and b["proposal_hash"] == digest and now - _time(b) < STALE_AFTER:
            return _queued_view(b)
    b = {
        "backtest_id": new_id("bt"),
        "merchant_id": merchant_id,
        "state": "queued",
        "days": days,
        "proposal": proposal,
        "proposal_hash": digest,
        "requested_by": principal.user_id,
        "requested_at": clock.stamp(),
    }
    store.add_backtest(b)  # a new id: never taken
    return _queued_view(b)


def _time(b: dict[str, Any]) -> datetime:
    """When a backtest was asked for; a time not in the stored format counts as long ago."""
    try:
        return parse_time(b["requested_at"])
    except (ValueError, TypeError, KeyError):
        return parse_time("2000-01-01T00:00:00Z")


@capture_method
def get_backtest(store: BacktestStore, principal: Principal, merchant_id: str, backtest_id: str) -> dict[str, Any]:
    check_access(principal, merchant_id)
    b = store.get_backtest(merchant_id, backtest_id)
    if b is None:
        raise NotFound("backtest", backtest_id)
    return {
        "backtest_id": b["backtest_id"],
        "merchant_id": b["merchant_id"],
        "state": b["state"],
        "days": b["days"],
        "from": b.get("period_from"),
        "to": b.get("period_to"),
        "proposal": b["proposal"],
        "requested_by": b["requested_by"],
        "requested_at": b["requested_at"],
        "started_at": b.get("started_at"),
        "finished_at": b.get("finished_at"),
        "report": b.get("report") if b["state"] == "succeeded" else None,
        "error": "the backtest failed; its function's log has the cause" if b["state"] == "failed" else None,
    }


# ---- running one -------------------------------------------------------------------------------------------------


def period(b: dict[str, Any]) -> tuple[date, date]:
    """The days a backtest replays: its ``days`` up to the day it was asked for (UTC), both included."""
    last = parse_time(b["requested_at"]).date()
    return last - timedelta(days=int(b["days"]) - 1), last


def proposed_coupon(doc: dict[str, Any]) -> CouponDefinition:
    terms = CouponTerms(
        definition_id="proposed",
        name=doc["name"],
        kind=doc["kind"],
        value=doc["value"],
        max_discount=doc.get("max_discount"),
        min_spend=doc.get("min_spend") or 0,
        merchant_id=doc.get("merchant_id"),
        balance_pay_only=bool(doc.get("balance_pay_only")),
        valid_from=doc["valid_from"],
        valid_to=doc["valid_to"],
        counts_uses=doc.get("budget_count") is not None,
        counts_amount=doc.get("budget_amount") is not None,
    )
    return CouponDefinition(
        terms=terms,
        per_customer_limit=int(doc.get("per_customer_limit") or 1),
        budget_count=doc.get("budget_count"),
        budget_amount=doc.get("budget_amount"),
    )


def configurations(
    ledger: ConfigurationStore, merchant_id: str, proposal: dict[str, Any], first: date, last: date, at: str
) -> tuple[Configuration, Configuration]:
    """The merchant's configuration now (its rules, the tiers, the promotions that applied to it over the
    period, each in its window), and the same with the proposal's changes."""
    snap, _ = ledger.read_configuration(merchant_id)
    rules = snap.rules or BalanceRules(merchant_id=merchant_id)
    start, end = f"{first.isoformat()}T00:00:00", f"{(last + timedelta(days=1)).isoformat()}T00:00:00"
    promotions = tuple(
        r
        for r in (as_replayed(p) for p in ledger.list_promotions() if p.applies_to(merchant_id))
        if r is not None and r.starts_at < end and r.ends_at > start
    )
    current = Configuration(rules, snap.tiers or TierTable(), promotions)
    doc = proposal.get("balance_rules")
    new_rules = BalanceRules.from_view(merchant_id, doc, rules.version, None) if doc is not None else None
    coupon = proposed_coupon(proposal["coupon_definition"]) if proposal.get("coupon_definition") else None
    promotion = None
    if proposal.get("promotion"):
        p = proposal["promotion"]
        promotion = proposed_promotion(merchant_id, Effect.from_doc(p["effect"]), p.get("name"), at)
    return current, proposed(current, new_rules, coupon, promotion)


def replay_on_cores(
    past: list[PastCheckout], current: Configuration, changed: Configuration, policy: PricingPolicy
) -> Replay:
    """``domain.backtest.replay`` of every checkout, on two cores when there are enough checkouts to gain from it:
    the customers split in two groups (``by_customer``), one group replayed in a process of its own while this one
    replays the other, the two merged. The same figures as one replay (each customer's checkouts stay together);
    done in one process when a budget is shared between customers, when there is one core, or when the second
    process cannot be had (it is started with ``spawn``: nothing of this process's connections or threads is
    inherited)."""
    if len(past) < PARALLEL_FROM or shares_a_budget(changed) or (os.cpu_count() or 1) < 2:
        return replay(past, current, changed, policy)
    import multiprocessing

    mine, theirs = by_customer(past, 2)
    context = multiprocessing.get_context("spawn")
    try:
        receiving, sending = context.Pipe(duplex=False)
        worker = context.Process(target=_replay_part, args=(theirs, current, changed, policy, sending), daemon=True)
        worker.start()
    except OSError as exc:  # no second process here: one replay
        logger.warning("backtest in one process", extra={"error": repr(exc)})
        return replay(past, current, changed, policy)
    sending.close()
    here = replay(mine, current, changed, policy)
    try:
        outcome, there = receiving.recv()
    except EOFError:
        outcome, there = "error", "the second process ended without an answer"
    finally:
        receiving.close()
        worker.join(timeout=5)
    if outcome != "ok":
        logger.warning("backtest's second process failed: its half replayed here", extra={"error": there})
        there = replay(theirs, current, changed, policy)
    return merged([here, there])


def _replay_part(
    part: list[PastCheckout], current: Configuration, changed: Configuration, policy: PricingPolicy, answer: Any
) -> None:
    """The second process's work: one group's replay, sent back (or why not)."""
    try:
        answer.send(("ok", replay(part, current, changed, policy)))
    except Exception as exc:  # sent to the first process, which replays this group itself
        answer.send(("error", repr(exc)))
    finally:
        answer.close()


@capture_method
def run(
    store: BacktestStore,
    ledger: ConfigurationStore,
    engine_for: Callable[[date, date], Engine],
    policy: PricingPolicy,
    merchant_id: str,
    backtest_id: str,
) -> dict[str, Any]:
    """Run a queued backtest: claimed first (queued -> running, one claim wins: a redelivered request runs it
    once; one already claimed or finished answers ``{"state": "skipped"}``), then the checkouts read and
    replayed, then its report recorded (succeeded), or the error (failed, raised again for the function's log
    and dead-letter queue)."""
    b = store.get_backtest(merchant_id, backtest_id)
    if b is None:
        return {"backtest_id": backtest_id, "state": "missing"}
    first, last = period(b)
    if not store.claim_backtest(merchant_id, backtest_id, clock.stamp(), (first.isoformat(), last.isoformat())):
        return {"backtest_id": backtest_id, "state": "skipped"}
    try:
        rows = engine_for(first - timedelta(days=1), last).run(
            ANALYSIS, [first.isoformat(), (first - timedelta(days=1)).isoformat(), last.isoformat(), merchant_id]
        )
        quoted = [r for r in rows if r["quoted"]]
        wanted = [(r["user_id"], r["coupon_id"]) for r in quoted if _own_coupon(r)]
        coupons = store.coupons(wanted) if wanted else {}
        past = [
            past_checkout(r, merchant_id, coupons.get((r["user_id"], r["coupon_id"])) if _own_coupon(r) else None)
            for r in quoted
        ]
        current, changed = configurations(ledger, merchant_id, b["proposal"], first, last, clock.stamp())
        replayed = replay_on_cores(past, current, changed, policy)
        report = {
            "from": first.isoformat(),
            "to": last.isoformat(),
            "replayed": len(past),
            "not_replayed": {"never_quoted": len(rows) - len(quoted)},
            "coupons_not_found": len(set(wanted) - set(coupons)),
            **replayed.as_view(policy.points.point_value),
        }
    except Exception as exc:
        store.finish_backtest(merchant_id, backtest_id, "failed", clock.stamp(), error=repr(exc)[:1000])
        raise
    store.finish_backtest(merchant_id, backtest_id, "succeeded", clock.stamp(), report=report)
    return {"backtest_id": backtest_id, "state": "succeeded", "replayed": len(past)}


def _own_coupon(row: dict[str, Any]) -> bool:
    """A coupon the quote named that was the customer's to use (a used one was refused, and is left out)."""
    return bool(row.get("coupon_id")) and row.get("refusal") != "coupon_already_used"
