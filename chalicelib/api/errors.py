"""The one table that turns domain errors into HTTP statuses and error codes."""

from __future__ import annotations

import json
from typing import Any

from chalice import Response

from ..domain import errors as e

# class -> (status, code); the code of InvalidRequest is carried by the error itself.
STATUS: dict[type, tuple[int, str]] = {
    e.InvalidRequest: (400, "invalid_request"),
    e.MissingIdempotencyKey: (400, "missing_idempotency_key"),
    e.AmountExceedsLimit: (400, "amount_exceeds_limit"),
    e.Unauthenticated: (401, "unauthenticated"),
    e.InvalidSignature: (401, "invalid_signature"),
    e.Forbidden: (403, "forbidden"),
    e.NotFound: (404, "not_found"),
    e.OrderAlreadyPaid: (409, "order_already_paid"),
    e.CheckoutExists: (409, "checkout_exists"),
    e.FeedbackExists: (409, "feedback_exists"),
    e.OutOfStock: (409, "out_of_stock"),
    e.CheckoutExpired: (409, "checkout_expired"),
    e.PaymentRefused: (422, "payment_refused"),
    e.PaymentStateConflict: (409, "payment_state_conflict"),
    e.ConcurrentUpdate: (409, "concurrent_update"),
    e.TopupNotPending: (409, "topup_already_processed"),
    e.SegmentationInProgress: (409, "segmentation_in_progress"),
    e.UnsupportedMediaType: (415, "unsupported_media_type"),
    e.InsufficientFunds: (422, "insufficient_balance"),
    e.RefundExceedsPayment: (422, "refund_exceeds_payment"),
    e.IdempotencyKeyReused: (422, "idempotency_key_reused"),
    e.AmountMismatch: (422, "amount_mismatch"),
    e.BalanceLimitExceeded: (422, "balance_limit_exceeded"),
    e.ReturnUrlNotAllowed: (422, "return_url_not_allowed"),
    e.Unavailable: (503, "unavailable"),
}

# Chalice's own error responses ({"Code", "Message"}) get the same envelope.
CHALICE_CODES = {
    "UnsupportedMediaType": "unsupported_media_type",
    "MethodNotAllowedError": "method_not_allowed",
    "BadRequestError": "invalid_request",
    "NotFoundError": "not_found",
    "InternalServerError": "internal_error",
}


from ..services.common import error_body  # noqa: E402 - one envelope for views and use cases


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str | list[str]] | None = None,
) -> Response:
    return Response(
        body=json.dumps(error_body(code, message, details)),
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def from_domain(exc: e.DomainError) -> Response:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            status, code = STATUS[cls]
            break
    else:  # a DomainError without a row is a bug: fail loudly in tests
        raise exc
    if isinstance(exc, (e.InvalidRequest, e.PaymentRefused, e.PaymentStateConflict)):
        code = exc.code
    if isinstance(exc, e.NotFound):
        code = f"{exc.what}_not_found"
    headers: dict[str, str | list[str]] | None = (
        {"WWW-Authenticate": 'Bearer realm="store-balance"'} if status == 401 else None
    )
    return error_response(status, code, exc.message, exc.details, headers)
