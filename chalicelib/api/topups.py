"""Top-up routes: create a pending top-up; the provider's signed webhook settles it."""

from __future__ import annotations

from chalice import Blueprint

from ..domain.money import require_positive_amount
from ..services import topups
from ..services.common import Outcome
from .. import bootstrap
from .faults import after_commit_hook
from .routing import Call, route

bp = Blueprint(__name__)


@route(
    bp,
    "/v1/topups",
    "POST",
    name="createTopup",
    summary="Start a top-up (pending until the provider confirms)",
    access="user",
    body="topups.TopupRequest",
    response="topups.TopupOut",
    status=201,
    idempotent=True,
    tag="topups",
)
def create_topup(call: Call) -> Outcome:
    amount = require_positive_amount(call.body.amount, call.settings.max_transaction_amount)
    return topups.create_topup(
        bootstrap.store(),
        currency=call.settings.currency,
        max_balance=call.settings.max_balance,
        principal=call.caller,
        request=call.key,
        amount=amount,
        channel=call.body.channel,
        option_id=call.body.option_id,
        presets=call.settings.topup_presets,
    )


@route(
    bp,
    "/v1/topups/options",
    "GET",
    name="topupOptions",
    summary="Preset top-up amounts with the bonus each earns now, and a suggested amount",
    access="user",
    response="topups.TopupOptionsOut",
    tag="topups",
)
def topup_options(call: Call) -> dict:
    from ..domain.forecast import forecast, suggested_topup
    from ..services import clock

    now = clock.now()
    presets = call.settings.topup_presets

    def suggest(wallet, balance: int) -> int:
        return suggested_topup(forecast(wallet.spend_days, balance, now.date()), balance, presets)

    return topups.topup_options(bootstrap.store(), call.caller, call.settings.currency, presets, now, suggest)


@route(
    bp,
    "/v1/admin/topup-plans/{plan_id}",
    "PUT",
    name="putTopupPlan",
    summary="Create or change a top-up bonus plan (admin)",
    access="admin",
    body="topups.TopupPlanRequest",
    response="topups.TopupPlanOut",
    tag="topups",
)
def put_topup_plan(call: Call, plan_id: str) -> dict:
    return topups.put_plan(bootstrap.store(), plan_id, call.body.model_dump())[1]


@route(
    bp,
    "/v1/admin/topup-plans",
    "GET",
    name="listTopupPlans",
    summary="The top-up bonus plans (admin)",
    access="admin",
    response="topups.TopupPlansPage",
    tag="topups",
)
def list_topup_plans(call: Call) -> dict:
    return topups.list_plans(bootstrap.store())


@route(
    bp,
    "/v1/topups/{topup_id}",
    "GET",
    name="getTopup",
    summary="A top-up of the caller's",
    access="user",
    response="topups.TopupOut",
    tag="topups",
)
def get_topup(call: Call, topup_id: str) -> dict:
    return topups.get_topup(bootstrap.store(), call.caller, topup_id)


@route(
    bp,
    "/v1/webhooks/payments",
    "POST",
    name="paymentWebhook",
    summary="Payment provider's verdict on a top-up (HMAC-signed)",
    access="signed",
    body="topups.WebhookRequest",
    response="topups.WebhookOut",
    tag="topups",
)
def payment_webhook(call: Call) -> Outcome:
    b = call.body
    return topups.confirm_topup(
        bootstrap.store(),
        currency=call.settings.currency,
        max_attempts=call.settings.max_attempts,
        topup_id=b.topup_id,
        status=b.status,
        amount=b.amount,
        provider_ref=b.provider_ref,
        after_commit=after_commit_hook(call),
    )
