"""What ends an authorization (a settlement): its capture, its void, or its expiry when the hold's time is up.
Each is one read of the payment with its customer's wallet, then one transaction (services/common.run_movement)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Callable

from ..domain import access
from ..domain.errors import Forbidden, PaymentRefused, PaymentStateConflict
from ..domain.ledger import apply_delta, split_spend
from ..domain.model import CouponChange, Entry, Movement, Payment, Principal, Settlement, Snapshot, Wallet, new_id
from ..domain.moments import format_time, parse_time
from ..domain.money import Lots
from ..domain.points import earn
from ..domain.tiers import TierTable, effective
from ..observability import capture_method
from . import clock
from .common import IdempotentRequest, LedgerPolicy, Outcome, error_body, run_movement, wallet_or_empty
from .payment_parts import (
    day_totals,
    membership_change,
    points_line,
    return_bonus,
    spend_days,
    visible_payment,
    with_owner,
)
from .ports import MoneyStore


def _settlement(
    store: object,
    policy: LedgerPolicy,
    payment: Payment,
    wallet: Wallet,
    status: str,
    capture: int,
    now: datetime,
    coupon: Any = None,
    tiers: TierTable | None = None,
) -> tuple[Movement, dict[str, Any]]:
    """The movement that ends an authorization: ``capture`` fen of the hold are spent (drawn from the held
    lots in the spend order), the rest goes back to the lots it came from.

    Invariants: what is captured plus what is released is exactly what was held; the wallet's hold drops by
    exactly that; the hold ends once (the payment's status and version are conditions); money released on
    the day it was held gives that day's allowance back.
    """
    held = payment.funded_by
    captured = split_spend(held, capture, policy.spend_order) if capture else Lots()
    released = held - captured
    after = apply_delta(wallet.lots, released)
    created = format_time(now)
    entry = Entry(
        user_id=payment.user_id,
        seq=wallet.version + 1,
        entry_id=new_id("ent"),
        type={"succeeded": "capture", "voided": "release", "expired": "release"}[status],
        delta=released,
        balance_after=after,
        created_at=created,
        held_delta=-held,
        held_after=apply_delta(wallet.held, -held),
        refs={
            "payment_id": payment.payment_id,
            "order_id": payment.order_id,
            "merchant_id": payment.merchant_id,
            **({"checkout_id": payment.checkout_id} if payment.checkout_id else {}),
            **({"reason": "authorization expired"} if status == "expired" else {}),
        },
    )
    daily = None
    if released.total and payment.local_day and wallet.spent_on(payment.merchant_id, payment.local_day):
        spent = wallet.spent_on(payment.merchant_id, payment.local_day) - released.total
        daily = day_totals(wallet, payment.merchant_id, payment.local_day, max(0, spent), now)
    # points on hold: spent at a capture (all of them, whatever part of the balance is captured), back at a release
    points = wallet.points.matured(now)
    held_points = payment.points_spent
    captured_ok = status == "succeeded"
    tier, _ = (
        effective(tiers, wallet.tier, wallet.spend_months, now, wallet.tier_since)
        if tiers is not None
        else (None, None)
    )
    # a capture earns under the tier held now and the promotion factor the payment was priced with
    earned = (
        policy.points.earned(captured.total, tier.multiplier_percent if tier else 100, payment.points_factor_percent)
        if captured_ok
        else 0
    )
    points = replace(
        points, held=points.held - held_points, available=points.available + (0 if captured_ok else held_points)
    )
    points = earn(points, earned, payment.payment_id, now, policy.points)
    points_entry = points_line(
        wallet,
        "capture" if captured_ok else "release",
        points,
        now,
        payment.payment_id,
        spent=held_points if captured_ok else 0,
        earned=earned,
        held=-held_points,
    )
    membership = membership_change(wallet, tiers, captured.total, now) if captured_ok and tiers is not None else None
    grants, still_drawn = (
        return_bonus(wallet, payment, released.bonus) if released.bonus else (None, payment.bonus_from)
    )
    coupon_change = None
    if coupon is not None and coupon.state == "held" and coupon.payment_id == payment.payment_id:
        # captured: the coupon is used; released: it is the customer's again, and its budget use comes back
        coupon_change = (
            CouponChange(coupon, "used", payment.payment_id, coupon.budget_shard)
            if captured_ok
            else CouponChange(
                coupon, "available", None, coupon.budget_shard, budget=+1, discount=payment.coupon_discount
            )
        )
    movement = Movement(
        wallet=wallet,
        entry=entry,
        daily_spend=daily,
        points_entry=points_entry,
        coupon=coupon_change,
        membership=membership,
        bonus_grants=grants,
        spend_days=spend_days(wallet, now, captured.total) if captured.total else None,
        settle=Settlement(
            payment=payment,
            status=status,
            funded_by=captured,
            checkout_status="paid" if captured_ok else "open",
            points_earned=earned,
            bonus_from=still_drawn if captured_ok else (),
        ),
    )
    body = {
        "payment_id": payment.payment_id,
        "checkout_id": payment.checkout_id,
        "order_id": payment.order_id,
        "merchant_id": payment.merchant_id,
        "status": status,
        "captured": captured.total,
        "released": released.total,
        "funded_by": captured.as_dict(),
        "points_spent": held_points if captured_ok else 0,
        "points_earned": earned,
        "balance": after.as_balance(),
        "held": entry.held_after.as_balance(),
        "updated_at": created,
    }
    return movement, body


def _authorization(snap: Snapshot, principal: Principal, payment_id: str) -> Payment:
    payment = visible_payment(snap, principal, payment_id)
    if payment.status == "authorized":
        return payment
    code, what = {
        "succeeded": ("payment_already_captured", "is already captured"),
        "voided": ("payment_voided", "was voided"),
        "expired": ("authorization_expired", "expired"),
    }[payment.status]
    raise PaymentStateConflict(code, f"payment {payment_id!r} {what}", payment_id=payment_id, status=payment.status)


@capture_method
def capture(
    store: MoneyStore,
    policy: LedgerPolicy,
    principal: Principal,
    request: IdempotentRequest,
    payment_id: str,
    amount: int | None,
    after_commit: Callable[[], None] | None = None,
) -> Outcome:
    """Capture all or part of an authorization (the rest is released), after the order service collected the
    external remainder. After its end an authorization is released instead, and the answer is 409
    ``authorization_expired`` (the release and that answer are what a retry of the key gets)."""

    def read() -> Snapshot:
        snap = store.snapshot(payment=payment_id, idempotency=(request.scope, request.key))
        if snap.idempotency is not None:
            return snap
        payment = visible_payment(snap, principal, payment_id)
        if not access.settles_for(principal, payment.merchant_id):
            raise Forbidden("the payment's merchant, a service or an admin captures it")
        return with_owner(store, payment)

    def plan(snap: Snapshot) -> tuple[Movement, Outcome]:
        payment = _authorization(snap, principal, payment_id)
        wallet = wallet_or_empty(snap.wallet, payment.user_id, policy.currency)
        now = clock.now()
        if payment.expires_at and now >= parse_time(payment.expires_at):
            movement, _ = _settlement(store, policy, payment, wallet, "expired", 0, now, snap.coupon)
            return movement, Outcome(
                409,
                error_body(
                    "authorization_expired",
                    f"the authorization ended at {payment.expires_at}; its hold is released",
                    {"payment_id": payment_id, "expires_at": payment.expires_at},
                ),
            )
        held = payment.funded_by.total
        take = held if amount is None else amount
        if take > held:
            raise PaymentRefused(
                "capture_exceeds_authorization",
                f"capture of {take} exceeds the {held} authorized",
                requested=take,
                authorized=held,
            )
        movement, body = _settlement(store, policy, payment, wallet, "succeeded", take, now, snap.coupon, snap.tiers)
        return movement, Outcome(200, body)

    return run_movement(store, policy.max_attempts, request, read, plan, after_commit)


@capture_method
def void(
    store: MoneyStore,
    policy: LedgerPolicy,
    principal: Principal,
    request: IdempotentRequest,
    payment_id: str,
    after_commit: Callable[[], None] | None = None,
) -> Outcome:
    """Release an authorization in full: its merchant, a service, an admin, or its customer while it is on
    hold. The checkout can be paid again."""

    def read() -> Snapshot:
        snap = store.snapshot(payment=payment_id, idempotency=(request.scope, request.key))
        if snap.idempotency is not None:
            return snap
        payment = visible_payment(snap, principal, payment_id)
        return with_owner(store, payment)

    def plan(snap: Snapshot) -> tuple[Movement, Outcome]:
        payment = _authorization(snap, principal, payment_id)
        wallet = wallet_or_empty(snap.wallet, payment.user_id, policy.currency)
        movement, body = _settlement(store, policy, payment, wallet, "voided", 0, clock.now(), snap.coupon)
        return movement, Outcome(200, body)

    return run_movement(store, policy.max_attempts, request, read, plan, after_commit)


@capture_method
def expire_hold(store: MoneyStore, policy: LedgerPolicy, payment_id: str) -> bool:
    """Release an authorization whose end has passed (the sweeper). True if this call released it;
    False if it was captured, voided or released meanwhile, or has not ended."""

    def read() -> Snapshot:
        snap = store.snapshot(payment=payment_id)
        return with_owner(store, snap.payment) if snap.payment else snap

    def plan(snap: Snapshot) -> tuple[Movement | None, Outcome]:
        p, now = snap.payment, clock.now()
        if p is None or p.status != "authorized" or not p.expires_at or now < parse_time(p.expires_at):
            return None, Outcome(200, {"released": False})
        movement, body = _settlement(
            store, policy, p, wallet_or_empty(snap.wallet, p.user_id, policy.currency), "expired", 0, now, snap.coupon
        )
        return movement, Outcome(200, {"released": True})

    return bool(run_movement(store, policy.max_attempts, None, read, plan).body["released"])
