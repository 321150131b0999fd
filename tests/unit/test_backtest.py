"""The backtest's replay (chalicelib/domain/backtest.py): past checkouts priced by the one pricing function under the
current configuration and a proposed one, with exact figures."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta, timezone

from chalicelib.domain.backtest import (
    Configuration,
    PastCheckout,
    as_replayed,
    past_checkout,
    proposed,
    proposed_promotion,
    replay,
)
from chalicelib.domain.checkout import Checkout, Line
from chalicelib.domain.coupons import Coupon, CouponDefinition, CouponTerms
from chalicelib.domain.money import Lots
from chalicelib.domain.pricing import PricingPolicy
from chalicelib.domain.promotions import Effect, Promotion
from chalicelib.domain.rules import BalanceRules, PartialPay, Window
from chalicelib.domain.tiers import Tier, TierTable

M = "m-bt"
POLICY = PricingPolicy()
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
RULES = BalanceRules(M, version=3, discount_percent=5, excluded_categories=frozenset({"alcohol"}))
TIERS = TierTable((Tier("base", 0, 100, 0), Tier("gold", 100_000, 200, 3)))
N = iter(range(100_000))


def past(
    user: str,
    amount: int,
    cash: int,
    minutes: int = 0,
    *,
    bonus: int = 0,
    points: int = 0,
    held_points: int = 0,
    lines: tuple[Line, ...] | None = None,
    **extra,
) -> PastCheckout:
    cid = f"chk_{next(N):04d}"
    return PastCheckout(
        checkout=Checkout(cid, M, f"o-{cid}", user, lines or (Line("tea", "food", amount, 1),), "open", "", ""),
        at=T0 + timedelta(minutes=minutes),
        lots=Lots(cash, bonus),
        points_available=held_points,
        spent_today=0,
        points=points,
        **extra,
    )


def coupon_terms(**changes) -> CouponTerms:
    terms = CouponTerms("cd-1", "100 off", "amount_off", 100, None, 0, M, False, "2026-01-01T00:00:00Z",
                        "2027-01-01T00:00:00Z")  # fmt: skip
    return replace(terms, **changes)


def history() -> list[PastCheckout]:
    """A varied month: cash and bonus, points, a tier, a coupon of the customer's own, a partial payment, a
    customer short of balance, excluded lines."""
    coupon = Coupon("cpn_1", "carol", coupon_terms(), "available", "2026-11-01T00:00:00Z")
    return [
        past("alice", 2500, 20_000, 0, bonus=1000),
        past("alice", 1200, 17_500, 60, points=300, held_points=500),
        past("bob", 5000, 3000, 5, allow_partial=True),
        past("bob", 800, 200, 90),  # short of balance, no partial payment: not payable
        past("carol", 3000, 9000, 10, coupon=coupon, tier="gold"),
        past("dave", 1000, 5000, 20, lines=(Line("tea", "food", 600, 1), Line("gin", "alcohol", 400, 1))),
    ]


def config(**changes) -> Configuration:
    return Configuration(**{"rules": RULES, "tiers": TIERS, **changes})


def numbers(view: dict) -> list[int]:
    """Every number of a (nested) view."""
    out: list[int] = []
    for value in view.values():
        if isinstance(value, dict):
            out += numbers(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            out.append(value)
    return out


def test_the_current_configuration_against_itself_changes_nothing():
    promotion = proposed_promotion(M, Effect("extra_balance_discount", percent=5), "now", "2026-11-01T00:00:00Z")
    current = config(promotions=(promotion,))
    view = replay(history(), current, proposed(current, None, None, None), POLICY).as_view(1)
    assert view["current"] == view["proposed"]
    assert set(numbers(view["difference"])) == {0}
    assert view["examples"] == []
    # and the replay did price something: payable checkouts, discounts of every kind, points
    now = view["current"]
    assert (now["checkouts"], now["payable"], now["fully_payable"]) == (6, 4, 3)
    assert all(now["discounts"][k] > 0 for k in ("balance_pay", "tier", "promotion", "coupon"))
    assert now["points_spent"] == 300 and now["points_issued"] > 0


def test_a_minimum_order_above_every_past_checkout_makes_every_checkout_unpayable_by_balance():
    checkouts = [past(f"u{i}", 1000 + 100 * i, 50_000, i) for i in range(10)]
    current = config()
    raised = replace(RULES, min_order_amount=max(c.checkout.amount for c in checkouts) + 1)
    view = replay(checkouts, current, proposed(current, raised, None, None), POLICY).as_view(1)
    assert view["current"]["fully_payable"] == 10 and view["proposed"]["fully_payable"] == 0
    assert view["difference"]["stopped_being_payable"] == 10 and view["difference"]["became_payable"] == 0
    assert view["proposed"]["balance_paid"] == 0 and view["proposed"]["balance_share_bp"] == 0
    assert view["difference"]["customers_affected"] == 10
    assert {e["proposed"]["refusal"] for e in view["examples"]} == {"min_order_not_met"}


def test_the_replay_counts_balance_share_discounts_points_and_customers_exactly():
    # now: no discount; proposed: 10 % off what balance pays, at most 300
    checkouts = [
        past("alice", 2000, 10_000, 0),  # pays 2000 now, 1800 proposed; earns 20 points, 18 proposed
        past("alice", 5000, 10_000, 30),  # 5000 now, 4700 proposed (capped at 300); 50 points, 47
        past("bob", 1000, 500, 10, allow_partial=True),  # 500 by balance now; proposed covers 555: 555 - 55 = 500
        past("carol", 700, 0, 20),  # no balance: refused under both
    ]
    plain = BalanceRules(M)
    current = Configuration(plain)
    cheaper = replace(plain, discount_percent=10, discount_max_amount=300)
    view = replay(checkouts, current, proposed(current, cheaper, None, None), POLICY).as_view(1)
    now, then, diff = view["current"], view["proposed"], view["difference"]
    assert (now["checkouts"], now["amount"], now["payable"], now["fully_payable"]) == (4, 8700, 3, 2)
    assert now["balance_paid"] == 2000 + 5000 + 500 and now["balance_share_bp"] == 7500 * 10000 // 8700
    assert now["discount_cost"] == 0 and now["points_issued"] == 20 + 50 + 5 and now["customers"] == 2
    assert then["balance_paid"] == 1800 + 4700 + 500 and then["discount_cost"] == 200 + 300 + 55
    assert then["discounts"] == {"balance_pay": 555, "tier": 0, "promotion": 0, "coupon": 0}
    assert then["points_issued"] == 18 + 47 + 5 and then["points_liability"] == 70
    assert (diff["balance_paid"], diff["discount_cost"], diff["points_issued"]) == (-500, 555, -5)
    assert (diff["became_payable"], diff["stopped_being_payable"]) == (0, 0)
    assert diff["checkouts_changed"] == 3 and diff["customers_affected"] == 2  # bob's partial payment changed too
    assert [e["checkout_id"] for e in view["examples"]] == [checkouts[i].checkout.checkout_id for i in (0, 2, 1)]


def test_what_a_proposal_made_a_customer_pay_earlier_comes_off_what_they_hold_later():
    # now 10 % off: alice pays 450 of the first order, and quotes the second holding 1000 - 450 = 550
    first, second = past("alice", 500, 1000, 0), past("alice", 550, 550, 60)
    current = config(rules=replace(RULES, discount_percent=10))
    full_price = replace(RULES, discount_percent=0)
    view = replay([second, first], current, proposed(current, full_price, None, None), POLICY).as_view(1)
    # proposed: 500 for the first, so she would hold 500 at the second: 550 is too much
    assert view["current"]["fully_payable"] == 2 and view["proposed"]["fully_payable"] == 1
    assert view["difference"]["stopped_being_payable"] == 1
    assert view["examples"][-1]["proposed"]["refusal"] == "insufficient_balance"


def test_a_proposed_coupon_is_used_once_per_customer_within_its_budget():
    d = CouponDefinition(coupon_terms(merchant_id=None), per_customer_limit=1, budget_count=2)
    checkouts = [past("alice", 1000, 5000, 0), past("alice", 1000, 5000, 1), past("bob", 1000, 5000, 2),
                 past("carol", 1000, 5000, 3)]  # fmt: skip
    current = config()
    view = replay(checkouts, current, proposed(current, None, d, None), POLICY).as_view(1)
    then = view["proposed"]
    assert then["coupons_used"] == 2 and then["discounts"]["coupon"] == 200  # alice's first and bob's: budget spent
    assert view["current"]["coupons_used"] == 0
    assert [e["user_id"] for e in view["examples"]] == ["alice", "bob"]


def test_a_balance_pay_only_coupon_is_not_used_where_balance_cannot_pay_in_full():
    d = CouponDefinition(coupon_terms(balance_pay_only=True), per_customer_limit=5)
    short = past("bob", 3000, 1000, 0, allow_partial=True)  # balance pays part only
    current = config()
    view = replay([short], current, proposed(current, None, d, None), POLICY).as_view(1)
    assert view["proposed"]["coupons_used"] == 0 and view["difference"]["checkouts_changed"] == 0


def test_a_proposed_points_multiplier_doubles_the_points_issued_and_their_liability():
    checkouts = [past("alice", 2000, 5000, 0), past("bob", 990, 5000, 1)]
    current = Configuration(BalanceRules(M))
    double = proposed_promotion(M, Effect("points_multiplier", factor_percent=200), None, "2026-11-01T00:00:00Z")
    view = replay(checkouts, current, proposed(current, None, None, double), POLICY).as_view(7)
    assert view["current"]["points_issued"] == 20 + 9 and view["proposed"]["points_issued"] == 58
    assert view["difference"]["points_liability"] == 29 * 7 and view["difference"]["balance_paid"] == 0


def test_a_past_promotion_applies_only_in_its_own_window():
    ended = Promotion("prm_1", "week", M, "2026-11-20T02:30:00.000Z", "2026-11-20T03:00:00.000Z",
                      Effect("extra_balance_discount", percent=10), "ended", "", "op")  # fmt: skip
    live = as_replayed(ended)
    assert live is not None
    cancelled = replace(ended, status="cancelled", cancelled_at="2026-11-20T02:40:00.000Z")
    assert as_replayed(cancelled).ends_at == "2026-11-20T02:40:00.000Z"  # type: ignore[union-attr]
    assert as_replayed(replace(ended, status="cancelled", cancelled_at="2026-11-20T02:00:00.000Z")) is None
    assert as_replayed(replace(ended, status="pending")) is None
    before, inside, after = past("a", 1000, 5000, 0), past("b", 1000, 5000, 35), past("c", 1000, 5000, 70)
    current = Configuration(BalanceRules(M), promotions=(live,))
    view = replay([before, inside, after], current, current, POLICY).as_view(1)
    assert view["current"]["discounts"]["promotion"] == 100


def test_a_quote_row_of_the_analysis_becomes_a_past_checkout():
    row = {
        "checkout_id": "chk_1",
        "user_id": "u1",
        "occurred_at": "2026-11-20T10:01:00.000Z",
        "lines": '[{"sku":"tea","category":"food","unit_price":1250,"quantity":2}]',
        "cash": 1500,
        "bonus": 1000,
        "points_available": 40,
        "spent_today": 300,
        "points": 20,
        "allow_partial": True,
        "tier": "gold",
        "paid": True,
        "balance_paid": 2500,
    }
    c = past_checkout(row, M, Coupon("cpn_1", "u1", coupon_terms(), "used", "2026-11-01T00:00:00Z"))
    assert c.checkout.amount == 2500 and c.checkout.merchant_id == M and c.user_id == "u1"
    assert (c.lots, c.points_available, c.spent_today) == (Lots(1500, 1000), 40, 300)
    assert (c.points, c.allow_partial) == (20, True)
    assert c.at == datetime(2026, 11, 20, 10, 1, tzinfo=timezone.utc) and c.tier == "gold"
    assert c.coupon is not None and c.coupon.state == "available"  # it was available when the quote named it
    assert (c.paid, c.balance_paid) == (True, 2500)


def test_partial_payment_rules_and_windows_are_read_at_each_checkouts_own_moment():
    # 10:00 in Shanghai: inside a 09:00-12:00 window on that Friday; 13:30: outside
    window_rules = replace(
        RULES,
        partial_pay=PartialPay("in_windows", (Window(("fri",), time(9, 0), time(12, 0)),)),
    )
    inside, outside = past("a", 3000, 1000, 0, allow_partial=True), past("b", 3000, 1000, 210, allow_partial=True)
    current = config()
    view = replay([inside, outside], current, proposed(current, window_rules, None, None), POLICY).as_view(1)
    assert view["current"]["payable"] == 2 and view["proposed"]["payable"] == 1
    assert [e["proposed"]["refusal"] for e in view["examples"]] == ["partial_payment_not_allowed"]
