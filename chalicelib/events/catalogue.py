"""The domain events this service puts on its EventBridge bus: source, detail types, consumers.

Every event is published from the table's stream (chalicelib.handlers.publisher), one per committed
change that matters outside. Each ``detail`` carries ``event_id``: stable for the change it describes
(derived from the item's key and version, never from the delivery), so a consumer dedupes on it.
The JSON Schema of each detail type is in ``SCHEMAS``; docs/events.md is the readable catalogue.
"""

from __future__ import annotations

from ..domain.campaigns import COUNTS as CAMPAIGN_COUNTS

SOURCE = "store-balance"

# detail-type -> what it means (docs/events.md says more)
DETAIL_TYPES: dict[str, str] = {
    "topup.credited": "a top-up was credited to a wallet (with the bonus of a top-up plan, if any)",
    "payment.authorized": "balance was put on hold for a payment",
    "payment.succeeded": "a payment was completed (paid at once, or captured)",
    "payment.voided": "an authorization was voided; its hold went back to the wallet",
    "payment.expired": "an authorization ended uncaptured; its hold went back to the wallet",
    "payment.refunded": "part or all of a payment was refunded to the wallet",
    "balance.adjusted": "an operator corrected a wallet",
    "bonus.expired": "bonus balance reached its expiry and left the wallet",
    "points.earned": "points were earned by a payment (pending until available_at)",
    "points.matured": "pending points became spendable (published when the account is next written)",
    "points.spent": "points were spent at checkout or on a reward",
    "points.returned": "points spent on a payment were given back by its refund",
    "points.clawed_back": "points earned by a payment were taken back by its refund",
    "coupon.granted": "a coupon was granted to a customer",
    "coupon.used": "a coupon was used by a payment",
    "coupon.restored": "a used coupon was given back (void, expiry or full refund)",
    "tier.changed": "a customer's membership tier changed",
    "wallet.balance_low": "a wallet's balance fell below the customer's low-balance threshold",
    "notification.sent": "a notification was put in a customer's inbox",
    "feedback.submitted": "a customer rated a transaction",
    "checkout.opened": "a merchant opened a checkout of a priced order for a customer",
    "checkout.quoted": "a customer's checkout was quoted: what balance could pay, and which limits held it back",
    "checkout.cancelled": "a merchant cancelled an open checkout; its order may get a new one",
    "checkout.expired": "an open checkout reached its expiry unpaid (the sweeper, within about 5 minutes)",
    "promotion.started": "a limited-time promotion started",
    "promotion.ended": "a limited-time promotion ended or was cancelled",
    "segment.entered": "a segmentation run put a customer in a segment (first run, or a change)",
    "segment.left": "a segmentation run took a customer out of the segment they were in",
    "segmentation.requested": "an operator asked for a segmentation run now (it is queued; the job runs it once)",
    "campaign.started": "a campaign's run began delivering its action to the treated members of its segment",
    "campaign.completed": "a campaign's run reached every member of its segment: its counts",
    "campaign.measurement_requested": "a campaign's measurement is queued (its window closed, or an operator asked)",
    "survey.answered": "a customer answered a survey a campaign put in their inbox",
    "backtest.requested": "a merchant's staff or an admin asked for a backtest of a proposed configuration (queued)",
}
# Behaviour events (POST /v1/events, chalicelib/services/behaviour.py): what a customer's app reports; put on
# the bus by the API, not from the table's stream. Their event_id is the app's own id hashed, or a new one.
BEHAVIOUR_TYPES: dict[str, str] = {
    "behaviour.login": "a customer signed in to the shop's app",
    "behaviour.view_product": "a customer looked at a product",
    "behaviour.search": "a customer searched the shop",
    "behaviour.add_to_cart": "a customer put a product in the cart",
    "behaviour.view_wallet": "a customer opened the wallet",
    "behaviour.view_topup": "a customer opened the top-up page",
}
DETAIL_TYPES.update(BEHAVIOUR_TYPES)


# The bus's consumers: rule name -> EventBridge event pattern. The infrastructure creates one rule per
# consumer with the function of the same name as its target (and a dead-letter queue); the local stack
# creates the same rules on moto's bus (chalicelib/handlers/ and dev/lifecycle.py).
CONSUMERS: dict[str, dict] = {
    "lifecycle": {"source": [SOURCE], "detail-type": ["wallet.balance_low", "payment.succeeded"]},
    "segmentation": {"source": [SOURCE], "detail-type": ["segmentation.requested"]},
    "campaign_measurement": {"source": [SOURCE], "detail-type": ["campaign.measurement_requested"]},
    "backtest": {"source": [SOURCE], "detail-type": ["backtest.requested"]},
}

