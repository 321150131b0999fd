"""The table of bad input on the routes that move money or change a wallet: each case is refused with a 4xx,
a machine-readable code and a message in the error envelope, and nothing is written.

Each case starts from a request that would succeed (valid body, a funded customer, a pending
top-up, a refundable payment) and breaks exactly one thing, so a case that were not refused
would move money. "Nothing written" is checked on the table (``table``: the whole table item by item
over HTTP, tests/e2e/conftest.py TableScan; every write call of the process in process,
tests/inprocess/harness.py WriteLog) and on the customer's wallet and the payment's refundable amount.

Every case runs in process (tests/inprocess/test_bad_input.py), and one case per route over HTTP on the
local stack (tests/e2e/test_bad_input.py), next to every route's valid request.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from tests.e2e.conftest import assert_nothing_written, backtest_settled, segmentation_settled

MAX = 5_000_000  # MAX_TRANSACTION_AMOUNT of the local stack (tests/conftest.py)
MISSING = object()  # "remove this field"


# ---- the world -------------------------------------------------------------------------


@dataclass
class World:
    customer: Any
    admin: Any
    service: Any
    payment_id: str
    pending_topup_id: str
    pending_amount: int
    checkout_id: str  # an open checkout of the customer's (quotes)
    authorize: Callable[[], str]  # a fresh authorization of the customer's (captures)
    open_checkout: Callable[[], str]  # a fresh open checkout of the customer's (payments)
    fresh_topup: Callable[[], str]  # a fresh pending top-up of the customer's, not yet rated (feedback)


RULES_MERCHANT = "m-bad-rules"
COUPON_TERMS = {
    "name": "bad-input coupon",
    "kind": "amount_off",
    "value": 100,
    "min_spend": 0,
    "valid_from": "2026-01-01T00:00:00Z",
    "valid_to": "2099-01-01T00:00:00Z",
    "per_customer_limit": 1000,
}  # its rules are rewritten by the control case: no other test pays it


def make_world(api) -> World:
    """The customer, the callers and the targets every case acts on (a module fixture where the table runs)."""
    customer = api.unique_user("bad-input")
    # enough that no bad case could be refused for lack of money instead of for its input
    api.fund(customer, MAX)
    api.fund(customer, MAX)
    paid = api.pay(customer, MAX)  # refundable: MAX, more than any bad refund below the limit
    assert paid.status_code == 201, paid.text
    pending = api.post("/v1/topups", customer, {"amount": 1000, "channel": "card"}, key=str(uuid.uuid4()))
    assert pending.status_code == 201, pending.text
    api.ensure_merchant(RULES_MERCHANT)
    definition = api.request("PUT", "/v1/coupon-definitions/cd-bad-input", api.admin(), COUPON_TERMS)
    assert definition.status_code == 200, definition.text
    return World(
        customer=customer,
        admin=api.admin(),
        service=api.service(),
        payment_id=paid.json()["payment_id"],
        pending_topup_id=pending.json()["topup_id"],
        pending_amount=1000,
        checkout_id=api.open_checkout(customer, 1000)["checkout_id"],
        open_checkout=lambda: api.open_checkout(customer, 1000)["checkout_id"],
        fresh_topup=lambda: api.post(
            "/v1/topups", customer, {"amount": 100, "channel": "card"}, key=str(uuid.uuid4())
        ).json()["topup_id"],
        authorize=lambda: api.post(
            "/v1/payments",
            customer,
            {"checkout_id": api.open_checkout(customer, 1000)["checkout_id"], "capture": False},
            key=str(uuid.uuid4()),
        ).json()["payment_id"],
    )


# ---- the routes and their valid requests ---------------------------------------------------


def _in(**delta: float) -> str:
    """A UTC instant this far from now, as the API takes it."""
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Route:
    method: str
    path: Callable[[World], str]
    caller: str  # customer | admin | service | provider (signed webhook, no token)
    body: Callable[[World], dict[str, Any]]
    amount: tuple[Any, ...] | None  # where the amount lives in the body (None: it has none)
    other: str  # a required field that is not an amount
    idempotent: bool


ROUTES: dict[str, Route] = {
    "topup": Route(
        "POST",
        lambda w: "/v1/topups",
        "customer",
        lambda w: {"amount": 1000, "channel": "card"},
        ("amount",),
        "channel",
        True,
    ),
    "checkout": Route(
        "POST",
        lambda w: "/v1/checkouts",
        "service",
        lambda w: {
            "merchant_id": "m-e2e",
            "order_id": f"o-bad-{uuid.uuid4().hex[:10]}",
            "user_id": w.customer.user_id,
            "items": [{"sku": "s-1", "category": "books", "unit_price": 1000, "quantity": 1}],
        },
        ("items", 0, "unit_price"),
        "merchant_id",
        True,
    ),
    "payment": Route(
        "POST",
        lambda w: "/v1/payments",
        "customer",
        lambda w: {"checkout_id": w.open_checkout()},
        None,
        "checkout_id",
        True,
    ),
    "capture": Route(
        "POST",
        lambda w: f"/v1/payments/{w.authorize()}/capture",
        "admin",
        lambda w: {"amount": 1000},
        ("amount",),
        "",
        True,
    ),
    "coupon_definition": Route(
        "PUT",
        lambda w: f"/v1/coupon-definitions/cd-bad-{uuid.uuid4().hex[:10]}",
        "admin",
        lambda w: dict(COUPON_TERMS),
        ("value",),
        "kind",
        False,
    ),
    "grants": Route(
        "POST",
        lambda w: "/v1/coupon-definitions/cd-bad-input/grants",
        "admin",
        lambda w: {"user_ids": [w.customer.user_id]},
        None,
        "user_ids",
        True,
    ),
    "reward": Route(
        "PUT",
        lambda w: f"/v1/admin/rewards/rw-bad-{uuid.uuid4().hex[:8]}",
        "admin",
        lambda w: {"name": "mug", "kind": "gift", "points_cost": 100, "stock": 5},
        None,
        "kind",
        False,
    ),
    "tiers": Route(
        "PUT",
        lambda w: "/v1/admin/tiers",
        "admin",
        lambda w: {"tiers": [{"name": "base", "threshold": 0, "points_multiplier": 1}]},
        None,
        "tiers",
        False,
    ),
    "cancel_checkout": Route(
        "POST",
        lambda w: f"/v1/checkouts/{w.open_checkout()}/cancel",
        "service",
        lambda w: {"reason": "bad input test"},
        None,
        "",
        False,
    ),
    "quote": Route(
        "POST",
        lambda w: f"/v1/checkouts/{w.checkout_id}/quote",
        "customer",
        lambda w: {"allow_partial": False},
        None,
        "",
        False,
    ),
    "rules": Route(
        "PUT",
        lambda w: f"/v1/merchants/{RULES_MERCHANT}/balance-rules",
        "admin",
        lambda w: {
            "min_order_amount": 500,
            "excluded_categories": ["alcohol"],
            "partial_pay": {
                "allowed": "in_windows",
                "windows": [{"days": ["mon", "fri"], "from": "10:00", "to": "14:00"}],
                "max_share_percent": 80,
            },
            "balance_pay_discount": {"percent": 5, "max_amount": 1000},
            "daily_limit": 100000,
            "timezone": "Asia/Shanghai",
        },
        ("min_order_amount",),
        "timezone",
        False,
    ),
    "refund": Route(
        "POST",
        lambda w: f"/v1/payments/{w.payment_id}/refunds",
        "admin",
        lambda w: {"amount": 1000, "reason": "bad input test"},
        ("amount",),
        "reason",
        True,
    ),
    "adjustment": Route(
        "POST",
        lambda w: f"/v1/admin/wallets/{w.customer.user_id}/adjustments",
        "admin",
        lambda w: {"amount": 1000, "lot": "bonus", "reason": "bad input test"},
        ("amount",),
        "lot",
        True,
    ),
    "settings": Route(
        "PUT",
        lambda w: "/v1/wallet/settings",
        "customer",
        lambda w: {"low_balance_threshold": 777},
        ("low_balance_threshold",),
        "",
        False,
    ),
    "promotion": Route(
        "POST",
        lambda w: "/v1/admin/promotions",
        "admin",
        lambda w: {
            "name": "bad-input promotion",
            "merchant_id": "m-e2e",
            "starts_at": _in(hours=1),
            "ends_at": _in(days=1),
            "effect": {"kind": "extra_balance_discount", "percent": 10, "max_amount": 1000},
        },
        ("effect", "max_amount"),
        "name",
        True,
    ),
    "webhook": Route(
        "POST",
        lambda w: "/v1/webhooks/payments",
        "provider",
        lambda w: {
            "topup_id": w.pending_topup_id,
            "status": "succeeded",
            "amount": w.pending_amount,
            "provider_ref": "ref-bad-input",
        },
        ("amount",),
        "provider_ref",
        False,
    ),
    "feedback": Route(
        "POST",
        lambda w: "/v1/feedback",
        "customer",
        lambda w: {"topup_id": w.fresh_topup(), "rating": 4, "tags": ["slow"], "comment": "bad input test"},
        None,
        "rating",
        True,
    ),
    "events": Route(
        "POST",
        lambda w: "/v1/events",
        "customer",
        lambda w: {
            "events": [
                {"type": "view_product", "props": {"sku": "s-1", "category": "books", "merchant_id": "m-e2e"}},
                {"type": "login", "id": "ev-bad-input"},
            ]
        },
        None,
        "events",
        False,
    ),
    # runs tomorrow: the valid request (the control case) delivers nothing to anyone during the tests
    "campaign": Route(
        "POST",
        lambda w: "/v1/admin/campaigns",
        "admin",
        lambda w: {
            "name": "bad-input campaign",
            "segment": "dormant_balance",
            "action": {"kind": "grant_bonus", "amount": 1000, "valid_days": 30},
            "holdout_percent": 10,
            "run_at": _in(days=1),
            "measure_days": 14,
        },
        ("action", "amount"),
        "name",
        True,
    ),
    "segmentation": Route(
        "POST",
        lambda w: "/v1/admin/segmentations",
        "admin",
        lambda w: {"as_of": _in(days=0)[:10]},
        None,
        "",
        False,
    ),
    # a proposal of each kind, validated by the models and checks of the routes that set them; nothing moves
    "backtest": Route(
        "POST",
        lambda w: f"/v1/merchants/{RULES_MERCHANT}/backtests",
        "admin",
        lambda w: {
            "days": 30,
            "balance_rules": {
                "min_order_amount": 500,
                "balance_pay_discount": {"percent": 5, "max_amount": 1000},
                "timezone": "Asia/Shanghai",
            },
            "coupon_definition": {**COUPON_TERMS, "merchant_id": RULES_MERCHANT},
            "promotion": {"effect": {"kind": "extra_balance_discount", "percent": 10, "max_amount": 1000}},
        },
        None,
        "days",
        False,
    ),
}


# ---- the cases -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    status: int
    code: str
    amount: Any = MISSING  # a value for the amount field
    set: dict[tuple[Any, ...], Any] = field(default_factory=dict)  # other fields to set (MISSING: remove)
    raw: bytes | None = None  # the body, byte for byte, instead of the JSON of the (changed) valid body
    content_type: str | None = "application/json"
    key: str | None | object = "fresh"  # Idempotency-Key: "fresh" (a new one), None (none), or this value
    also: tuple[tuple[int, str], ...] = ()  # other (status, code) answers that are as right

    @property
    def answers(self) -> set[tuple[int, str]]:
        return {(self.status, self.code), *self.also}


def amount_cases(route: str) -> dict[str, Case]:
    bad = lambda v: Case(400, "invalid_amount", amount=v)
    too_big = Case(400, "amount_exceeds_limit", amount=MAX + 1)
    # far beyond any limit (and beyond what a JSON client reads exactly): the limit or the schema refuses it
    out_of_range = ((400, "invalid_amount"),)
    way_too_big = Case(400, "amount_exceeds_limit", amount=10**30, also=out_of_range)
    cases = {
        "amount_float_12.5": bad(12.5),
        "amount_float_100.0": bad(100.0),
        "amount_exponent_1e3": Case(400, "invalid_amount", raw=b"@amount@1e3"),
        "amount_nan": Case(400, "invalid_amount", raw=b"@amount@NaN"),
        "amount_infinity": Case(400, "invalid_amount", raw=b"@amount@1e400"),
        # more digits than Python parses into an int (4300): the body is not JSON it can read
        "amount_5000_digits": Case(400, "invalid_json", raw=b"@amount@" + b"9" * 5000, also=((400, "invalid_amount"),)),
        "amount_string": bad("100"),
        "amount_true": bad(True),
        "amount_false": bad(False),
        "amount_null": bad(None),
        "amount_object": bad({"value": 100}),
        "amount_list": bad([100]),
        "amount_negative": bad(-100),
        "amount_zero": bad(0),
        "amount_above_limit": too_big,
        "amount_10**30": way_too_big,
        "amount_missing": Case(400, "invalid_amount", set={ROUTES[route].amount: MISSING}),
    }
    if ROUTES[route].amount is None:  # no amount field: only the route's own cases below
        cases = {}
    if route == "adjustment":  # signed: a negative amount is a correction, not bad input
        del cases["amount_negative"]
        cases["amount_negative_above_limit"] = Case(400, "amount_exceeds_limit", amount=-(MAX + 1))
        cases["amount_negative_10**30"] = Case(400, "amount_exceeds_limit", amount=-(10**30), also=out_of_range)
    if route in ("settings", "rules"):  # a threshold, not a transaction: zero is valid, no per-transaction limit
        del cases["amount_zero"], cases["amount_above_limit"]
        cases["amount_10**30"] = bad(10**30)  # not a number any JSON client reads exactly
    if route == "settings":  # a partial update: without the threshold the body names nothing to change
        cases["amount_missing"] = Case(400, "invalid_request", set={("low_balance_threshold",): MISSING})
        reminders = lambda value: Case(400, "invalid_request", set={("reminders",): value})
        cases.update(
            {
                "reminders_null": reminders(None),
                "reminders_not_an_object": reminders([{"low_balance": True}]),
                "reminders_unknown_field": reminders({"sms": True}),
                "run_out_days_zero": reminders({"run_out_days": 0}),
                "run_out_days_31": reminders({"run_out_days": 31}),
                "run_out_days_float": reminders({"run_out_days": 7.0}),
                "run_out_days_string": reminders({"run_out_days": "7"}),
                "bonus_expiry_days_zero": reminders({"bonus_expiry_days": 0}),
                "bonus_expiry_days_31": reminders({"bonus_expiry_days": 31}),
                "low_balance_string": reminders({"low_balance": "yes"}),
                "low_balance_null": reminders({"low_balance": None}),
                "email_not_an_address": reminders({"email": "shopper"}),
                "email_with_spaces": reminders({"email": "a b@example.com"}),
                "email_too_long": reminders({"email": "a" * 250 + "@example.com"}),
                "email_number": reminders({"email": 12345}),
                # marketing e-mail consent: a boolean, sent as one
                "marketing_null": Case(400, "invalid_request", set={("marketing",): None}),
                "marketing_empty": Case(400, "invalid_request", set={("marketing",): {}}),
                "marketing_email_string": Case(400, "invalid_request", set={("marketing",): {"email": "false"}}),
                "marketing_email_number": Case(400, "invalid_request", set={("marketing",): {"email": 0}}),
                "marketing_unknown_field": Case(400, "invalid_request", set={("marketing",): {"sms": False}}),
            }
        )
    if route == "webhook":  # the provider's verdict on a top-up of 1000: any other amount is a mismatch
        cases["amount_above_limit"] = Case(422, "amount_mismatch", amount=MAX + 1)
        cases["amount_10**30"] = Case(422, "amount_mismatch", amount=10**30, also=out_of_range)
    if route == "capture":  # no amount (or null) captures the whole hold; more than the hold is refused
        del cases["amount_missing"], cases["amount_null"]
        cases["amount_above_limit"] = Case(400, "amount_exceeds_limit", amount=MAX + 1)
        cases["amount_above_the_hold"] = Case(422, "capture_exceeds_authorization", amount=1001)
    if route == "coupon_definition":  # terms, not a transaction: no per-transaction limit
        del cases["amount_above_limit"]
        cases["amount_10**30"] = bad(10**30)
        cases.update(
            {
                "percent_above_100": Case(400, "invalid_request", set={("kind",): "percent_off", ("value",): 150}),
                "kind_unknown": Case(400, "invalid_request", set={("kind",): "buy_one_get_one"}),
                "valid_to_before_valid_from": Case(400, "invalid_request", set={("valid_to",): "2025-01-01T00:00:00Z"}),
                "valid_from_not_a_time": Case(400, "invalid_request", set={("valid_from",): "tomorrow"}),
                "budget_count_zero": Case(400, "invalid_request", set={("budget_count",): 0}),
                "budget_amount_float": Case(400, "invalid_amount", set={("budget_amount",): 10.5}),
                "per_customer_limit_zero": Case(400, "invalid_request", set={("per_customer_limit",): 0}),
            }
        )
    if route == "promotion":  # a discount's cap, not a transaction: null or left out is no cap, no limit
        del cases["amount_null"], cases["amount_missing"], cases["amount_above_limit"]
        cases["amount_10**30"] = bad(10**30)
        coupon = {"kind": "grant_coupon", "definition_id": "cd-bad-input", "audience": "all_balance_payers"}
        cases.update(
            {
                "percent_zero": Case(400, "invalid_request", set={("effect", "percent"): 0}),
                "percent_above_50": Case(400, "invalid_request", set={("effect", "percent"): 51}),
                "percent_float": Case(400, "invalid_request", set={("effect", "percent"): 5.5}),
                "kind_unknown": Case(400, "invalid_request", set={("effect", "kind"): "buy_one_get_one"}),
                "ends_before_it_starts": Case(400, "invalid_window", set={("ends_at",): "2026-01-01T00:00:00Z"}),
                "starts_in_the_past": Case(400, "starts_in_past", set={("starts_at",): "2026-01-01T00:00:00Z"}),
                "longer_than_allowed": Case(400, "promotion_too_long", set={("ends_at",): "2099-01-01T00:00:00Z"}),
                "starts_not_a_time": Case(400, "invalid_request", set={("starts_at",): "tomorrow"}),
                "factor_a_float": Case(
                    400, "invalid_request", set={("effect",): {"kind": "points_multiplier", "factor": 1.5}}
                ),
                "factor_above_10": Case(
                    400, "invalid_factor", set={("effect",): {"kind": "points_multiplier", "factor": "10.5"}}
                ),
                "factor_one": Case(
                    400, "invalid_factor", set={("effect",): {"kind": "points_multiplier", "factor": "1"}}
                ),
                "coupon_definition_unknown": Case(
                    400, "unknown_coupon_definition", set={("effect",): {**coupon, "definition_id": "cd-nope"}}
                ),
                "audience_unknown": Case(400, "invalid_request", set={("effect",): {**coupon, "audience": "everyone"}}),
                "segment_unknown": Case(
                    400, "unknown_segment", set={("effect",): {**coupon, "audience": {"segment": "lapsed"}}}
                ),
                "merchant_unknown": Case(404, "merchant_not_found", set={("merchant_id",): "m-nope"}),
            }
        )
    if route == "rules":  # a whole document: a missing field takes its default
        del cases["amount_missing"]
        window = ("partial_pay", "windows", 0)
        cases.update(
            {
                "daily_limit_zero": Case(400, "invalid_amount", set={("daily_limit",): 0}),
                "daily_limit_float": Case(400, "invalid_amount", set={("daily_limit",): 100.5}),
                "discount_max_amount_negative": Case(
                    400, "invalid_amount", set={("balance_pay_discount", "max_amount"): -1}
                ),
                "discount_percent_above_90": Case(
                    400, "invalid_request", set={("balance_pay_discount", "percent"): 91}
                ),
                "discount_percent_float": Case(400, "invalid_request", set={("balance_pay_discount", "percent"): 5.5}),
                "share_percent_zero": Case(400, "invalid_request", set={("partial_pay", "max_share_percent"): 0}),
                "partial_mode_unknown": Case(400, "invalid_request", set={("partial_pay", "allowed"): "sometimes"}),
                "in_windows_without_windows": Case(400, "invalid_request", set={("partial_pay", "windows"): []}),
                "window_day_unknown": Case(400, "invalid_request", set={window + ("days",): ["monday"]}),
                "window_time_25h": Case(400, "invalid_request", set={window + ("from",): "25:00"}),
                "window_empty": Case(400, "invalid_request", set={window + ("to",): "10:00"}),
                "timezone_unknown": Case(400, "invalid_timezone", set={("timezone",): "Mars/Olympus_Mons"}),
                "timezone_path": Case(400, "invalid_timezone", set={("timezone",): "../../etc/passwd"}),
            }
        )
    if route == "payment":
        cases.update(
            {
                "checkout_id_bad_chars": Case(400, "invalid_request", set={("checkout_id",): "chk_1/../x"}),
                "checkout_unknown": Case(404, "checkout_not_found", set={("checkout_id",): "chk_nope"}),
                "allow_partial_string": Case(400, "invalid_request", set={("allow_partial",): "yes"}),
                "coupon_id_bad_chars": Case(400, "invalid_request", set={("coupon_id",): "cpn 1"}),
                "coupon_unknown": Case(404, "coupon_not_found", set={("coupon_id",): "cpn_nope"}),
                "points_negative": Case(400, "invalid_request", set={("points",): -1}),
                "points_float": Case(400, "invalid_request", set={("points",): 1.5}),
                "points_more_than_available": Case(422, "insufficient_points", set={("points",): 10**12}),
                "capture_null": Case(400, "invalid_request", set={("capture",): None}),
            }
        )
    if route == "reward":
        cases.update(
            {
                "points_cost_zero": Case(400, "invalid_request", set={("points_cost",): 0}),
                "points_cost_float": Case(400, "invalid_request", set={("points_cost",): 1.5}),
                "stock_negative": Case(400, "invalid_request", set={("stock",): -1}),
                "coupon_without_definition": Case(400, "invalid_request", set={("kind",): "coupon"}),
                "coupon_of_unknown_definition": Case(
                    404, "coupon_definition_not_found", set={("kind",): "coupon", ("coupon_definition_id",): "cd-nope"}
                ),
                "gift_with_definition": Case(400, "invalid_request", set={("coupon_definition_id",): "cd-bad-input"}),
            }
        )
    if route == "tiers":
        base = {"name": "base", "threshold": 0, "points_multiplier": 1}
        cases.update(
            {
                "not_starting_at_zero": Case(400, "invalid_request", set={("tiers",): [{**base, "threshold": 10}]}),
                "thresholds_not_rising": Case(
                    400,
                    "invalid_request",
                    set={
                        ("tiers",): [
                            base,
                            {**base, "name": "b", "threshold": 100},
                            {**base, "name": "c", "threshold": 100},
                        ]
                    },
                ),
                "names_twice": Case(400, "invalid_request", set={("tiers",): [base, {**base, "threshold": 5}]}),
                "multiplier_three_decimals": Case(
                    400, "invalid_request", set={("tiers",): [{**base, "points_multiplier": 1.005}]}
                ),
                "multiplier_below_one": Case(
                    400, "invalid_request", set={("tiers",): [{**base, "points_multiplier": 0.5}]}
                ),
                "discount_above_50": Case(
                    400, "invalid_request", set={("tiers",): [{**base, "balance_pay_discount_percent": 51}]}
                ),
                "tiers_empty": Case(400, "invalid_request", set={("tiers",): []}),
            }
        )
    if route == "grants":
        cases.update(
            {
                "user_ids_empty": Case(400, "invalid_request", set={("user_ids",): []}),
                "user_ids_501": Case(400, "invalid_request", set={("user_ids",): [f"u-{i}" for i in range(501)]}),
                "user_id_bad_chars": Case(400, "invalid_request", set={("user_ids",): ["a b/../c"]}),
            }
        )
    if route == "cancel_checkout":
        cases.update(
            {
                "reason_empty": Case(400, "invalid_request", set={("reason",): ""}),
                "reason_257_characters": Case(400, "invalid_request", set={("reason",): "x" * 257}),
                "reason_a_number": Case(400, "invalid_request", set={("reason",): 12345}),
            }
        )
    if route == "quote":
        cases.update(
            {
                "allow_partial_number": Case(400, "invalid_request", set={("allow_partial",): 1}),
            }
        )
    if route == "checkout":
        cases.update(
            {
                "user_id_missing": Case(400, "invalid_request", set={("user_id",): MISSING}),
                "expires_in_too_short": Case(400, "invalid_request", set={("expires_in_seconds",): 59}),
                "expires_in_too_long": Case(400, "invalid_request", set={("expires_in_seconds",): 86401}),
                "total_above_limit_by_quantity": Case(
                    400,
                    "amount_exceeds_limit",
                    set={("items", 0, "unit_price"): MAX // 2 + 1, ("items", 0, "quantity"): 2},
                ),
                "quantity_zero": Case(400, "invalid_amount", set={("items", 0, "quantity"): 0}),
                "quantity_float": Case(400, "invalid_amount", set={("items", 0, "quantity"): 1.0}),
                "quantity_string": Case(400, "invalid_amount", set={("items", 0, "quantity"): "1"}),
                "quantity_too_many": Case(400, "invalid_amount", set={("items", 0, "quantity"): 10_001}),
                "items_empty": Case(400, "invalid_request", set={("items",): []}),
                "items_not_a_list": Case(400, "invalid_request", set={("items",): {"sku": "s-1"}}),
                "merchant_id_bad_chars": Case(400, "invalid_request", set={("merchant_id",): "m e2e/../x"}),
            }
        )
    return cases


TEXT_FIELD = {
    "refund": "reason",
    "adjustment": "reason",
    "webhook": "provider_ref",
    "feedback": "comment",
    "cancel_checkout": "reason",
    "campaign": "name",
}


def shape_cases(route: str) -> dict[str, Case]:
    r = ROUTES[route]
    cases = {
        "unknown_field": Case(400, "invalid_request", set={("is_admin",): True}),
        "bad_json": Case(400, "invalid_json", raw=b'{"amount": 100,'),
        "json_array": Case(400, "invalid_json", raw=b"@array@"),
        "json_string": Case(400, "invalid_json", raw=b'"amount=100"'),
        "json_number": Case(400, "invalid_json", raw=b"100"),
        "json_null": Case(400, "invalid_json", raw=b"null"),
        "empty_body": Case(400, "invalid_json", raw=b""),
        "not_utf8": Case(400, "invalid_json", raw=b'{"amount": "\xff\xfe"}'),
        # valid JSON nested deeper than the parser recurses: still just an unreadable body
        "deeply_nested_json": Case(400, "invalid_json", raw=b'{"amount": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        # one byte over MAX_BODY_BYTES (256 KiB, docs/configuration.md): refused before it is read or parsed
        "body_too_large": Case(413, "payload_too_large", raw=b"{}" + b" " * (256 * 1024 + 1 - 2)),
        "text_plain": Case(415, "unsupported_media_type", content_type="text/plain"),
        "form_encoded": Case(415, "unsupported_media_type", content_type="application/x-www-form-urlencoded"),
    }
    if r.amount is None or r.amount[0] != "amount":  # an "amount" where the route takes none is just unknown
        cases["unknown_field_named_amount"] = Case(400, "invalid_request", set={("amount",): 100})
    if r.other and route != "rules":
        cases["field_missing"] = Case(400, "invalid_request", set={(r.other,): MISSING})
    if r.other:
        cases["field_wrong_type"] = Case(400, "invalid_request", set={(r.other,): 12345})
    if route in TEXT_FIELD:  # JSON can escape a lone UTF-16 surrogate: not text any store can hold
        cases["text_lone_surrogate"] = Case(400, "invalid_request", raw=b"@text@")
    if route == "feedback":
        cases.update(
            {
                "subject_missing": Case(400, "invalid_request", set={("topup_id",): MISSING}),
                "two_subjects": Case(400, "invalid_request", set={("payment_id",): "pay_x"}),
                "rating_zero": Case(400, "invalid_request", set={("rating",): 0}),
                "rating_six": Case(400, "invalid_request", set={("rating",): 6}),
                "rating_float": Case(400, "invalid_request", set={("rating",): 4.5}),
                "rating_string": Case(400, "invalid_request", set={("rating",): "4"}),
                "rating_true": Case(400, "invalid_request", set={("rating",): True}),
                "tags_eleven": Case(400, "invalid_request", set={("tags",): [f"t{i}" for i in range(11)]}),
                "tag_uppercase": Case(400, "invalid_request", set={("tags",): ["Slow"]}),
                "tags_twice": Case(400, "invalid_request", set={("tags",): ["slow", "slow"]}),
                "tags_not_a_list": Case(400, "invalid_request", set={("tags",): "slow"}),
                "comment_1001": Case(400, "invalid_request", set={("comment",): "x" * 1001}),
                "topup_unknown": Case(404, "topup_not_found", set={("topup_id",): "top_nope"}),
                "entry_unknown": Case(404, "entry_not_found", set={("topup_id",): MISSING, ("entry_id",): "ent_nope"}),
            }
        )
    if route == "events":
        product = ("events", 0, "props")
        cases.update(
            {
                "events_empty": Case(400, "invalid_request", set={("events",): []}),
                "events_26": Case(400, "invalid_request", set={("events",): [{"type": "login"}] * 26}),
                "events_not_a_list": Case(400, "invalid_request", set={("events",): {"type": "login"}}),
                "event_type_unknown": Case(400, "unknown_event_type", set={("events", 1, "type"): "purchase"}),
                "event_type_missing": Case(400, "invalid_request", set={("events", 1, "type"): MISSING}),
                "event_prop_missing": Case(400, "missing_event_property", set={(*product, "sku"): MISSING}),
                "event_prop_unknown": Case(400, "unknown_event_property", set={(*product, "colour"): "red"}),
                "event_prop_number_for_text": Case(400, "invalid_event_property", set={(*product, "sku"): 7}),
                "event_prop_text_for_number": Case(400, "invalid_event_property", set={(*product, "price"): "7"}),
                "event_prop_negative_price": Case(400, "invalid_event_property", set={(*product, "price"): -1}),
                "event_prop_object": Case(400, "invalid_request", set={(*product, "sku"): {"a": 1}}),
                "event_in_future": Case(400, "event_in_future", set={("events", 1, "at"): "2099-01-01T00:00:00Z"}),
                "event_too_old": Case(400, "event_too_old", set={("events", 1, "at"): "2020-01-01T00:00:00Z"}),
                "event_at_not_a_time": Case(400, "invalid_request", set={("events", 1, "at"): "yesterday"}),
                "event_at_offset": Case(400, "invalid_request", set={("events", 1, "at"): "2026-12-01T08:00:00+08:00"}),
                "event_id_twice": Case(
                    400,
                    "duplicate_event_id",
                    set={("events",): [{"type": "login", "id": "a"}, {"type": "login", "id": "a"}]},
                ),
                "event_id_bad_chars": Case(400, "invalid_request", set={("events", 1, "id"): "a b/c"}),
            }
        )
    if route == "campaign":
        survey = {"kind": "survey", "question": "Why not balance?", "choices": ["fees", "forgot"]}
        cases.update(
            {
                "segment_unknown": Case(400, "invalid_request", set={("segment",): "lapsed"}),
                "segment_missing": Case(400, "invalid_request", set={("segment",): MISSING}),
                "holdout_51": Case(400, "invalid_request", set={("holdout_percent",): 51}),
                "holdout_negative": Case(400, "invalid_request", set={("holdout_percent",): -1}),
                "holdout_float": Case(400, "invalid_request", set={("holdout_percent",): 10.0}),
                "measure_days_zero": Case(400, "invalid_request", set={("measure_days",): 0}),
                "measure_days_91": Case(400, "invalid_request", set={("measure_days",): 91}),
                "run_at_in_the_past": Case(400, "run_at_in_past", set={("run_at",): "2026-01-01T00:00:00Z"}),
                "run_at_too_far": Case(400, "run_at_too_far", set={("run_at",): "2099-01-01T00:00:00Z"}),
                "run_at_not_a_time": Case(400, "invalid_request", set={("run_at",): "tomorrow"}),
                "valid_days_zero": Case(400, "invalid_request", set={("action", "valid_days"): 0}),
                "valid_days_366": Case(400, "invalid_request", set={("action", "valid_days"): 366}),
                "action_kind_unknown": Case(400, "invalid_request", set={("action", "kind"): "send_cash"}),
                "coupon_definition_unknown": Case(
                    400,
                    "unknown_coupon_definition",
                    set={("action",): {"kind": "grant_coupon", "definition_id": "cd-nope"}},
                ),
                "notify_without_body": Case(
                    400, "invalid_request", set={("action",): {"kind": "notify", "title": "t"}}
                ),
                "survey_one_choice": Case(400, "invalid_request", set={("action",): {**survey, "choices": ["fees"]}}),
                "survey_choices_twice": Case(
                    400, "duplicate_choices", set={("action",): {**survey, "choices": ["fees", "fees"]}}
                ),
                "survey_eleven_choices": Case(
                    400, "invalid_request", set={("action",): {**survey, "choices": [f"c{i}" for i in range(11)]}}
                ),
            }
        )
    if route == "backtest":
        rules, coupon, effect = ("balance_rules",), ("coupon_definition",), ("promotion", "effect")
        cases.update(
            {
                "days_zero": Case(400, "invalid_request", set={("days",): 0}),
                "days_91": Case(400, "invalid_request", set={("days",): 91}),
                "days_float": Case(400, "invalid_request", set={("days",): 7.0}),
                "rules_min_order_negative": Case(400, "invalid_amount", set={(*rules, "min_order_amount"): -1}),
                "rules_discount_above_90": Case(
                    400, "invalid_request", set={(*rules, "balance_pay_discount", "percent"): 91}
                ),
                "rules_in_windows_without_windows": Case(
                    400, "invalid_request", set={(*rules, "partial_pay"): {"allowed": "in_windows"}}
                ),
                "rules_timezone_unknown": Case(
                    400, "invalid_timezone", set={(*rules, "timezone"): "Mars/Olympus_Mons"}
                ),
                "rules_unknown_field": Case(400, "invalid_request", set={(*rules, "max_discount"): 5}),
                "coupon_value_float": Case(400, "invalid_amount", set={(*coupon, "value"): 10.5}),
                "coupon_percent_above_100": Case(
                    400, "invalid_request", set={(*coupon, "kind"): "percent_off", (*coupon, "value"): 150}
                ),
                "coupon_valid_to_before_valid_from": Case(
                    400, "invalid_request", set={(*coupon, "valid_to"): "2025-01-01T00:00:00Z"}
                ),
                "coupon_of_another_merchant": Case(
                    400, "coupon_for_another_merchant", set={(*coupon, "merchant_id"): "m-e2e"}
                ),
                "promotion_percent_above_50": Case(400, "invalid_request", set={(*effect, "percent"): 51}),
                "promotion_kind_unknown": Case(400, "invalid_request", set={(*effect, "kind"): "buy_one_get_one"}),
                "promotion_factor_one": Case(
                    400, "invalid_factor", set={effect: {"kind": "points_multiplier", "factor": "1"}}
                ),
                "promotion_grant_coupon": Case(
                    400,
                    "invalid_request",
                    set={
                        effect: {
                            "kind": "grant_coupon",
                            "definition_id": "cd-bad-input",
                            "audience": "all_balance_payers",
                        }
                    },
                ),
            }
        )
    if route == "segmentation":
        as_of = lambda value: {("as_of",): value}
        cases.update(
            {
                "as_of_in_future": Case(400, "as_of_in_future", set=as_of(_in(days=2)[:10])),
                "as_of_too_old": Case(400, "as_of_too_old", set=as_of(_in(days=-400)[:10])),
                "as_of_not_a_day": Case(400, "invalid_request", set=as_of("yesterday")),
                "as_of_a_time": Case(400, "invalid_request", set=as_of(_in(days=0))),
                "as_of_not_in_the_calendar": Case(400, "invalid_date", set=as_of("2026-02-30")),
                "as_of_number": Case(400, "invalid_request", set=as_of(20261201)),
            }
        )
    if r.idempotent:
        cases.update(
            {
                "idempotency_key_missing": Case(400, "missing_idempotency_key", key=None),
                "idempotency_key_too_long": Case(400, "invalid_idempotency_key", key="k" * 256),
                "idempotency_key_empty": Case(400, "invalid_idempotency_key", key=""),
                "idempotency_key_with_space": Case(400, "invalid_idempotency_key", key="two words"),
            }
        )
    return cases


CASES = {
    (route, name): case for route in ROUTES for name, case in {**amount_cases(route), **shape_cases(route)}.items()
}


def check_the_table_covers_every_money_route_with_every_kind_of_bad_input() -> None:
    kinds = (
        "amount_float_12.5",
        "amount_float_100.0",
        "amount_string",
        "amount_true",
        "amount_null",
        "amount_10**30",
        "amount_missing",
        "unknown_field",
        "bad_json",
        "json_array",
        "empty_body",
        "text_plain",
    )
    for route in ROUTES:
        for kind in kinds:
            if kind.startswith("amount") and ROUTES[route].amount is None:
                continue
            if (route, kind) in (
                ("rules", "amount_missing"),
                ("capture", "amount_missing"),
                ("capture", "amount_null"),
                ("promotion", "amount_missing"),
                ("promotion", "amount_null"),
            ):  # defaults
                continue
            assert (route, kind) in CASES, (route, kind)
    for route in ("topup", "checkout", "refund", "webhook"):
        assert (route, "amount_negative") in CASES and (route, "amount_zero") in CASES
    for route in ("topup", "checkout", "refund", "adjustment"):
        assert CASES[(route, "amount_above_limit")].code == "amount_exceeds_limit"
        assert (route, "idempotency_key_missing") in CASES and (route, "idempotency_key_too_long") in CASES


# ---- building and sending a case -------------------------------------------------------------


def _set(body: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        body = body[step]
    if value is MISSING:
        body.pop(path[-1], None)
    else:
        body[path[-1]] = value


def route_name(route: Route) -> str:
    return next(name for name, r in ROUTES.items() if r is route)


def render(route: Route, case: Case, w: World) -> bytes:
    body = copy.deepcopy(route.body(w))
    if case.amount is not MISSING:
        assert route.amount is not None
        _set(body, route.amount, case.amount)
    for path, value in case.set.items():
        _set(body, path, value)
    if case.raw is None:
        return json.dumps(body).encode()
    if case.raw == b"@array@":
        return json.dumps([body]).encode()
    if case.raw == b"@text@":
        body[TEXT_FIELD[route_name(route)]] = "MARKER"
        return json.dumps(body).encode().replace(b"MARKER", b"refund \\ud800 half a character")
    if case.raw.startswith(b"@amount@"):  # the valid body with the amount as these literal JSON bytes
        marker = 987654321
        _set(body, route.amount, marker)
        return json.dumps(body).encode().replace(str(marker).encode(), case.raw[len(b"@amount@") :])
    return case.raw


def send(api, route: Route, case: Case, w: World, raw: bytes, path: str | None = None):
    headers: dict[str, str] = {}
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    if route.caller == "provider":
        headers["X-Signature"] = api.sign(raw)  # a valid signature of the bad body
    else:
        user = {"customer": w.customer, "admin": w.admin, "service": w.service}[route.caller]
        headers["Authorization"] = f"Bearer {user.token}"
    if route.idempotent:
        if case.key == "fresh":
            headers["Idempotency-Key"] = f"bad-{uuid.uuid4()}"
        elif case.key is not None:
            headers["Idempotency-Key"] = case.key
    return api.http.request(route.method, api.url + (path or route.path(w)), data=raw, headers=headers, timeout=30)


def state(api, w: World) -> dict[str, Any]:
    wallet = api.get("/v1/wallet", w.customer).json()
    payment = api.get(f"/v1/payments/{w.payment_id}", w.admin).json()
    topup = api.get(f"/v1/topups/{w.pending_topup_id}", w.customer).json()
    return {"wallet": wallet, "refundable": payment["refundable"], "topup_status": topup["status"]}


# ---- running the table -----------------------------------------------------------------------


def check_the_valid_requests_are_valid(api, world: World) -> None:
    """Control: every route's base request is accepted as is (sent to a throwaway target where it moves money)."""
    for name, route in ROUTES.items():
        if name == "webhook":  # settling the module's pending top-up would change the world: use another one
            other = api.post("/v1/topups", world.customer, {"amount": 10, "channel": "card"}, key=str(uuid.uuid4()))
            body = {**route.body(world), "topup_id": other.json()["topup_id"], "amount": 10}
            raw = json.dumps(body).encode()
            r = api.http.post(
                api.url + route.path(world),
                data=raw,
                timeout=30,
                headers={"Content-Type": "application/json", "X-Signature": api.sign(raw)},
            )
        else:
            raw = render(route, Case(0, ""), world)
            r = send(api, route, Case(0, ""), world, raw)
        assert r.status_code in (200, 201, 202), (name, r.text)
        if name == "backtest":  # queued: it runs behind the cases' backs, and its item would change under them
            backtest_settled(api, f"{route.path(world)}/{r.json()['backtest_id']}", world.admin)
        if name == "segmentation":  # likewise, and a run recomputes every profile on the stack
            segmentation_settled(api, r.json()["run_id"], world.admin)


