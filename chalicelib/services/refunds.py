"""Refunding a payment, in part or in full: back to the lots it came from, points and coupon with it."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from ..domain import access
from ..domain.errors import Forbidden, PaymentStateConflict, present
from ..domain.ledger import apply_delta, split_refund
from ..domain.model import CouponChange, Entry, Movement, Payment, Principal, Refund, Snapshot, new_id
from ..domain.moments import parse_time
from ..domain.points import claw_back
from ..domain.tiers import add_spend
from ..observability import capture_method
from . import clock
from .common import IdempotentRequest, Outcome, run_movement, wallet_or_empty
from .payment_parts import points_line, return_bonus, spend_days, visible_payment, with_owner
from .ports import MoneyStore


def _points_pro_rata(payment: Payment, amount: int) -> tuple[int, int]:
    """Points a refund of ``amount`` gives back (of those spent) and takes back (of those earned): the same
    share as the balance refunded, computed on the running total (rounded down) so that refunding the
    whole payment in any number of parts gives back exactly what was spent and takes back what was earned."""
    funded = payment.funded_by.total
    after = payment.refunded.total + amount
    if after >= funded:
        return payment.points_spent - payment.points_returned, payment.points_earned - payment.points_clawed
    return (
        payment.points_spent * after // funded - payment.points_returned,
        payment.points_earned * after // funded - payment.points_clawed,
    )


@capture_method
def refund(
    store: MoneyStore,
    *,
    currency: str,
    max_attempts: int,
    principal: Principal,
    request: IdempotentRequest,
    payment_id: str,
    amount: int,
    reason: str,
    after_commit: Callable[[], None] | None = None,
) -> Outcome:
    """Return part or all of a payment to the lots it came from.

    Invariants: the refunds of a payment never add up to more than it (the
    payment's refund total is a condition of the transaction); cash goes back
    to cash and bonus to bonus, in proportion to how the payment was funded.
    """

    def read() -> Snapshot:
        snap = store.snapshot(payment=payment_id, idempotency=(request.scope, request.key))
        if snap.idempotency is not None:
            return snap
        payment = visible_payment(snap, principal, payment_id)
        if not access.settles_for(principal, payment.merchant_id):
            raise Forbidden("only the payment's merchant, an admin or a service may refund it")
        return with_owner(store, payment)

    def plan(snap: Snapshot) -> tuple[Movement, Outcome]:
        payment = present(snap.payment, "the payment read")
        if payment.status != "succeeded":
            raise PaymentStateConflict(
                "payment_not_captured",
                f"payment {payment_id!r} is {payment.status}: only a captured payment is refunded",
                status=payment.status,
            )
        wallet = wallet_or_empty(snap.wallet, payment.user_id, currency)
        returned = split_refund(payment.funded_by, payment.refunded, amount)
        now = clock.stamp()
        points_back, points_take = _points_pro_rata(payment, amount)
        account, shortfall = claw_back(wallet.points.matured(clock.now()), points_take, payment_id)
        account = replace(account, available=account.available + points_back)
        r = Refund(
            refund_id=new_id("ref"),
            payment_id=payment_id,
            amount=amount,
            returned_to=returned,
            reason=reason,
            created_at=now,
            points_returned=points_back,
            points_clawed=points_take,
        )
        points_entry = points_line(
            wallet,
            "refund",
            account,
            clock.now(),
            payment_id,
            returned=points_back,
            clawed=points_take,
            shortfall=shortfall,
        )
        entry = Entry(
            user_id=payment.user_id,
            seq=wallet.version + 1,
            entry_id=new_id("ent"),
            type="refund",
            delta=returned,
            balance_after=apply_delta(wallet.lots, returned),
            held_after=wallet.held,
            created_at=now,
            refs={
                "payment_id": payment_id,
                "refund_id": r.refund_id,
                "order_id": payment.order_id,
                "merchant_id": payment.merchant_id,
                "reason": reason,
            },
        )
        body = {
            **r.as_view(),
            "refundable": payment.refundable - amount,
            "points_shortfall": shortfall,
            "coupon_restored": False,
        }
        coupon, coupon_change = snap.coupon, None
        if (
            payment.refundable == amount
            and coupon is not None
            and coupon.state == "used"
            and coupon.payment_id == payment_id
            and coupon.state_at(clock.now()) == "used"
            and clock.now() < parse_time(coupon.terms.valid_to)
        ):
            # refunded in full while the coupon is still valid: it is the customer's again, its budget use back
            coupon_change = CouponChange(
                coupon, "available", None, coupon.budget_shard, budget=+1, discount=payment.coupon_discount
            )
            body["coupon_restored"] = True
        months = add_spend(wallet.spend_months, payment.created_at[:7], -amount, clock.now())
        grants, still_drawn = return_bonus(wallet, payment, returned.bonus) if returned.bonus else (None, None)
        return Movement(
            wallet=wallet,
            entry=entry,
            refund=r,
            payment=payment,
            points_entry=points_entry,
            coupon=coupon_change,
            membership=(months, wallet.tier, wallet.tier_since),
            bonus_grants=grants,
            payment_bonus_from=still_drawn,
            spend_days=spend_days(wallet, clock.now(), -amount, payment.created_at[:10]),
        ), Outcome(201, body)

    return run_movement(store, max_attempts, request, read, plan, after_commit)
