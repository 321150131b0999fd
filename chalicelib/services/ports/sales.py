"""Top-ups, top-up plans, payments and checkouts (and the checkouts due to expire)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ...domain.bonus import TopupPlan
    from ...domain.checkout import Checkout
    from ...domain.model import IdempotencyRecord, Payment, Refund, Topup


class Topups(Protocol):
    """``topups``: a pending top-up with its key; failing one (``TopupNotPending`` unless pending)."""

    def create_topup(self, topup: Topup, idem: IdempotencyRecord) -> None: ...

    def fail_topup(self, topup: Topup, provider_ref: str, at: str) -> None: ...


class TopupPlans(Protocol):
    """``topups``: the top-up bonus plans, each version conditioned on the one before (``VersionTaken``)."""

    def put_topup_plan(self, plan: TopupPlan, at: str) -> None: ...

    def list_topup_plans(self) -> list[TopupPlan]: ...


class Payments(Protocol):
    """``payments``: a payment with its refunds."""

    def get_payment_with_refunds(self, payment_id: str) -> tuple[Payment | None, list[Refund]]: ...


class Checkouts(Protocol):
    """``checkouts``: open one (``IdempotencyKeyTaken``, ``CheckoutExists``), cancel one (``ReadChanged``)."""

    def create_checkout(self, checkout: Checkout, idem: IdempotencyRecord) -> None: ...

    def cancel_checkout(self, checkout: Checkout, at: str, reason: str | None, release_order: bool) -> None: ...


class CheckoutExpiries(Protocol):
    """``checkout_expiry``: an open checkout past its time becomes expired, once (``ReadChanged`` otherwise)."""

    def expire_checkout(self, checkout: Checkout, at: str) -> None: ...
