"""Payments, their refunds and their orders' guards: ``P#{payment} / PAYMENT``, ``P#{payment} / R#{refund}``,
``O#{merchant}#{order} / ORDER``.

A payment is written once, by the movement that pays (or authorizes) it, with the guard that makes it the
order's only one; later movements change it under its version: a refund adds to what was refunded, a
settlement ends an authorization (captured, voided or expired).
"""

from __future__ import annotations

from ..domain.bonus import Drawn, drawn_from_doc
from ..domain.model import Payment, Refund, Settlement
from ..domain.money import Lots
from .base import StoreBase
from .checkout_expiry import unlisted
from .guards import Change, Put, Write
from .keys import PAYMENT_SK, REFUND_PREFIX, checkout_key, hold_shard, order_key, payment_key, refund_key
from .models import CheckoutItem, LedgerItem, OrderItem, PaymentItem, RefundItem

# ---- item <-> record -------------------------------------------------------


def as_payment(item: PaymentItem) -> Payment:
    return Payment(
        payment_id=item.payment_id,
        user_id=item.user_id,
        merchant_id=item.merchant_id,
        order_id=item.order_id,
        amount=int(item.amount),
        funded_by=Lots(int(item.funded_cash), int(item.funded_bonus)),
        items=item.items,
        created_at=item.created_at,
        refunded=Lots(int(item.refunded_cash), int(item.refunded_bonus)),
        version=int(item.version),
        checkout_id=item.checkout_id,
        discount=int(item.discount or 0),
        external=int(item.external or 0),
        rules_version=None if item.rules_version is None else int(item.rules_version),
        status=item.status or "succeeded",
        expires_at=item.hold_expires_at,
        local_day=item.local_day,
        points_spent=int(item.points_spent or 0),
        points_earned=int(item.points_earned or 0),
        points_returned=int(item.points_returned or 0),
        points_clawed=int(item.points_clawed or 0),
        coupon_id=item.coupon_id,
        coupon_discount=int(item.coupon_discount or 0),
        bonus_from=drawn_from_doc(item.bonus_from),
        promotion_discount=int(item.promotion_discount or 0),
        promotions=tuple(item.promotions or ()),
        points_factor_percent=int(item.points_factor_percent or 100),
    )


def as_refund(item: RefundItem) -> Refund:
    return Refund(
        refund_id=item.refund_id,
        payment_id=item.payment_id,
        amount=int(item.amount),
        returned_to=Lots(int(item.r_cash), int(item.r_bonus)),
        reason=item.reason,
        created_at=item.created_at,
        points_returned=int(item.points_returned or 0),
        points_clawed=int(item.points_clawed or 0),
    )


# ---- a movement's parts ------------------------------------------------------


def payment_put(p: Payment) -> Put:
    """The new payment, only if its id is unused (label ``payment``); an authorization is listed in the
    ``open-holds`` index until it is settled."""
    return Put(
        "payment",
        PaymentItem(
            *payment_key(p.payment_id),
            kind="payment",
            payment_id=p.payment_id,
            user_id=p.user_id,
            merchant_id=p.merchant_id,
            order_id=p.order_id,
            amount=p.amount,
            funded_cash=p.funded_by.cash,
            funded_bonus=p.funded_by.bonus,
            refunded_cash=0,
            refunded_bonus=0,
            version=0,
            items=p.items,
            created_at=p.created_at,
            checkout_id=p.checkout_id,
            discount=p.discount,
            external=p.external,
            rules_version=p.rules_version,
            status=p.status,
            hold_expires_at=p.expires_at,
            local_day=p.local_day,
            points_spent=p.points_spent,
            points_earned=p.points_earned,
            coupon_id=p.coupon_id,
            coupon_discount=p.coupon_discount,
            bonus_from=[d.as_doc() for d in p.bonus_from] if p.bonus_from else None,
            **(
                {
                    "promotion_discount": p.promotion_discount,
                    "promotions": list(p.promotions),
                    "points_factor_percent": p.points_factor_percent,
                }
                if p.promotions
                else {}
            ),
            **({"hold_shard": hold_shard(p.payment_id), "hold_due": p.expires_at} if p.status == "authorized" else {}),
        ),
        PaymentItem.pk.does_not_exist(),
    )


def order_guard_put(p: Payment) -> Put:
    """One payment per order (label ``order``); an order whose authorization was voided or expired may be paid
    again."""
    return Put(
        "order",
        OrderItem(*order_key(p.merchant_id, p.order_id), kind="order", payment_id=p.payment_id),
        OrderItem.pk.does_not_exist() | (OrderItem.released == True),  # noqa: E712 - a condition
    )


