"""The pricing function's amounts, where mutation testing found them unpinned (docs/mutation.md): a coupon's
discount, points, the partial-payment share cap, the spend order, the refusals' reasons and details, and the
quote as the API shows it. Every amount is a whole number of fen (an int: never a float)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.domain.checkout import Checkout, Line
from chalicelib.domain.coupons import Coupon, CouponTerms
from chalicelib.domain.moments import format_time
from chalicelib.domain.money import Lots
from chalicelib.domain.points import PointsPolicy
from chalicelib.domain.pricing import Funds, PayOptions, PricingPolicy, price
from chalicelib.domain.promotions import Effect, Promotion
from chalicelib.domain.rules import BalanceRules
from chalicelib.domain.tiers import Tier

NOW = datetime(2026, 11, 25, 2, 30, tzinfo=timezone.utc)  # a Wednesday, 10:30 in Shanghai
POLICY = PricingPolicy(spend_order=("bonus", "cash"), points=PointsPolicy())
BOOK = ("book", "books", 1000, 1)
WINE = ("wine", "alcohol", 3000, 1)
NEVER_PARTIAL = {"partial_pay": {"allowed": "never"}}
WALLET = Lots(cash=5000)


def checkout(*lines: tuple[str, str, int, int]) -> Checkout:
    return Checkout(
        "chk_1",
        "m1",
        "o1",
        "u1",
        tuple(Line(*line) for line in lines or (BOOK,)),
        "open",
        "2026-11-25T00:00:00.000Z",
        "2026-11-25T03:00:00.000Z",
    )


def coupon(
    value: int = 200,
    kind: str = "amount_off",
    merchant: str | None = "m1",
    balance_pay_only: bool = False,
) -> Coupon:
    terms = CouponTerms(
        "def_1",
        "200 off",
        kind,
        value,
        None,
        0,
        merchant,
        balance_pay_only,
        "2026-11-01T00:00:00.000Z",
        "2026-12-01T00:00:00.000Z",
    )
    return Coupon("cp_1", "u1", terms, "available", "2026-11-02T00:00:00.000Z")


def quote(
    *lines,
    rules: dict | None = None,
    wallet: Lots = WALLET,
    spent_today: int = 0,
    points: int = 0,
    use_points: int = 0,
    coupon_held: Coupon | None = None,
    coupon_id: str | None = None,
    tier: Tier | None = None,
    allow_partial: bool = False,
    capture: bool = True,
    policy: PricingPolicy = POLICY,
    promotions=(),
):
    return price(
        checkout(*lines),
        BalanceRules.from_view("m1", rules or {}, version=3, updated_at=None),
        Funds(wallet, spent_today, points, coupon_held, tier),
        NOW,
        PayOptions(allow_partial, capture, use_points, coupon_id),
        policy,
        promotions,
    )


def limits(q) -> list[str]:
    return [lim.code for lim in q.limits]


def refusal(q) -> tuple[str, str] | None:
    return (q.refusal.code, q.refusal.message) if q.refusal else None


def amounts_are_whole_fen(view: dict) -> bool:
    numbers = [
        view[k]
        for k in (
            "amount",
            "eligible_amount",
            "discount_total",
            "balance",
            "external",
            "points",
            "points_value",
            "points_to_earn",
        )
    ]
    numbers += list(view["funded_by"].values()) + [d["amount"] for d in view["discounts"]]
    return all(type(n) is int for n in numbers)


# ---- a coupon ----------------------------------------------------------------------------------------


def test_a_coupon_comes_off_first_and_balance_pays_the_rest_in_full():
    q = quote(coupon_held=coupon(200), coupon_id="cp_1")
    assert (q.coupon_discount, q.balance, q.external) == (200, 800, 0)
    assert q.funded_by == Lots(cash=800) and q.status == "succeeded" and q.payable
    assert q.discounts == [{"source": "coupon", "amount": 200}] and q.discount_total == 200


def test_a_coupon_the_request_does_not_name_is_not_used():
    q = quote(coupon_held=coupon(200), coupon_id=None)
    assert (q.coupon_discount, q.balance, q.external) == (0, 1000, 0)


def test_a_coupon_named_but_not_found_among_the_customers_coupons_takes_nothing_off():
    q = quote(coupon_held=None, coupon_id="cp_1")
    assert (q.coupon_discount, q.balance, q.payable) == (0, 1000, True)


def test_a_coupon_for_another_merchant_takes_nothing_off_and_refuses_the_payment_saying_why():
    q = quote(coupon_held=coupon(200, merchant="m2"), coupon_id="cp_1")
    assert (q.coupon_discount, q.balance) == (0, 1000)
    assert refusal(q) == (
        "coupon_not_applicable",
        "the coupon cannot be used on this order: the coupon is for another merchant",
    )
    assert q.details == {"coupon_id": "cp_1", "reason": "the coupon is for another merchant"}


def test_a_balance_only_coupon_refuses_a_payment_that_leaves_even_one_fen_to_pay_another_way():
    q = quote(
        coupon_held=coupon(100, balance_pay_only=True), coupon_id="cp_1", wallet=Lots(cash=899), allow_partial=True
    )
    assert (q.coupon_discount, q.balance, q.external) == (100, 899, 1)
    assert refusal(q) == (
        "coupon_not_applicable",
        "the coupon cannot be used on this order: the coupon is only for orders paid in full from balance",
    )
    assert q.details == {"coupon_id": "cp_1", "reason": "the coupon is only for orders paid in full from balance"}


def test_a_balance_only_coupon_is_fine_when_balance_pays_all_the_rest():
    q = quote(coupon_held=coupon(100, balance_pay_only=True), coupon_id="cp_1", wallet=Lots(cash=900))
    assert (q.coupon_discount, q.balance, q.external, q.refusal) == (100, 900, 0, None)


def test_a_coupon_refused_for_its_merchant_keeps_that_reason_on_a_partial_payment():
    q = quote(
        coupon_held=coupon(100, merchant="m2", balance_pay_only=True),
        coupon_id="cp_1",
        wallet=Lots(cash=300),
        allow_partial=True,
    )
    assert q.details == {"coupon_id": "cp_1", "reason": "the coupon is for another merchant"}


def test_a_coupon_worth_more_than_the_order_takes_all_of_it_and_balance_pays_nothing():
    q = quote(("pen", "office", 1, 1), coupon_held=coupon(100), coupon_id="cp_1")
    assert (q.coupon_discount, q.balance, q.external, q.funded_by) == (1, 0, 0, Lots())
    assert q.payable and q.status == "succeeded"


def test_a_coupon_that_covers_exactly_what_balance_cannot_leaves_a_payable_order():
    q = quote(coupon_held=coupon(500), coupon_id="cp_1", wallet=Lots(cash=500))
    assert (q.coupon_discount, q.balance, q.external, q.refusal) == (500, 500, 0, None)


def test_under_a_merchant_that_never_takes_partial_payments_a_coupon_makes_the_payment_whole():
    q = quote(rules=NEVER_PARTIAL, coupon_held=coupon(200), coupon_id="cp_1", wallet=Lots(cash=800))
    assert (q.balance, q.external, limits(q), q.refusal) == (800, 0, [], None)


# ---- points ------------------------------------------------------------------------------------------


def test_points_pay_only_as_many_as_asked_for():
    q = quote(points=800, use_points=100)
    assert (q.points, q.points_value, q.balance, q.external) == (100, 100, 900, 0)
    assert limits(q) == []


def test_points_worth_ten_fen_each_pay_whole_points_within_half_the_order():
    policy = PricingPolicy(spend_order=("bonus", "cash"), points=PointsPolicy(point_value=10))
    q = quote(("tea", "food", 1005, 1), points=1000, use_points=1000, policy=policy)
    # half of 1005 is 502 fen: 50 whole points of 10 fen
    assert (q.points, q.points_value, q.balance, q.external) == (50, 500, 505, 0)
    assert limits(q) == ["points_capped"]
    assert amounts_are_whole_fen(q.as_view())


def test_points_on_an_odd_amount_stay_whole_points():
    q = quote(("tea", "food", 1001, 1), points=1000, use_points=1000)
    assert (q.points, q.points_value, q.balance) == (500, 500, 501)
    assert amounts_are_whole_fen(q.as_view())


def test_under_a_merchant_that_never_takes_partial_payments_points_make_the_payment_whole():
    q = quote(rules=NEVER_PARTIAL, points=100, use_points=100, wallet=Lots(cash=900))
    assert (q.points_value, q.balance, q.external, limits(q), q.refusal) == (100, 900, 0, [], None)


def test_asking_for_more_points_than_available_is_refused_with_both_numbers():
    q = quote(points=100, use_points=500)
    assert refusal(q) == ("insufficient_points", "the points account holds fewer available points than asked for")
    assert "insufficient_points" in limits(q)
    assert q.details == {"requested": 500, "available": 100}


# ---- a partial payment -------------------------------------------------------------------------------


def test_the_share_cap_lowers_what_balance_pays_of_a_partial_payment():
    q = quote(
        rules={"partial_pay": {"allowed": "always", "max_share_percent": 50}}, wallet=Lots(cash=800), allow_partial=True
    )
    assert (q.covered, q.balance, q.external) == (500, 500, 500)
    assert limits(q) == ["insufficient_balance", "partial_share_capped"]


def test_a_wallet_holding_exactly_the_share_cap_is_not_capped():
    q = quote(
        rules={"partial_pay": {"allowed": "always", "max_share_percent": 50}}, wallet=Lots(cash=500), allow_partial=True
    )
    assert (q.balance, q.external) == (500, 500)
    assert limits(q) == ["insufficient_balance"]


def test_the_share_cap_of_an_odd_amount_is_rounded_down_to_the_fen():
    q = quote(
        ("tea", "food", 1001, 1),
        rules={"partial_pay": {"allowed": "always", "max_share_percent": 50}},
        wallet=Lots(cash=800),
        allow_partial=True,
    )
    assert (q.balance, q.external) == (500, 501)
    assert amounts_are_whole_fen(q.as_view())


def test_a_merchant_that_never_takes_partial_payments_still_takes_a_whole_one():
    q = quote(rules=NEVER_PARTIAL, wallet=Lots(cash=1000))
    assert (q.balance, q.external, q.refusal) == (1000, 0, None)


def test_a_merchant_that_never_takes_partial_payments_refuses_one_that_leaves_one_fen():
    q = quote(rules=NEVER_PARTIAL, wallet=Lots(cash=999), allow_partial=True)
    assert (q.balance, q.external) == (999, 1)
    assert refusal(q) == ("partial_payment_not_allowed", "the merchant does not accept a partial balance payment now")


# ---- refusals: the binding reason, and what the caller needs to act on it ----------------------------


def test_below_the_minimum_without_a_partial_payment_the_minimum_is_the_reason():
    q = quote(rules={"min_order_amount": 1001})
    assert refusal(q) == (
        "min_order_not_met",
        "the eligible items are below the merchant's minimum for paying "
        "with balance; pay the rest another way with allow_partial",
    )
    assert q.details == {"min_order_amount": 1001, "eligible_amount": 1000}


def test_an_order_of_excluded_items_only_is_refused_even_as_a_partial_payment():
    q = quote(WINE, rules={"excluded_categories": ["alcohol"]}, allow_partial=True)
    assert (q.eligible_amount, q.balance, q.external) == (0, 0, 3000)
    assert refusal(q) == (
        "excluded_items",
        "some items cannot be paid with balance; balance can pay nothing of this order",
    )
    assert q.details == {"amount": 3000, "eligible_amount": 0}


def test_excluded_items_without_a_partial_payment_say_how_much_balance_may_pay():
    q = quote(BOOK, WINE, rules={"excluded_categories": ["alcohol"]})
    assert refusal(q) == (
        "excluded_items",
        "some items cannot be paid with balance; pay the rest another way with allow_partial",
    )
    assert q.details == {"amount": 4000, "eligible_amount": 1000}


def test_the_daily_limit_refusal_says_the_limit_and_what_was_spent_today():
    q = quote(rules={"daily_limit": 1500}, spent_today=1000)
    assert refusal(q)[0] == "daily_limit_exceeded"
    assert q.details == {"daily_limit": 1500, "spent_today": 1000}


def test_a_short_balance_refusal_says_what_the_wallet_needs_and_holds():
    q = quote(wallet=Lots(cash=400))
    assert refusal(q) == (
        "insufficient_balance",
        "the balance does not cover the order; pay the rest another way with allow_partial",
    )
    assert q.details == {"needed": 1000, "available": 400}


def test_an_empty_wallet_pays_nothing_even_of_a_partial_payment():
    q = quote(wallet=Lots(), allow_partial=True)
    assert refusal(q) == (
        "insufficient_balance",
        "the balance does not cover the order; balance can pay nothing of this order",
    )


# ---- which lots pay, the tier, the promotion ---------------------------------------------------------


def test_the_lots_pay_in_the_policys_spend_order():
    cash_first = PricingPolicy(spend_order=("cash", "bonus"), points=PointsPolicy())
    q = quote(wallet=Lots(cash=1000, bonus=300), policy=cash_first)
    assert q.funded_by == Lots(cash=1000, bonus=0)
    assert quote(wallet=Lots(cash=1000, bonus=300)).funded_by == Lots(cash=700, bonus=300)


def test_a_one_fen_order_is_paid_from_a_lot():
    q = quote(("pen", "office", 1, 1), wallet=Lots(cash=5, bonus=1))
    assert (q.balance, q.funded_by) == (1, Lots(cash=0, bonus=1))


def test_the_tier_takes_its_percent_rounded_down_and_names_itself():
    q = quote(("tea", "food", 999, 1), tier=Tier("gold", 0, 150, 5))
    assert (q.tier, q.tier_discount, q.balance) == ("gold", 49, 950)
    assert q.points_to_earn == 13  # 9 whole yuan x 1.5
    assert amounts_are_whole_fen(q.as_view())


def test_a_promotion_whose_discount_rounds_to_nothing_is_not_named():
    promo = Promotion(
        "prm_a",
        "1 % off",
        None,
        format_time(NOW - timedelta(hours=1)),
        format_time(NOW + timedelta(hours=1)),
        Effect("extra_balance_discount", percent=1),
        "active",
        format_time(NOW - timedelta(days=1)),
        "admin",
    )
    q = quote(("pen", "office", 50, 1), promotions=[promo])
    assert (q.promotion_discount, q.promotion_id, q.promotions) == (0, None, [])


def test_an_authorization_records_its_rules_version_and_a_plain_points_factor_for_its_capture():
    q = quote(capture=False)
    assert (q.status, q.rules_version, q.points_factor_percent, q.points_promotion_id) == ("authorized", 3, 100, None)


# ---- the quote as the API shows it -------------------------------------------------------------------


def test_the_view_of_a_payable_quote():
    q = quote(
        rules={"balance_pay_discount": {"percent": 5, "max_amount": None}},
        wallet=Lots(cash=5000, bonus=100),
        coupon_held=coupon(200),
        coupon_id="cp_1",
        points=50,
        use_points=40,
    )
    assert q.as_view() == {
        "amount": 1000,
        "eligible_amount": 1000,
        "discounts": [{"source": "coupon", "amount": 200}, {"source": "balance_pay", "amount": 38}],
        "discount_total": 238,
        "balance": 722,
        "funded_by": {"cash": 622, "bonus": 100},
        "external": 0,
        "points": 40,
        "points_value": 40,
        "points_to_earn": 7,
        "tier": None,
        "promotions": [],
        "status": "succeeded",
        "rules_version": 3,
        "limits": [],
        "payable": True,
        "refusal": None,
    }


def test_the_view_of_a_refused_quote_has_no_status_and_says_why():
    q = quote(rules={"excluded_skus": ["wine"]}, tier=Tier("silver", 0, 100, 0), wallet=Lots(cash=400))
    view = q.as_view()
    assert (view["status"], view["payable"], view["tier"]) == (None, False, "silver")
    assert view["limits"] == [{"code": "insufficient_balance", "message": "the balance does not cover the order"}]
    assert view["refusal"] == {
        "code": "insufficient_balance",
        "message": "the balance does not cover the order; pay the rest another way with allow_partial",
    }
