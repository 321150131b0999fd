"""The pricing function, rule by rule: what balance pays, what is left, which limits bound, why a payment is refused."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chalicelib.domain.checkout import Checkout, Line
from chalicelib.domain.money import Lots
from chalicelib.domain.points import PointsPolicy
from chalicelib.domain.pricing import Funds, PayOptions, PricingPolicy, price
from chalicelib.domain.rules import BalanceRules

ORDER = ("bonus", "cash")
POLICY = PricingPolicy(spend_order=ORDER, points=PointsPolicy())
# 2026-11-25 is a Wednesday; 02:30 UTC is 10:30 in Shanghai
WED_1030_SH = datetime(2026, 11, 25, 2, 30, tzinfo=timezone.utc)


def checkout(*lines: tuple[str, str, int, int]) -> Checkout:
    return Checkout(
        "chk_1",
        "m1",
        "o1",
        "u1",
        tuple(Line(*line) for line in lines),
        "open",
        "2026-11-25T00:00:00.000Z",
        "2026-11-25T03:00:00.000Z",
    )


def rules(**doc) -> BalanceRules:
    return BalanceRules.from_view("m1", doc, version=3, updated_at=None)


BOOK = ("book", "books", 1000, 1)
WINE = ("wine", "alcohol", 3000, 1)
WINDOW = {"allowed": "in_windows", "windows": [{"days": ["wed"], "from": "10:00", "to": "14:00"}]}

# name: (lines, rules doc, wallet total, spent today, allow_partial, now) -> expected fields
SCENARIOS = {
    "plain: balance covers it": (
        [BOOK],
        {},
        5000,
        0,
        False,
        WED_1030_SH,
        {"amount": 1000, "balance": 1000, "external": 0, "discount": 0, "limits": [], "refusal": None},
    ),
    "short balance, no partial: insufficient_balance": (
        [BOOK],
        {},
        400,
        0,
        False,
        WED_1030_SH,
        {"balance": 400, "external": 600, "limits": ["insufficient_balance"], "refusal": "insufficient_balance"},
    ),
    "short balance, partial allowed and asked: an authorization": (
        [BOOK],
        {},
        400,
        0,
        True,
        WED_1030_SH,
        {"balance": 400, "external": 600, "status": "authorized", "refusal": None},
    ),
    "excluded category mixed with allowed ones": (
        [BOOK, WINE],
        {"excluded_categories": ["alcohol"]},
        9000,
        0,
        False,
        WED_1030_SH,
        {
            "amount": 4000,
            "eligible_amount": 1000,
            "balance": 1000,
            "external": 3000,
            "limits": ["excluded_items"],
            "refusal": "excluded_items",
        },
    ),
    "excluded sku": (
        [BOOK, WINE],
        {"excluded_skus": ["book"]},
        9000,
        0,
        False,
        WED_1030_SH,
        {"eligible_amount": 3000, "external": 1000, "refusal": "excluded_items"},
    ),
    "minimum exactly at the threshold: met": (
        [BOOK],
        {"min_order_amount": 1000},
        5000,
        0,
        False,
        WED_1030_SH,
        {"balance": 1000, "limits": [], "refusal": None},
    ),
    "minimum one fen above: not met, balance pays nothing": (
        [BOOK],
        {"min_order_amount": 1001},
        5000,
        0,
        True,
        WED_1030_SH,
        {"balance": 0, "external": 1000, "limits": ["min_order_not_met"], "refusal": "min_order_not_met"},
    ),
    "minimum counts eligible lines only": (
        [BOOK, WINE],
        {"min_order_amount": 2000, "excluded_categories": ["alcohol"]},
        9000,
        0,
        True,
        WED_1030_SH,
        {
            "eligible_amount": 1000,
            "balance": 0,
            "limits": ["excluded_items", "min_order_not_met"],
            "refusal": "min_order_not_met",
        },
    ),
    "discount: 5 % of what balance pays for, rounded down": (
        [("tea", "food", 999, 1)],
        {"balance_pay_discount": {"percent": 5, "max_amount": None}},
        5000,
        0,
        False,
        WED_1030_SH,
        {"discount": 49, "balance": 950, "external": 0, "refusal": None},
    ),
    "discount capped": (
        [("tv", "electronics", 100000, 1)],
        {"balance_pay_discount": {"percent": 10, "max_amount": 500}},
        200000,
        0,
        False,
        WED_1030_SH,
        {"discount": 500, "balance": 99500, "refusal": None},
    ),
    "discount lets a wallet 5 % short still pay in full": (
        [("tea", "food", 1000, 1)],
        {"balance_pay_discount": {"percent": 5, "max_amount": None}},
        950,
        0,
        False,
        WED_1030_SH,
        {"discount": 50, "balance": 950, "external": 0, "refusal": None},
    ),
    "daily limit: the second payment of the day is capped": (
        [BOOK],
        {"daily_limit": 1500},
        5000,
        1000,
        False,
        WED_1030_SH,
        {"balance": 500, "external": 500, "limits": ["daily_limit"], "refusal": "daily_limit_exceeded"},
    ),
    "daily limit reached: nothing left today, even with partial": (
        [BOOK],
        {"daily_limit": 1500},
        5000,
        1500,
        True,
        WED_1030_SH,
        {"balance": 0, "refusal": "daily_limit_exceeded"},
    ),
    "never partial: refused even when asked": (
        [BOOK],
        {"partial_pay": {"allowed": "never"}},
        400,
        0,
        True,
        WED_1030_SH,
        {"limits": ["insufficient_balance", "partial_payment_not_allowed"], "refusal": "partial_payment_not_allowed"},
    ),
    "inside the window (local time): partial allowed": (
        [BOOK],
        {"partial_pay": WINDOW},
        400,
        0,
        True,
        WED_1030_SH,
        {"limits": ["insufficient_balance"], "status": "authorized", "refusal": None},
    ),
    "outside the window: the same payment is not": (
        [BOOK],
        {"partial_pay": WINDOW},
        400,
        0,
        True,
        datetime(2026, 11, 25, 7, 0, tzinfo=timezone.utc),
        {"limits": ["insufficient_balance", "partial_payment_not_allowed"], "refusal": "partial_payment_not_allowed"},
    ),
    "a window's time zone is the merchant's: 10:30 in Berlin is outside a Shanghai-hours window": (
        [BOOK],
        {"partial_pay": WINDOW, "timezone": "Europe/Berlin"},
        400,
        0,
        True,
        WED_1030_SH,
        {"refusal": "partial_payment_not_allowed"},
    ),
    "share cap inside a window": (
        [BOOK],
        {"partial_pay": {**WINDOW, "max_share_percent": 30}},
        800,
        0,
        True,
        WED_1030_SH,
        {"balance": 300, "external": 700, "limits": ["insufficient_balance", "partial_share_capped"]},
    ),
    "a full payment is not partial, so not capped": (
        [BOOK],
        {"partial_pay": {**WINDOW, "max_share_percent": 30}},
        5000,
        0,
        False,
        WED_1030_SH,
        {"balance": 1000, "external": 0, "limits": [], "refusal": None},
    ),
}

# points: (lines, rules doc, wallet, points available, points asked, allow_partial) -> expected
POINT_SCENARIOS = {
    "points pay first, balance the rest, and balance earns": (
        [BOOK],
        {},
        5000,
        300,
        300,
        False,
        {"points": 300, "points_value": 300, "balance": 700, "external": 0, "points_to_earn": 7, "refusal": None},
    ),
    "points pay at most half an order": (
        [BOOK],
        {},
        5000,
        900,
        900,
        False,
        {"points": 500, "balance": 500, "limits": ["points_capped"], "refusal": None},
    ),
    "more points asked than available": ([BOOK], {}, 5000, 100, 300, False, {"refusal": "insufficient_points"}),
    "points never pay excluded lines": (
        [BOOK, WINE],
        {"excluded_categories": ["alcohol"]},
        0,
        5000,
        2000,
        True,
        {
            "points": 1000,
            "balance": 0,
            "external": 3000,
            "limits": ["excluded_items", "points_capped"],
            "status": "authorized",
            "refusal": None,
        },
    ),
    "below the minimum, points pay nothing either": (
        [BOOK],
        {"min_order_amount": 2000},
        5000,
        500,
        500,
        True,
        {"points": 0, "balance": 0, "refusal": "min_order_not_met"},
    ),
    "points and balance together short: partial": (
        [BOOK],
        {},
        200,
        300,
        300,
        True,
        {"points": 300, "balance": 200, "external": 500, "status": "authorized", "refusal": None},
    ),
    "the balance discount is on what balance pays, not on points": (
        [BOOK],
        {"balance_pay_discount": {"percent": 10, "max_amount": None}},
        5000,
        500,
        500,
        False,
        {"points": 500, "discount": 50, "balance": 450, "external": 0},
    ),
}


@pytest.mark.parametrize("name", list(POINT_SCENARIOS))
def test_points_scenarios(name):
    lines, doc, wallet, available, asked, allow_partial, expected = POINT_SCENARIOS[name]
    q = price(
        checkout(*lines),
        rules(**doc),
        Funds(Lots(cash=wallet), 0, available),
        WED_1030_SH,
        PayOptions(allow_partial=allow_partial, points=asked),
        POLICY,
    )
    got = {
        "points": q.points,
        "points_value": q.points_value,
        "balance": q.balance,
        "external": q.external,
        "discount": q.discount,
        "status": q.status,
        "points_to_earn": q.points_to_earn,
        "limits": [lim.code for lim in q.limits],
        "refusal": q.refusal.code if q.refusal else None,
    }
    assert {k: got[k] for k in expected} == expected
    assert q.points_value + q.covered + q.external == q.amount and q.points <= available


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_pricing_scenarios(name):
    lines, doc, wallet, spent, allow_partial, now, expected = SCENARIOS[name]
    q = price(
        checkout(*lines),
        rules(**doc),
        Funds(Lots(cash=wallet), spent),
        now,
        PayOptions(allow_partial=allow_partial),
        POLICY,
    )
    got = {
        "amount": q.amount,
        "eligible_amount": q.eligible_amount,
        "balance": q.balance,
        "external": q.external,
        "discount": q.discount,
        "status": q.status,
        "limits": [lim.code for lim in q.limits],
        "refusal": q.refusal.code if q.refusal else None,
    }
    assert {k: got[k] for k in expected} == expected
    # whatever the rules: the parts add up, and balance never pays more than the wallet holds
    assert q.covered + q.external == q.amount and q.balance + q.discount == q.covered
    assert 0 <= q.balance <= wallet and q.funded_by.total == q.balance


@pytest.mark.parametrize("utc_hour, local_day", [(15, "2026-11-25"), (16, "2026-11-26")])
def test_the_day_turns_at_local_midnight(utc_hour, local_day):
    """Shanghai is UTC+8: 15:59 UTC is still the 25th there, 16:00 UTC is the 26th."""
    now = datetime(2026, 11, 25, utc_hour, 59 if utc_hour == 15 else 0, tzinfo=timezone.utc)
    assert price(checkout(BOOK), rules(), Funds(Lots(cash=5000)), now, PayOptions(), POLICY).local_day == local_day


def test_a_window_across_midnight_holds_the_early_hours_of_the_next_day():
    doc = {"partial_pay": {"allowed": "in_windows", "windows": [{"days": ["wed"], "from": "22:00", "to": "02:00"}]}}
    r = rules(**doc)
    tz = r.local(WED_1030_SH).tzinfo  # Asia/Shanghai; 2026-11-25 is a Wednesday
    assert r.partial_pay.allowed_at(datetime(2026, 11, 25, 23, 0, tzinfo=tz))
    assert r.partial_pay.allowed_at(datetime(2026, 11, 26, 1, 30, tzinfo=tz))  # Thursday's early hours
    assert not r.partial_pay.allowed_at(datetime(2026, 11, 26, 2, 0, tzinfo=tz))
    assert not r.partial_pay.allowed_at(datetime(2026, 11, 25, 1, 30, tzinfo=tz))  # Tuesday's window is not set


def test_bonus_is_spent_first_and_the_wallet_split_matches_what_balance_pays():
    q = price(
        checkout(BOOK),
        rules(balance_pay_discount={"percent": 10, "max_amount": None}),
        Funds(Lots(cash=5000, bonus=300)),
        WED_1030_SH,
        PayOptions(),
        POLICY,
    )
    assert q.balance == 900 and q.funded_by == Lots(cash=600, bonus=300)
