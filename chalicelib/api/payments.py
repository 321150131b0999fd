"""Payment routes: pay an order with balance, read a payment, refund it."""

from __future__ import annotations

from chalice import Blueprint

from ..domain.money import require_positive_amount
from ..services import authorizations, payments, refunds
from ..domain.pricing import PayOptions
from ..services.common import Outcome
from .. import bootstrap
from .faults import after_commit_hook
from .routing import Call, route

bp = Blueprint(__name__)


@route(
    bp,
    "/v1/payments",
    "POST",
    name="createPayment",
    summary="Pay a checkout from the caller's balance, exactly as its quote says (the checkout's customer)",
    access="user",
    body="payments.PaymentRequest",
    response="payments.PaymentCreated",
    status=201,
    idempotent=True,
    tag="payments",
)
def create_payment(call: Call) -> Outcome:
    b = call.body
    return payments.pay(
        bootstrap.store(),
        bootstrap.policy(),
        bootstrap.config_cache(),
        call.caller,
        call.key,
        checkout_id=b.checkout_id,
        options=PayOptions(allow_partial=b.allow_partial, capture=b.capture, points=b.points, coupon_id=b.coupon_id),
        after_commit=after_commit_hook(call),
        expected_balance=b.expected_balance,
    )


@route(
    bp,
    "/v1/payments/{payment_id}/capture",
    "POST",
    name="capturePayment",
    summary="Capture all or part of an authorization; the rest is released (its merchant, service, admin)",
    access="user",
    body="payments.CaptureRequest",
    response="payments.SettlementOut",
    idempotent=True,
    tag="payments",
)
def capture_payment(call: Call, payment_id: str) -> Outcome:
    amount = call.body.amount
    if amount is not None:
        require_positive_amount(amount, call.settings.max_transaction_amount)
    return authorizations.capture(
        bootstrap.store(),
        bootstrap.policy(),
        call.caller,
        call.key,
        payment_id,
        amount,
        after_commit=after_commit_hook(call),
    )


@route(
    bp,
    "/v1/payments/{payment_id}/void",
    "POST",
    name="voidPayment",
    summary="Release an authorization in full; the checkout can be paid again (its merchant, service, admin, "
    "or its customer while on hold)",
    access="user",
    response="payments.SettlementOut",
    idempotent=True,
    tag="payments",
)
def void_payment(call: Call, payment_id: str) -> Outcome:
    return authorizations.void(
        bootstrap.store(), bootstrap.policy(), call.caller, call.key, payment_id, after_commit=after_commit_hook(call)
    )


@route(
    bp,
    "/v1/payments/{payment_id}",
    "GET",
    name="getPayment",
    summary="A payment with its refunds (its customer, its merchant, admin)",
    access="user",
    response="payments.PaymentOut",
    tag="payments",
)
def get_payment(call: Call, payment_id: str) -> dict:
    return payments.get_payment(bootstrap.store(), call.caller, payment_id)


@route(
    bp,
    "/v1/payments/{payment_id}/refunds",
    "POST",
    name="createRefund",
    summary="Refund part or all of a payment to the lots it came from (its merchant, admin, service)",
    access="user",
    body="payments.RefundRequest",
    response="payments.RefundCreated",
    status=201,
    idempotent=True,
    tag="payments",
)
def create_refund(call: Call, payment_id: str) -> Outcome:
    s, b = call.settings, call.body
    return refunds.refund(
        bootstrap.store(),
        currency=s.currency,
        max_attempts=s.max_attempts,
        principal=call.caller,
        request=call.key,
        payment_id=payment_id,
        amount=require_positive_amount(b.amount, s.max_transaction_amount),
        reason=b.reason,
        after_commit=after_commit_hook(call),
    )
