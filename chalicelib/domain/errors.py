"""Domain errors: what went wrong, with the data a caller needs to act on it.

They carry no HTTP knowledge; ``chalicelib.api.errors`` maps each class to a
status and a machine-readable code.
"""

from __future__ import annotations

from typing import Any, TypeVar


class DomainError(Exception):
    """Base class. ``details`` is safe to show the caller."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(DomainError):
    """The request is malformed or breaks a validation rule."""

    def __init__(self, message: str, code: str = "invalid_request", **details: Any) -> None:
        super().__init__(message, **details)
        self.code = code


class UnsupportedMediaType(DomainError):
    pass


class MissingIdempotencyKey(DomainError):
    pass


class AmountExceedsLimit(DomainError):
    def __init__(self, amount: int, limit: int) -> None:
        super().__init__(f"amount {amount} exceeds the per-transaction maximum {limit}", amount=amount, limit=limit)


class Unauthenticated(DomainError):
    pass


class Forbidden(DomainError):
    pass


class NotFound(DomainError):
    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"{what} {ident!r} was not found", **{f"{what}_id": ident})
        self.what = what


class UnknownCustomer(NotFound):
    """A checkout for a customer without a wallet: the ledger has never credited them, so they could not pay
    by balance, and the checkout would only hold the order's one live checkout."""

    def __init__(self, user_id: str) -> None:
        super().__init__("customer", user_id)
        self.message = (
            f"the ledger has no wallet for customer {user_id!r}: a customer's wallet starts with their "
            "first top-up (or credit, or settings change); check the user id"
        )


class InsufficientFunds(DomainError):
    def __init__(self, needed: int, available: int) -> None:
        super().__init__(f"balance {available} is short of the {needed} needed", needed=needed, available=available)
        self.needed = needed
        self.available = available


class BalanceLimitExceeded(DomainError):
    def __init__(self, balance: int, limit: int) -> None:
        super().__init__(f"the balance would reach {balance}, above the limit {limit}", balance=balance, limit=limit)


class OrderAlreadyPaid(DomainError):
    def __init__(self, merchant_id: str, order_id: str) -> None:
        super().__init__(
            f"order {order_id!r} of merchant {merchant_id!r} is already paid",
            merchant_id=merchant_id,
            order_id=order_id,
        )


class CheckoutExists(DomainError):
    def __init__(self, merchant_id: str, order_id: str) -> None:
        super().__init__(
            f"order {order_id!r} of merchant {merchant_id!r} already has an open checkout",
            merchant_id=merchant_id,
            order_id=order_id,
        )


class CheckoutExpired(DomainError):
    def __init__(self, checkout_id: str, expires_at: str) -> None:
        super().__init__(
            f"checkout {checkout_id!r} expired at {expires_at}", checkout_id=checkout_id, expires_at=expires_at
        )


class PaymentStateConflict(DomainError):
    """The payment is not in the state the request needs (captured, voided, expired, not yet captured)."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.code = code


class OutOfStock(DomainError):
    def __init__(self, reward_id: str) -> None:
        super().__init__(f"reward {reward_id!r} is out of stock", reward_id=reward_id)


class PaymentRefused(DomainError):
    """The merchant's rules (or the balance) do not let this payment happen; ``code`` says which."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message, **details)
        self.code = code


class ReturnUrlNotAllowed(DomainError):
    """The hosted checkout was asked to send its customer to a URL whose origin its merchant has not registered;
    nothing of the checkout is shown with it."""

    def __init__(self) -> None:
        super().__init__("return_url: its origin is not one the checkout's merchant registered", field="return_url")


class RefundExceedsPayment(DomainError):
    def __init__(self, requested: int, refundable: int) -> None:
        super().__init__(
            f"refund of {requested} exceeds the {refundable} still refundable",
            requested=requested,
            refundable=refundable,
        )


class IdempotencyKeyReused(DomainError):
    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was already used with a different request")


class ConcurrentUpdate(DomainError):
    def __init__(self, attempts: int) -> None:
        super().__init__(f"the wallet kept changing; gave up after {attempts} attempts, retry later", attempts=attempts)


class AmountMismatch(DomainError):
    def __init__(self, expected: int, received: int) -> None:
        super().__init__(
            f"amount {received} differs from the top-up's {expected}", expected=expected, received=received
        )


class InvalidSignature(DomainError):
    pass


class TopupNotPending(DomainError):
    def __init__(self, topup_id: str, status: str) -> None:
        super().__init__(f"top-up {topup_id!r} is already {status}", topup_id=topup_id, status=status)


class SegmentationInProgress(DomainError):
    def __init__(self, run_id: str, state: str) -> None:
        super().__init__(
            f"segmentation run {run_id!r} is {state}: wait for it (GET /v1/admin/segmentations/{run_id})",
            run_id=run_id,
            state=state,
        )


class StoreConflict(Exception):
    """A conditional write lost: the store names which guard failed. Not shown to callers as is."""


class ReadChanged(StoreConflict):
    """Something the write was planned from changed since it was read (a wallet's version, a payment's
    refund total, a top-up's or checkout's status, a points account, an item another transaction was
    writing): read again and retry.

    ``current`` is the wallet as the failed condition saw it, when the wallet was the only
    guard that failed: the retry can plan from it without reading again.
    """

    def __init__(self, current: Any = None) -> None:
        super().__init__("the data changed since it was read")
        self.current = current


class BudgetShardExhausted(ReadChanged):
    """The coupon budget's shard a payment took from had too little left: try another shard."""

    def __init__(self, shard: int | None) -> None:
        super().__init__(None)
        self.shard = shard


class VersionTaken(StoreConflict):
    """Another change of the same versioned document committed first (a merchant's rules, the tiers, a top-up
    plan, a coupon definition, a promotion): the version this write meant to create is taken."""


class IdempotencyKeyTaken(StoreConflict):
    """Another request with the same key committed first."""


class Unavailable(DomainError):
    """A dependency (the table) cannot be reached."""


class FeedbackExists(DomainError):
    """The transaction has feedback already (one per transaction, whoever sends the second)."""

    def __init__(self, subject_kind: str, subject_id: str) -> None:
        super().__init__(
            f"{subject_kind} {subject_id!r} already has feedback", subject_kind=subject_kind, subject_id=subject_id
        )


class InvariantBroken(Exception):
    """A promise of the ledger would break (a split that does not add up, a lot below zero): a bug, never the
    caller's doing. Not a DomainError, so it is answered 500 and logged; unlike ``assert`` it is not stripped
    by ``python -O``."""


def ensure(holds: bool, what: str) -> None:
    """Refuse to go on when an invariant does not hold (``what`` says which)."""
    if not holds:
        raise InvariantBroken(what)


_T = TypeVar("_T")


def present(value: _T | None, what: str) -> _T:
    """``value``, which the caller has made sure exists (``what`` names it); InvariantBroken if it does not."""
    if value is None:
        raise InvariantBroken(f"{what} is missing")
    return value