# every event of the service goes to the analytics export (infra/concerns/analytics.py)
EXPORT_PATTERN: dict = {"source": [SOURCE]}

# ---- the JSON Schema of each detail type ---------------------------------------------------------
_S: dict = {"type": "string", "minLength": 1}
_T: dict = {"type": "string", "format": "date-time"}
_I: dict = {"type": "integer"}
_N: dict = {"type": "integer", "minimum": 0}
_LOTS: dict = {
    "type": "object",
    "required": ["cash", "bonus"],
    "additionalProperties": False,
    "properties": {"cash": _I, "bonus": _I},
}
_OBJ: dict = {"type": "object"}
# what every checkout event says of its order (chalicelib/events/mapping.py _checkout)
_ORDER: dict = {"checkout_id": _S, "merchant_id": _S, "order_id": _S, "user_id": _S, "amount": _N}
_LINES: dict = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["sku", "category", "unit_price", "quantity"],
        "additionalProperties": False,
        "properties": {"sku": _S, "category": _S, "unit_price": _N, "quantity": _N},
    },
}


def _schema(detail_type: str, required: dict[str, dict], optional: dict[str, dict] | None = None) -> dict:
    props = {"event_id": {"type": "string", "format": "uuid"}, "occurred_at": _T, **required, **(optional or {})}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": detail_type,
        "type": "object",
        "required": ["event_id", *required],
        "properties": props,
        "additionalProperties": False,
    }


_ENTRY = {"user_id": _S, "entry_id": _S, "amount": _I, "lots": _LOTS, "balance_after": _LOTS}
_PAYMENT = {
    "payment_id": _S,
    "user_id": _S,
    "merchant_id": _S,
    "order_id": _S,
    "amount": _N,
    "balance_paid": _N,
    "lots": _LOTS,
    "discount": _N,
    "external": _N,
    "points_spent": _N,
    "points_earned": _N,
}
_POINTS = {"user_id": _S, "entry_id": _S, "points": _N}
_POINTS_OPT = {"payment_id": _S, "reward_id": _S}
_COUPON = {"coupon_id": _S, "user_id": _S, "definition_id": _S}
_COUPON_OPT = {"merchant_id": _S, "payment_id": _S, "valid_to": _T}
_PROMOTION = {"promotion_id": _S, "status": _S}
_CAMPAIGN = {"campaign_id": _S, "segment": _S, "action": _S, "holdout_percent": _N}
_CAMPAIGN_OPT = {"name": _S}
_PROMOTION_OPT = {"merchant_id": _S, "name": _S, "effect": _OBJ, "starts_at": _T, "ends_at": _T}

