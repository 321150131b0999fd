"""Promotions in the pricing function: only inside their window, the best of each kind, stacked with the
merchant's and the tier's discounts within the cap; the points factor; who is in a grant's audience."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.checkout import Checkout, Line
from chalicelib.domain.moments import format_time
from chalicelib.domain.money import Lots
from chalicelib.domain.points import PointsPolicy
from chalicelib.domain.pricing import Funds, PayOptions, PricingPolicy, price
from chalicelib.domain.promotions import Effect, Promotion, factor_percent, factor_text, in_audience
from chalicelib.domain.rules import BalanceRules
from chalicelib.domain.tiers import Tier

POLICY = PricingPolicy(spend_order=("bonus", "cash"), points=PointsPolicy())
NOW = datetime(2026, 11, 25, 2, 30, tzinfo=timezone.utc)
BOOK = Line("book", "books", 10000, 1)  # ¥100


def checkout(merchant: str = "m1", *lines: Line) -> Checkout:
    return Checkout(
        "chk_1", merchant, "o1", "u1", lines or (BOOK,), "open", "2026-11-25T00:00:00.000Z", "2026-11-25T03:00:00.000Z"
    )


def promo(
    pid: str,
    effect: Effect,
    merchant: str | None = None,
    status: str = "active",
    start: timedelta = timedelta(hours=-1),
    end: timedelta = timedelta(hours=1),
) -> Promotion:
    return Promotion(
        pid,
        pid,
        merchant,
        format_time(NOW + start),
        format_time(NOW + end),
        effect,
        status,
        format_time(NOW - timedelta(days=1)),
        "admin",
    )


def discount(percent: int, max_amount: int | None = None) -> Effect:
    return Effect("extra_balance_discount", percent=percent, max_amount=max_amount)


def points(factor: str) -> Effect:
    return Effect("points_multiplier", factor_percent=factor_percent(factor))


def quote(promotions, rules_doc=None, wallet=100000, tier=None, merchant="m1", now=NOW):
    rules = BalanceRules.from_view("m1", rules_doc or {}, version=1, updated_at=None)
    return price(checkout(merchant), rules, Funds(Lots(cash=wallet), tier=tier), now, PayOptions(), POLICY, promotions)


def test_a_live_promotion_takes_its_percent_off_what_balance_pays_and_names_itself():
    q = quote([promo("prm_a", discount(10))])
    assert q.promotion_discount == 1000 and q.balance == 9000 and q.promotion_id == "prm_a"
    assert {"source": "promotion", "amount": 1000, "promotion_id": "prm_a"} in q.discounts
    assert q.discount_total == 1000 and q.as_view()["promotions"][0]["promotion_id"] == "prm_a"


@pytest.mark.parametrize(
    "start, end, status, applies",
    [
        (timedelta(seconds=1), timedelta(hours=1), "scheduled", False),  # not started yet
        (timedelta(0), timedelta(hours=1), "scheduled", True),  # starts_at itself is inside (its start not fired yet)
        (timedelta(hours=-1), timedelta(0), "active", False),  # ends_at itself is outside (its end not fired yet)
        (timedelta(hours=-1), timedelta(hours=1), "cancelled", False),
        (timedelta(hours=-1), timedelta(hours=1), "pending", False),  # its schedules are not all made
        (timedelta(hours=-1), timedelta(hours=1), "ended", False),
    ],
)
def test_the_window_and_the_status_decide_not_the_schedules(start, end, status, applies):
    q = quote([promo("prm_a", discount(10), status=status, start=start, end=end)])
    assert (q.promotion_discount == 1000) is applies
    assert q.balance == (9000 if applies else 10000)


def test_another_merchants_promotion_does_not_apply_and_a_platform_wide_one_does():
    assert quote([promo("prm_a", discount(10), merchant="m2")]).promotion_discount == 0
    assert quote([promo("prm_a", discount(10), merchant="m1")]).promotion_discount == 1000
    assert quote([promo("prm_a", discount(10), merchant=None)], merchant="m9").promotion_discount == 1000


def test_of_overlapping_discounts_the_best_for_this_order_applies_alone():
    # 20 % capped at ¥5 vs 10 % uncapped: on ¥100 the 10 % gives more
    q = quote([promo("prm_a", discount(20, 500)), promo("prm_b", discount(10))])
    assert q.promotion_discount == 1000 and q.promotion_id == "prm_b" and q.balance == 9000
    # the same on ¥20 (a smaller order): the 20 % is the better one
    small = price(
        checkout("m1", Line("pen", "office", 2000, 1)),
        BalanceRules(merchant_id="m1"),
        Funds(Lots(cash=100000)),
        NOW,
        PayOptions(),
        POLICY,
        [promo("prm_a", discount(20, 500)), promo("prm_b", discount(10))],
    )
    assert small.promotion_discount == 400 and small.promotion_id == "prm_a"


def test_equal_discounts_go_to_the_earliest_start():
    q = quote(
        [
            promo("prm_late", discount(10), start=timedelta(minutes=-5)),
            promo("prm_early", discount(10), start=timedelta(minutes=-50)),
        ]
    )
    assert q.promotion_id == "prm_early"


def test_it_adds_to_the_merchants_and_the_tiers_discounts_each_on_what_balance_covers():
    gold = Tier("gold", 0, 100, 5)
    q = quote([promo("prm_a", discount(10))], {"balance_pay_discount": {"percent": 5, "max_amount": None}}, tier=gold)
    assert (q.discount, q.tier_discount, q.promotion_discount) == (500, 500, 1000)
    assert q.balance == 8000 and q.discount_total == 2000


def test_all_balance_discounts_together_stay_within_90_percent():
    gold = Tier("gold", 0, 100, 50)
    q = quote([promo("prm_a", discount(50))], {"balance_pay_discount": {"percent": 30, "max_amount": None}}, tier=gold)
    assert (q.discount, q.tier_discount) == (3000, 5000)
    assert q.promotion_discount == 1000  # lowered from 5000: 9000 in all
    assert q.balance == 1000 and q.balance + q.discount + q.tier_discount + q.promotion_discount == q.covered


def test_the_merchants_and_the_tiers_discounts_never_make_balance_pay_less_than_nothing():
    # 90 % from the merchant and 50 % from the tier were 140 % of what balance covers: a negative payment
    q = quote([], {"balance_pay_discount": {"percent": 90, "max_amount": None}}, tier=Tier("gold", 0, 100, 50))
    assert (q.discount, q.tier_discount, q.balance) == (9000, 0, 1000)
    q = quote([], {"balance_pay_discount": {"percent": 60, "max_amount": None}}, tier=Tier("gold", 0, 100, 50))
    assert (q.discount, q.tier_discount, q.balance) == (6000, 3000, 1000)


def test_the_discount_lets_a_short_wallet_pay_in_full_as_the_merchants_does():
    q = quote([promo("prm_a", discount(10))], wallet=9000)
    assert q.external == 0 and q.balance == 9000 and q.refusal is None


def test_the_points_factor_multiplies_the_tiers_multiplier_rounded_down_once():
    silver = Tier("silver", 0, 125, 0)
    q = quote([promo("prm_p", points("1.5"))], tier=silver)
    assert q.points_to_earn == 187 and q.points_promotion_id == "prm_p"  # 100 x 1.25 x 1.5 = 187.5
    odd = price(
        checkout("m1", Line("pen", "office", 300, 1)),
        BalanceRules(merchant_id="m1"),
        Funds(Lots(cash=100000), tier=Tier("t", 0, 133, 0)),
        NOW,
        PayOptions(),
        POLICY,
        [promo("prm_p", points("1.5"))],
    )
    # 3 x 1.33 x 1.5 = 5.985 -> 5; rounding after each step would give 3 x 1.33 -> 3, x 1.5 -> 4
    assert odd.points_to_earn == 5


def test_of_overlapping_factors_the_largest_applies_and_it_is_shown():
    q = quote([promo("prm_p", points("1.5")), promo("prm_q", points("2")), promo("prm_d", discount(10))])
    assert q.points_factor_percent == 200 and q.points_to_earn == 180  # on the ¥90 balance pays
    kinds = {p["kind"]: p for p in q.as_view()["promotions"]}
    assert kinds["points_multiplier"] == {
        "promotion_id": "prm_q",
        "kind": "points_multiplier",
        "amount": None,
        "factor": "2",
    }
    assert kinds["extra_balance_discount"]["amount"] == 1000


def test_without_promotions_nothing_changes():
    q = quote([])
    assert q.balance == 10000 and q.points_to_earn == 100 and q.as_view()["promotions"] == []


@pytest.mark.parametrize(
    "text, percent",
    [
        ("1.5", 150),
        ("2", 200),
        ("1.05", 105),
        ("10", 1000),
        ("10.0", 1000),
        ("1", None),
        ("0.5", None),
        ("10.01", None),
        ("1.234", None),
        ("abc", None),
        ("01.5", None),
    ],
)
def test_a_factor_is_a_decimal_string_kept_as_a_whole_percent(text, percent):
    assert factor_percent(text) == percent
    if percent is not None:
        assert factor_percent(factor_text(percent)) == percent


DAY = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "audience, months, days, tier, member",
    [
        ("all_balance_payers", {"2025-01": 100}, {}, None, True),
        ("all_balance_payers", {}, {}, None, False),
        ("balance_payers_last_30_days", {"2026-11": 100}, {"2026-10-26": 100}, None, True),  # 30 days back: in
        ("balance_payers_last_30_days", {"2026-11": 100}, {"2026-10-25": 100}, None, False),  # 31: out
        ("balance_payers_last_30_days", {"2026-10": 100}, {}, None, True),  # no days kept: last month stands in
        ("balance_payers_last_30_days", {"2026-09": 100}, {}, None, False),
        ({"segment": "tier:gold"}, {}, {}, "gold", True),
        ({"segment": "tier:gold"}, {}, {}, "silver", False),
    ],
)
def test_who_is_in_a_grants_audience(audience, months, days, tier, member):
    assert in_audience(audience, months, days, DAY, tier) is member