def refund_put(r: Refund) -> Put:
    """The new refund, only if its id is unused (label ``refund``)."""
    return Put(
        "refund",
        RefundItem(
            *refund_key(r.payment_id, r.refund_id),
            kind="refund",
            refund_id=r.refund_id,
            payment_id=r.payment_id,
            amount=r.amount,
            r_cash=r.returned_to.cash,
            r_bonus=r.returned_to.bonus,
            reason=r.reason,
            created_at=r.created_at,
            points_returned=r.points_returned,
            points_clawed=r.points_clawed,
        ),
        RefundItem.pk.does_not_exist(),
    )


def payment_refunded_change(p: Payment, r: Refund, bonus_from: tuple[Drawn, ...] | None) -> Change:
    """The refunded payment's totals, from the version read (label ``payment_refund``): the refund total stays
    within the payment because every refund is planned from, and conditioned on, the version before it."""
    refunded = p.refunded + r.returned_to
    return Change(
        "payment_refund",
        PaymentItem(*payment_key(p.payment_id)),
        [
            PaymentItem.refunded_cash.set(refunded.cash),
            PaymentItem.refunded_bonus.set(refunded.bonus),
            PaymentItem.points_returned.set(p.points_returned + r.points_returned),
            PaymentItem.points_clawed.set(p.points_clawed + r.points_clawed),
            PaymentItem.version.set(p.version + 1),
            *([PaymentItem.bonus_from.set([d.as_doc() for d in bonus_from])] if bonus_from is not None else []),
        ],
        PaymentItem.pk.exists() & (PaymentItem.version == p.version),
    )


def settlement_changes(st: Settlement) -> list[Write]:
    """The updates that end an authorization: the payment (from the version and status read; label
    ``payment_settle``), its checkout (paid, or open again; ``checkout_settle``), and for a void or an expiry
    its order guard (released; ``order_release``)."""
    p = st.payment
    out: list[Write] = [
        Change(
            "payment_settle",
            PaymentItem(*payment_key(p.payment_id)),
            [
                PaymentItem.status.set(st.status),
                PaymentItem.points_earned.set(st.points_earned),
                PaymentItem.funded_cash.set(st.funded_by.cash),
                PaymentItem.funded_bonus.set(st.funded_by.bonus),
                PaymentItem.version.set(p.version + 1),
                PaymentItem.bonus_from.set([d.as_doc() for d in st.bonus_from])
                if st.bonus_from
                else PaymentItem.bonus_from.remove(),
                PaymentItem.hold_shard.remove(),
                PaymentItem.hold_due.remove(),
            ],
            PaymentItem.pk.exists() & (PaymentItem.version == p.version) & (PaymentItem.status == "authorized"),
        )
    ]
    if p.checkout_id:
        actions = [CheckoutItem.status.set(st.checkout_status)]
        if st.checkout_status == "open":
            actions.append(CheckoutItem.payment_id.remove())
        else:  # paid by the capture: off the sweeper's work list (checkout_expiry)
            actions += unlisted()
        out.append(
            Change(
                "checkout_settle",
                CheckoutItem(*checkout_key(p.checkout_id)),
                actions,
                CheckoutItem.payment_id == p.payment_id,
            )
        )
    if st.status != "succeeded":
        out.append(
            Change(
                "order_release",
                OrderItem(*order_key(p.merchant_id, p.order_id)),
                [OrderItem.released.set(True)],
                OrderItem.payment_id == p.payment_id,
            )
        )
    return out


# ---- the store ------------------------------------------------------------------


class PaymentStore(StoreBase):
    def get_payment_with_refunds(self, payment_id: str) -> tuple[Payment | None, list[Refund]]:
        """The payment and its refunds: one Query of the payment's partition."""
        pk, _ = payment_key(payment_id)
        payment, refunds, last_key = None, [], None
        while True:
            page = self._connection.query(
                LedgerItem.Meta.table_name, pk, exclusive_start_key=last_key, consistent_read=True
            )
            for raw in page.get("Items", []):
                sk = raw["sk"]["S"]
                if sk == PAYMENT_SK:
                    payment = as_payment(PaymentItem.from_raw_data(raw))
                elif sk.startswith(REFUND_PREFIX):
                    refunds.append(as_refund(RefundItem.from_raw_data(raw)))
            last_key = page.get("LastEvaluatedKey")
            if not last_key:
                return payment, refunds