SCHEMAS: dict[str, dict] = {
    "topup.credited": _schema("topup.credited", {**_ENTRY, "topup_id": _S}, {"plan_id": _S, "option": _S}),
    "payment.refunded": _schema(
        "payment.refunded", {**_ENTRY, "payment_id": _S, "refund_id": _S}, {"merchant_id": _S, "order_id": _S}
    ),
    "balance.adjusted": _schema("balance.adjusted", _ENTRY, {"reason": _S, "actor": _S}),
    "bonus.expired": _schema("bonus.expired", {**_ENTRY, "grant_ids": {"type": "array", "items": _S}}),
    **{
        t: _schema(t, _PAYMENT, {"coupon_id": _S, "promotion_id": _S})
        for t in ("payment.authorized", "payment.succeeded", "payment.voided", "payment.expired")
    },
    "points.earned": _schema("points.earned", _POINTS, {**_POINTS_OPT, "available_at": _T}),
    "points.spent": _schema("points.spent", _POINTS, _POINTS_OPT),
    "points.returned": _schema("points.returned", _POINTS, _POINTS_OPT),
    "points.clawed_back": _schema("points.clawed_back", {**_POINTS, "shortfall": _N}, _POINTS_OPT),
    "points.matured": _schema(
        "points.matured", {"user_id": _S, "points": _N, "payment_ids": {"type": "array", "items": _S}}
    ),
    "coupon.granted": _schema("coupon.granted", _COUPON, _COUPON_OPT),
    "coupon.used": _schema("coupon.used", {**_COUPON, "payment_id": _S}, _COUPON_OPT),
    "coupon.restored": _schema("coupon.restored", _COUPON, _COUPON_OPT),
    "tier.changed": _schema("tier.changed", {"user_id": _S}, {"from_tier": _S, "to_tier": _S, "since": _S}),
    "wallet.balance_low": _schema(
        "wallet.balance_low", {"user_id": _S, "balance": _N, "threshold": _N, "wallet_version": _N}
    ),
    "notification.sent": _schema(
        "notification.sent",
        {"notification_id": _S, "user_id": _S, "type": _S},
        {"title": {"type": "string"}, "body": {"type": "string"}, "data": _OBJ},
    ),
    "feedback.submitted": _schema(
        "feedback.submitted",
        {
            "feedback_id": _S,
            "user_id": _S,
            "subject_kind": {"enum": ["payment", "topup", "entry"]},
            "subject_id": _S,
            "rating": {"type": "integer", "minimum": 1, "maximum": 5},
            "tags": {"type": "array", "items": _S},
        },
        {"comment": {"type": "string", "maxLength": 1000}, "merchant_id": _S},
    ),
    "checkout.opened": _schema(
        "checkout.opened",
        {**_ORDER, "lines": _LINES, "expires_at": _T},
    ),
    "checkout.quoted": _schema(
        "checkout.quoted",
        {
            "checkout_id": _S,
            "merchant_id": _S,
            "user_id": _S,
            "amount": _N,
            "lines": _LINES,
            "expires_at": _T,
            "balance": _N,
            "discount_total": _N,
            "external": _N,
            "payable": {"type": "boolean"},
            "limits": {"type": "array", "items": _S},
            "funds": {
                "type": "object",
                "required": ["cash", "bonus", "points", "spent_today"],
                "additionalProperties": False,
                "properties": {"cash": _N, "bonus": _N, "points": _N, "spent_today": _N},
            },
            "points": _N,
        },
        {"refusal": _S, "coupon_id": _S, "tier": _S, "rules_version": _I, "allow_partial": {"type": "boolean"}},
    ),
    "checkout.cancelled": _schema(
        "checkout.cancelled",
        _ORDER,
        {"reason": _S},
    ),
    "checkout.expired": _schema(
        "checkout.expired",
        {**_ORDER, "lines": _LINES, "expires_at": _T},
    ),
    "promotion.started": _schema("promotion.started", _PROMOTION, _PROMOTION_OPT),
    "promotion.ended": _schema("promotion.ended", _PROMOTION, _PROMOTION_OPT),
    "segment.entered": _schema("segment.entered", {"user_id": _S, "segment": _S, "run_id": _S}, {"from": _S}),
    "segment.left": _schema("segment.left", {"user_id": _S, "segment": _S, "run_id": _S}, {"to": _S}),
    "segmentation.requested": _schema(
        "segmentation.requested", {"run_id": _S, "as_of": {"type": "string", "format": "date"}}, {"requested_by": _S}
    ),
    "campaign.started": _schema("campaign.started", _CAMPAIGN, _CAMPAIGN_OPT),
    "campaign.completed": _schema(
        "campaign.completed",
        {**_CAMPAIGN, **{k: _N for k in CAMPAIGN_COUNTS}},
        _CAMPAIGN_OPT,
    ),
    "survey.answered": _schema(
        "survey.answered",
        {"survey_id": _S, "user_id": _S, "choice": _S},
        {"comment": _S, "segment": _S, "frequency_class": _S},
    ),
    "campaign.measurement_requested": _schema(
        "campaign.measurement_requested", {"campaign_id": _S, "requested_at": _T}
    ),
    "backtest.requested": _schema(
        "backtest.requested",
        {"backtest_id": _S, "merchant_id": _S, "days": {"type": "integer", "minimum": 1, "maximum": 90}},
        {"requested_by": _S},
    ),
}


def _behaviour_schema(detail_type: str) -> dict:
    from ..domain.behaviour import COUNTS, MAX_TEXT, TYPES

    required, optional = TYPES[detail_type.removeprefix("behaviour.")]

    def prop(name: str) -> dict:
        if name in COUNTS:
            return {"type": "integer", "minimum": 1}
        return {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": detail_type,
        "type": "object",
        "required": ["event_id", "user_id", "type", "occurred_at", "received_at", "props"],
        "properties": {
            "event_id": {"type": "string", "pattern": "^bhv_[0-9a-z]+$"},
            "user_id": _S,
            "type": {"const": detail_type.removeprefix("behaviour.")},
            "occurred_at": _T,
            "received_at": _T,
            "props": {
                "type": "object",
                "required": sorted(required),
                "properties": {n: prop(n) for n in sorted(required | optional)},
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
    }


SCHEMAS.update({t: _behaviour_schema(t) for t in BEHAVIOUR_TYPES})
