"""Top-ups: a customer asks to add money; the payment provider's webhook credits it once."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from ..domain.errors import AmountMismatch, BalanceLimitExceeded, NotFound, TopupNotPending
from ..domain.ledger import apply_delta
from ..domain.model import Entry, Movement, Principal, Snapshot, Topup, new_id, utc_now
from ..domain.money import Lots
from ..observability import capture_method
from .common import IdempotentRequest, LedgerStore, Outcome, record_once, replay, run_movement, wallet_or_empty


@capture_method
def create_topup(
    store: LedgerStore, *, currency: str, max_balance: int, principal: Principal,
    request: IdempotentRequest, amount: int, channel: str,
) -> Outcome:
    """Record a pending top-up under the caller's Idempotency-Key (no money moves yet)."""
    snap = store.snapshot(wallet=principal.user_id, idempotency=(request.scope, request.key))
    previous = replay(snap.idempotency, request)
    if previous is not None:
        return previous
    wallet = wallet_or_empty(snap.wallet, principal.user_id, currency)
    if wallet.lots.total + amount > max_balance:
        raise BalanceLimitExceeded(wallet.lots.total + amount, max_balance)
    topup = Topup(
        topup_id=new_id("top"), user_id=principal.user_id, amount=amount, channel=channel,
        status="pending", created_at=utc_now(),
    )
    return record_once(store, request, Outcome(201, topup.as_view()), lambda rec: store.create_topup(topup, rec))


@capture_method
def get_topup(store: LedgerStore, principal: Principal, topup_id: str) -> dict[str, Any]:
    topup = store.snapshot(topup=topup_id).topup
    if topup is None or not (topup.user_id == principal.user_id or principal.is_admin):
        raise NotFound("topup", topup_id)
    return topup.as_view()


@capture_method
def settle_topup(
    store: LedgerStore, *, currency: str, max_attempts: int, topup_id: str, status: str, amount: int,
    provider_ref: str, after_commit: Callable[[], None] | None = None,
) -> Outcome:
    """Apply the provider's verdict on a top-up: credit the cash lot once, or mark it failed.

    Invariant: however often the provider delivers the same verdict, the wallet
    is credited at most once (the top-up's ``pending -> succeeded`` transition
    is a condition of the crediting transaction).
    """
    def read() -> Snapshot:
        topup = store.snapshot(topup=topup_id).topup
        if topup is None:
            raise NotFound("topup", topup_id)
        if topup.status == "pending" and status == "succeeded":
            return Snapshot(topup=topup, wallet=store.get_wallet(topup.user_id))
        return Snapshot(topup=topup)

    def plan(snap: Snapshot) -> tuple[Movement | None, Outcome]:
        topup = snap.topup
        assert topup is not None
        if amount != topup.amount:
            raise AmountMismatch(expected=topup.amount, received=amount)
        if topup.status != "pending":
            if topup.status != status:
                raise TopupNotPending(topup.topup_id, topup.status)
            return None, Outcome(200, {"topup_id": topup.topup_id, "status": topup.status, "credited": False})
        if status == "failed":
            try:
                store.fail_topup(topup, provider_ref, utc_now())
            except TopupNotPending:
                return plan(Snapshot(topup=store.snapshot(topup=topup_id).topup))
            return None, Outcome(200, {"topup_id": topup.topup_id, "status": "failed", "credited": False})
        wallet = wallet_or_empty(snap.wallet, topup.user_id, currency)
        delta = Lots(cash=topup.amount)
        now = utc_now()
        entry = Entry(
            user_id=wallet.user_id, seq=wallet.version + 1, entry_id=new_id("ent"), type="top_up",
            delta=delta, balance_after=apply_delta(wallet.lots, delta), created_at=now,
            refs={"topup_id": topup.topup_id, "reason": f"top-up via {topup.channel}"},
        )
        settled = replace(topup, status="succeeded", provider_ref=provider_ref)
        return (
            Movement(wallet=wallet, entry=entry, topup=settled),
            Outcome(200, {"topup_id": topup.topup_id, "status": "succeeded", "credited": True}),
        )

    return run_movement(store, max_attempts, None, read, plan, after_commit)