def check_case(api, table, world: World, route_name: str, case_name: str) -> None:
    """One case: refused with its status and code, in the envelope; the wallet, the payment, the top-up and
    the table as they were."""
    route, case = ROUTES[route_name], CASES[(route_name, case_name)]
    raw = render(route, case, world)
    path = route.path(world)  # before the snapshot: a capture's path names a fresh authorization
    before = table.unless_written(state, api, world)
    items_before = table.snapshot()

    r = send(api, route, case, world, raw, path)

    assert 400 <= r.status_code < 500, (
        f"{route.method} {path} {raw[:160]!r} ({len(raw)} bytes): {r.status_code} {r.text}"
    )
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["details"], dict), error
    assert (r.status_code, error["code"]) in case.answers, (
        f"{route.method} {path} {raw[:160]!r} ({len(raw)} bytes): {r.status_code} {r.text}"
    )

    items_after = table.snapshot()
    if table.may_have_changed(items_before, items_after):
        assert state(api, world) == before
    assert_nothing_written(items_before, items_after, "a refused request wrote to the table")


# ---- the inbox's and the reports' routes: bad query strings and ids -----------------------------------------


def _cursor(value: object) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps({"before": value}).encode()).decode().rstrip("=")


INBOX_CASES: dict[str, tuple[str, str, dict[str, str], int, str]] = {
    # name: (method, path, query, status, code)
    "limit_zero": ("GET", "/v1/notifications", {"limit": "0"}, 400, "invalid_request"),
    "limit_101": ("GET", "/v1/notifications", {"limit": "101"}, 400, "invalid_request"),
    "limit_word": ("GET", "/v1/notifications", {"limit": "ten"}, 400, "invalid_request"),
    "limit_float": ("GET", "/v1/notifications", {"limit": "1.5"}, 400, "invalid_request"),
    "unread_maybe": ("GET", "/v1/notifications", {"unread": "maybe"}, 400, "invalid_request"),
    "unknown_parameter": ("GET", "/v1/notifications", {"user_id": "someone-else"}, 400, "invalid_request"),
    "cursor_garbage": ("GET", "/v1/notifications", {"cursor": "not a cursor!"}, 400, "invalid_cursor"),
    "cursor_of_entries": ("GET", "/v1/notifications", {"cursor": _cursor(5)}, 400, "invalid_cursor"),
    "cursor_forged_key": ("GET", "/v1/notifications", {"cursor": _cursor("E#000000000001")}, 400, "invalid_cursor"),
    "cursor_too_long": ("GET", "/v1/notifications", {"cursor": "a" * 201}, 400, "invalid_request"),
    "read_id_unknown": (
        "POST",
        "/v1/notifications/ntf_000000000000aaaaaaaaaaaaaaaa/read",
        {},
        404,
        "notification_not_found",
    ),
    "read_id_not_an_id": ("POST", "/v1/notifications/N%23ntf_1/read", {}, 404, "notification_not_found"),
    "read_id_of_another_kind": ("POST", "/v1/notifications/WALLET/read", {}, 404, "notification_not_found"),
    "backtest_id_not_an_id": (
        "GET",
        f"/v1/merchants/{RULES_MERCHANT}/backtests/BT%23bt_1",
        {},
        404,
        "backtest_not_found",
    ),
    # a campaign's and a survey's ids: unknown, or not an id at all (an answer's body is valid: INBOX_BODIES)
    "campaign_id_unknown": (
        "GET",
        "/v1/admin/campaigns/cmp_000000000000aaaaaaaaaaaaaaaa",
        {},
        404,
        "campaign_not_found",
    ),
    "campaign_id_not_an_id": ("GET", "/v1/admin/campaigns/C%23cmp_1", {}, 404, "campaign_not_found"),
    "campaign_cancel_unknown": (
        "DELETE",
        "/v1/admin/campaigns/cmp_000000000000aaaaaaaaaaaaaaaa",
        {},
        404,
        "campaign_not_found",
    ),
    "campaign_measure_not_an_id": ("POST", "/v1/admin/campaigns/C%23cmp_1/measurements", {}, 404, "campaign_not_found"),
    "survey_id_unknown": ("POST", "/v1/surveys/cmp_000000000000aaaaaaaaaaaaaaaa/answers", {}, 404, "survey_not_found"),
    "survey_id_not_an_id": ("POST", "/v1/surveys/C%23cmp_1/answers", {}, 404, "survey_not_found"),
    "survey_answer_without_choice": (
        "POST",
        "/v1/surveys/cmp_000000000000aaaaaaaaaaaaaaaa/answers",
        {},
        400,
        "invalid_request",
    ),
    "survey_answer_comment_too_long": (
        "POST",
        "/v1/surveys/cmp_000000000000aaaaaaaaaaaaaaaa/answers",
        {},
        400,
        "invalid_request",
    ),
    "survey_answer_unknown_field": (
        "POST",
        "/v1/surveys/cmp_000000000000aaaaaaaaaaaaaaaa/answers",
        {},
        400,
        "invalid_request",
    ),
    # the hosted checkout's return_url ({checkout_id}: the world's open checkout of the customer's; its merchant
    # registered no return origin, so no URL is allowed)
    "return_url_foreign": (
        "GET",
        "/v1/checkouts/{checkout_id}",
        {"return_url": "https://evil.example/"},
        422,
        "return_url_not_allowed",
    ),
    "return_url_javascript": (
        "GET",
        "/v1/checkouts/{checkout_id}",
        {"return_url": "javascript:alert(1)"},
        422,
        "return_url_not_allowed",
    ),
    "return_url_empty": ("GET", "/v1/checkouts/{checkout_id}", {"return_url": ""}, 400, "invalid_request"),
    "return_url_too_long": (
        "GET",
        "/v1/checkouts/{checkout_id}",
        {"return_url": "https://evil.example/" + "a" * 2048},
        400,
        "invalid_request",
    ),
    "checkout_unknown_parameter": (
        "GET",
        "/v1/checkouts/{checkout_id}",
        {"user_id": "someone-else"},
        400,
        "invalid_request",
    ),
}

