"""A checkout: a merchant's order, priced by the merchant, for one customer to pay.

Orders are priced by the shop, never by the customer: the merchant's staff (or
an order service) open the checkout with its lines; the customer only chooses
how to pay it. One checkout per merchant order (a guard item); it is ``open``
until it expires, a payment marks it ``paid`` (or ``authorized``) in the payment's
transaction, or its merchant cancels it (``cancelled``: the order may then get a
new checkout). Past its time unpaid it shows ``expired``, and the sweeper stores
that (``services/checkout_expiry.py``). A checkout is only for a customer the
ledger knows: one with a wallet, which the first credit (top-up, adjustment) or
settings change creates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .moments import parse_time


@dataclass(frozen=True)
class Line:
    sku: str
    category: str
    unit_price: int
    quantity: int

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity

    def as_dict(self) -> dict[str, Any]:
        return {"sku": self.sku, "category": self.category, "unit_price": self.unit_price, "quantity": self.quantity}


@dataclass(frozen=True)
class Checkout:
    checkout_id: str
    merchant_id: str
    order_id: str
    user_id: str
    lines: tuple[Line, ...]
    status: str  # open | authorized | paid | cancelled | expired (the sweeper's, once past expires_at unpaid)
    created_at: str
    expires_at: str
    payment_id: str | None = None
    cancelled_at: str | None = None
    cancel_reason: str | None = None

    @property
    def amount(self) -> int:
        return sum(line.total for line in self.lines)

    def expired(self, now: datetime) -> bool:
        return now >= parse_time(self.expires_at)

    def as_view(self, now: datetime | None = None) -> dict[str, Any]:
        status = self.status
        if status == "open" and now is not None and self.expired(now):
            status = "expired"
        return {
            "checkout_id": self.checkout_id,
            "merchant_id": self.merchant_id,
            "order_id": self.order_id,
            "user_id": self.user_id,
            "amount": self.amount,
            "items": [line.as_dict() for line in self.lines],
            "status": status,
            "expires_at": self.expires_at,
            "created_at": self.created_at,
            "payment_id": self.payment_id,
            "cancelled_at": self.cancelled_at,
            "cancel_reason": self.cancel_reason,
        }
