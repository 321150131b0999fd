"""Payments and what follows one: capture, void (a settlement), refund."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from .checkouts import DiscountOut, OrderItemOut, PromotionAppliedOut
from .common import Ident, NonNegativeFen, Out, Points, Strict, Text, TransactionFen
from .wallet import BalanceOut, LotsOut


class PaymentRequest(Strict):
    checkout_id: Ident
    coupon_id: Optional[Ident] = None
    points: Points = 0
    allow_partial: bool = False
    capture: bool = True
    expected_balance: Optional[NonNegativeFen] = Field(
        None,
        description="the balance the customer agreed to pay (the quote's `balance`): when the price is another "
        "now (rules, promotion, tier changed since), 409 `price_changed` and nothing is paid",
    )


class CaptureRequest(Strict):
    amount: Optional[TransactionFen] = Field(
        None, description="fen of the hold to capture (default: all); the rest is released"
    )


class RefundRequest(Strict):
    amount: TransactionFen
    reason: Text


class PaymentCreated(Out):
    payment_id: str
    checkout_id: str
    order_id: str
    merchant_id: str
    amount: int = Field(description="the order's amount")
    discounts: list[DiscountOut]
    discount_total: int
    coupon_id: Optional[str] = None
    promotions: list[PromotionAppliedOut] = Field(description="the live promotions this payment was priced with")
    funded_by: LotsOut = Field(description="what the wallet paid, per lot")
    external: int = Field(description="the rest, to be collected another way")
    points_spent: int
    points_value: int = Field(description="what the points paid, in fen")
    points_earned: int = Field(description="pending for the return window; an authorization earns at capture")
    status: Literal["succeeded", "authorized"]
    expires_at: Optional[str] = Field(None, description="when an authorization's hold ends unless captured")
    rules_version: int
    tier_after: Optional[str] = Field(None, description="the tier this payment raised the customer to, if any")
    balance: BalanceOut = Field(description="the wallet after the payment")
    created_at: str


class SettlementOut(Out):
    payment_id: str
    checkout_id: Optional[str]
    order_id: str
    merchant_id: str
    status: Literal["succeeded", "voided", "expired"]
    captured: int
    released: int
    funded_by: LotsOut = Field(description="what the wallet paid, per lot (nothing for a void)")
    points_spent: int
    points_earned: int
    balance: BalanceOut
    held: BalanceOut
    updated_at: str


class RefundOut(Out):
    refund_id: str
    payment_id: str
    amount: int
    returned_to: LotsOut
    points_returned: int
    points_clawed_back: int
    reason: str
    created_at: str


class RefundCreated(RefundOut):
    refundable: int
    points_shortfall: int = Field(description="earned points it should have taken back but were already spent")
    coupon_restored: bool = Field(description="a full refund gave the payment's coupon back (while still valid)")


class PaymentOut(Out):
    payment_id: str
    order_id: str
    merchant_id: str
    user_id: str
    amount: int
    funded_by: LotsOut
    checkout_id: Optional[str] = None
    discount_total: int = 0
    coupon_id: Optional[str] = None
    promotions: list[PromotionAppliedOut] = []
    external: int = 0
    rules_version: Optional[int] = None
    points_spent: int = 0
    points_earned: int = 0
    items: list[OrderItemOut]
    status: Literal["authorized", "succeeded", "partially_refunded", "refunded", "voided", "expired"]
    expires_at: Optional[str] = None
    refunded: int
    refundable: int
    refunds: list[RefundOut]
    created_at: str
