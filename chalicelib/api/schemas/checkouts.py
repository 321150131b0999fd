"""Checkouts and their quotes, and the priced lines (discounts, promotions) a payment repeats."""

from __future__ import annotations

from ...domain import limits
from ...domain.origins import MAX_RETURN_URL_LENGTH
from typing import Annotated, Literal, Optional

from pydantic import Field, StrictInt, model_serializer

from .common import Ident, Out, Points, Strict, Text, TransactionFen
from .wallet import LotsOut


class OrderItemIn(Strict):
    sku: Ident
    category: Ident
    # the order's total (unit_price x quantity, summed) is at most the per-transaction limit too (400
    # amount_exceeds_limit): a sum JSON Schema cannot state, so the document says it in words
    unit_price: TransactionFen
    quantity: Annotated[StrictInt, Field(gt=0, le=limits.MAX_LINE_QUANTITY)]


class CheckoutRequest(Strict):
    merchant_id: Ident
    order_id: Ident
    user_id: Ident
    items: Annotated[
        list[OrderItemIn],
        Field(
            min_length=1,
            max_length=limits.MAX_ORDER_LINES,
            description=(
                "the order's lines; their total (unit_price x quantity, summed) is at most the per-transaction limit"
            ),
        ),
    ]
    expires_in_seconds: Annotated[Optional[StrictInt], Field(ge=60, le=86400)] = None


class CheckoutQuery(Strict):
    return_url: Optional[Annotated[str, Field(min_length=1, max_length=MAX_RETURN_URL_LENGTH)]] = Field(
        None,
        description="where the hosted checkout will send the customer back to: answered in the checkout when its "
        "origin is one its merchant registered (PUT /v1/admin/merchants/{merchant_id} return_origins), refused "
        "otherwise (422 return_url_not_allowed, and nothing of the checkout)",
    )


class CancelCheckoutRequest(Strict):
    reason: Optional[Text] = None


class QuoteRequest(Strict):
    coupon_id: Optional[Ident] = None
    points: Points = 0
    allow_partial: bool = False
    capture: bool = True


class DiscountOut(Out):
    source: Literal["balance_pay", "coupon", "tier", "promotion"]
    amount: int
    promotion_id: Optional[str] = Field(None, description="the promotion's (source promotion only)")

    @model_serializer(mode="wrap")
    def _promotion_lines_only(self, handler):  # the other sources' lines keep their two fields
        data = handler(self)
        if isinstance(data, dict) and data.get("promotion_id") is None:
            data.pop("promotion_id", None)
        return data


class PromotionAppliedOut(Out):
    promotion_id: str
    kind: Literal["extra_balance_discount", "points_multiplier"]
    amount: Optional[int] = Field(description="the extra discount, fen (extra_balance_discount)")
    factor: Optional[str] = Field(description="the points factor (points_multiplier)")


class LimitOut(Out):
    code: str
    message: str


class CheckoutOut(Out):
    checkout_id: str
    merchant_id: str
    order_id: str
    user_id: str
    amount: int
    items: list["OrderItemOut"]
    status: Literal["open", "authorized", "paid", "expired", "cancelled"]
    expires_at: str
    created_at: str
    payment_id: Optional[str] = None
    cancelled_at: Optional[str] = None
    cancel_reason: Optional[str] = None


class CheckoutReadOut(CheckoutOut):
    return_url: Optional[str] = Field(
        None, description="the return_url asked about, allowed (present only when the request named one)"
    )

    @model_serializer(mode="wrap")
    def _return_url_when_asked(self, handler):
        data = handler(self)
        if isinstance(data, dict) and data.get("return_url") is None:
            data.pop("return_url", None)
        return data


class QuoteOut(Out):
    checkout_id: str
    amount: int
    eligible_amount: int
    discounts: list[DiscountOut]
    discount_total: int
    balance: int = Field(description="what the wallet would pay")
    funded_by: LotsOut
    external: int
    points: int = Field(description="points spent")
    points_value: int
    points_to_earn: int
    tier: Optional[str] = Field(description="the membership tier the payment is priced under")
    promotions: list[PromotionAppliedOut] = Field(description="the live promotions it is priced with")
    status: Optional[Literal["succeeded", "authorized"]] = Field(
        description="what the payment would be; null when the quote is not payable"
    )
    rules_version: int
    limits: list[LimitOut]
    payable: bool
    refusal: Optional[LimitOut] = None


class OrderItemOut(Out):
    sku: str
    category: str
    unit_price: int
    quantity: int
