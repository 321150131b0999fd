"""Coupons: definitions, the coupons granted from them, and what one takes off an order.

A definition says what a coupon is worth and who may use it; a granted coupon carries a copy of
its definition's terms (so a payment reads the coupon alone), lives in its customer's partition
and is ``available``, ``held`` (by an authorization), ``used`` or ``expired``.

A budget (a count of uses and/or an amount of discount) shared by every payer is split into
``budget_shards`` counters (``BUDGET_SHARDS`` by default); a payment takes from one shard, chosen at
random among those it has not found spent, in its own transaction, so no single
item takes every payer's write, and the budget is never overspent: each shard's counters are
conditions of the transaction (see docs/checkout.md for what it costs a payment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .moments import parse_time

BUDGET_SHARDS = 8


@dataclass(frozen=True)
class CouponTerms:
    definition_id: str
    name: str
    kind: str  # amount_off | percent_off
    value: int  # fen off, or percent off
    max_discount: int | None
    min_spend: int
    merchant_id: str | None
    balance_pay_only: bool
    valid_from: str
    valid_to: str
    counts_uses: bool = False  # a use takes one from the shared budget's count
    counts_amount: bool = False  # a use takes its discount from the shared budget's amount
    budget_shards: int = BUDGET_SHARDS

    @property
    def budgeted(self) -> bool:
        return self.counts_uses or self.counts_amount

    def as_dict(self) -> dict[str, Any]:
        return {
            "definition_id": self.definition_id,
            "name": self.name,
            "kind": self.kind,
            "value": self.value,
            "max_discount": self.max_discount,
            "min_spend": self.min_spend,
            "merchant_id": self.merchant_id,
            "balance_pay_only": self.balance_pay_only,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
            "counts_uses": self.counts_uses,
            "counts_amount": self.counts_amount,
            "budget_shards": self.budget_shards,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CouponTerms":
        fields: dict[str, Any] = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**fields)

    def discount_on(self, amount: int) -> int:
        """What it takes off ``amount`` fen: a fixed amount, or a percentage rounded down, capped; never more
        than the amount."""
        d = self.value if self.kind == "amount_off" else amount * self.value // 100
        if self.max_discount is not None:
            d = min(d, self.max_discount)
        return max(0, min(d, amount))


@dataclass(frozen=True)
class CouponDefinition:
    terms: CouponTerms
    per_customer_limit: int = 1
    budget_count: int | None = None
    budget_amount: int | None = None
    version: int = 0

    def as_view(self) -> dict[str, Any]:
        t = self.terms.as_dict()
        t.pop("counts_uses")
        t.pop("counts_amount")
        return {
            **t,
            "per_customer_limit": self.per_customer_limit,
            "budget_count": self.budget_count,
            "budget_amount": self.budget_amount,
            "version": self.version,
        }


@dataclass(frozen=True)
class Coupon:
    coupon_id: str
    user_id: str
    terms: CouponTerms
    state: str  # available | held | used
    granted_at: str
    payment_id: str | None = None
    budget_shard: int | None = None  # the shard its use took from (to give it back on a void or refund)

    def state_at(self, now: datetime) -> str:
        if self.state == "available" and now >= parse_time(self.terms.valid_to):
            return "expired"
        return self.state

    def as_view(self, now: datetime) -> dict[str, Any]:
        t = self.terms
        return {
            "coupon_id": self.coupon_id,
            "definition_id": t.definition_id,
            "name": t.name,
            "kind": t.kind,
            "value": t.value,
            "max_discount": t.max_discount,
            "min_spend": t.min_spend,
            "merchant_id": t.merchant_id,
            "balance_pay_only": t.balance_pay_only,
            "valid_from": t.valid_from,
            "valid_to": t.valid_to,
            "state": self.state_at(now),
            "payment_id": self.payment_id,
            "granted_at": self.granted_at,
        }


def shard_allotments(total: int | None, shards: int = BUDGET_SHARDS) -> list[int | None]:
    """``total`` split over the shards: equal parts, the remainder one each to the first shards."""
    if total is None:
        return [None] * shards
    return [total // shards + (1 if i < total % shards else 0) for i in range(shards)]


def not_applicable(coupon: Coupon, merchant_id: str, eligible: int, now: datetime) -> str | None:
    """Why ``coupon`` cannot be used on this order now, or None. (Budget and balance-pay-only are decided later:
    the one in the transaction, the other once the payment's split is known.)"""
    t = coupon.terms
    if coupon.state != "available":
        return f"the coupon is {coupon.state}"
    if now < parse_time(t.valid_from):
        return f"the coupon is valid from {t.valid_from}"
    if now >= parse_time(t.valid_to):
        return f"the coupon expired at {t.valid_to}"
    if t.merchant_id is not None and t.merchant_id != merchant_id:
        return "the coupon is for another merchant"
    if eligible < t.min_spend:
        return f"the order's eligible items are below the coupon's minimum spend of {t.min_spend}"
    return None


@dataclass(frozen=True)
class Reward:
    """A reward of the points catalogue: a coupon of a definition, or a gift the shop hands over."""

    reward_id: str
    name: str
    kind: str  # coupon | gift
    points_cost: int
    coupon_definition_id: str | None
    stock: int
    per_customer_limit: int
    active: bool

    def as_view(self) -> dict[str, Any]:
        return {
            "reward_id": self.reward_id,
            "name": self.name,
            "kind": self.kind,
            "points_cost": self.points_cost,
            "coupon_definition_id": self.coupon_definition_id,
            "stock": self.stock,
            "per_customer_limit": self.per_customer_limit,
            "active": self.active,
        }


@dataclass(frozen=True)
class Redemption:
    """Points for a reward, in one transaction: ``points_entry.after`` is the account after."""

    wallet: Any  # chalicelib.domain.model.Wallet as read (its points version is the condition)
    reward: Reward
    points_entry: Any  # chalicelib.domain.points.PointsEntry
    idempotency: Any  # chalicelib.domain.model.IdempotencyRecord
    coupon: Coupon | None = None