# the body a case sends (a case not named here sends none); each but the named bad one is valid
_ANSWER = {"choice": "yes", "comment": "fine"}
INBOX_BODIES: dict[str, dict[str, Any]] = {
    "survey_id_unknown": _ANSWER,
    "survey_id_not_an_id": _ANSWER,
    "survey_answer_without_choice": {"comment": "fine"},
    "survey_answer_comment_too_long": {**_ANSWER, "comment": "c" * 2001},
    "survey_answer_unknown_field": {**_ANSWER, "user_id": "someone-else"},
}

# the reports' periods and merchant (an admin's requests: check_inbox_case sends /v1/admin/ paths as the admin)
PERIOD_CASES: dict[str, tuple[dict[str, str], str]] = {
    "from_not_in_the_calendar": ({"from": "2026-02-30"}, "invalid_date"),
    "from_before_2000": ({"from": "1999-12-31", "to": "2000-01-05"}, "invalid_date"),
    "to_not_a_day": ({"to": "yesterday"}, "invalid_request"),
    "from_a_time": ({"from": "2026-03-01T00:00:00Z"}, "invalid_request"),
    "from_after_to": ({"from": "2026-03-02", "to": "2026-03-01"}, "invalid_date_range"),
    "period_367_days": ({"from": "2025-01-01", "to": "2026-01-02"}, "invalid_date_range"),
    "unknown_parameter": ({"days": "3"}, "invalid_request"),
}
MERCHANT_CASES: dict[str, tuple[dict[str, str], str]] = {
    "merchant_id_bad_chars": ({"merchant_id": "m e2e/1"}, "invalid_request"),
    "merchant_id_too_long": ({"merchant_id": "m" * 65}, "invalid_request"),
    "merchant_id_empty": ({"merchant_id": ""}, "invalid_request"),
}


def _unsubscribe_cases() -> dict[str, tuple[str, str, dict[str, str], int, str]]:
    """The unsubscribe link's token (no login: the token is the only key): forged, garbled, missing (an expired
    one needs the stack's key: tests/e2e/test_unsubscribe.py)."""
    from datetime import datetime, timezone

    from chalicelib.services.marketing import sign_token

    forged = sign_token("a-key-no-stack-has", "bad-input-customer", datetime.now(timezone.utc))
    cases = {}
    for method in ("GET", "POST"):
        for name, query, code in (
            ("forged", {"token": forged}, "invalid_unsubscribe_token"),
            ("mac_cut_short", {"token": forged[:-3]}, "invalid_unsubscribe_token"),
            ("garbled", {"token": "not-a-token"}, "invalid_unsubscribe_token"),
            ("token_missing", {}, "invalid_request"),
            ("token_empty", {"token": ""}, "invalid_request"),
            ("token_too_long", {"token": "a" * 513}, "invalid_request"),
            ("unknown_parameter", {"token": forged, "user_id": "someone-else"}, "invalid_request"),
        ):
            cases[f"unsubscribe_{method.lower()}_{name}"] = (method, "/v1/unsubscribe", query, 400, code)
    return cases


INBOX_CASES.update(_unsubscribe_cases())

for _report in ("breakage", "balance-share", "segments", "feedback"):
    for _name, (_query, _code) in {**PERIOD_CASES, **(MERCHANT_CASES if _report == "balance-share" else {})}.items():
        INBOX_CASES[f"report_{_report}_{_name}"] = ("GET", f"/v1/admin/reports/{_report}", _query, 400, _code)


def check_inbox_case(api, table, world: World, case_name: str) -> None:
    method, path, query, status, code = INBOX_CASES[case_name]
    path = path.replace("{checkout_id}", world.checkout_id)
    before = table.unless_written(state, api, world)
    items_before = table.snapshot()

    caller = world.admin if path.startswith("/v1/admin/") else world.customer
    r = api.request(method, path, caller, INBOX_BODIES.get(case_name), params=query)

    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
    assert set(r.json()["error"]) == {"code", "message", "details"}
    items_after = table.snapshot()
    if table.may_have_changed(items_before, items_after):
        assert state(api, world) == before
    assert_nothing_written(items_before, items_after, "a refused request wrote to the table")
