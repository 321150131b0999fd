"""Coupons (docs/mutation.md): what one takes off an order, why one cannot be used, when it expires, how a
shared budget is split into shards, and coupons, definitions and rewards as stored and shown."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.coupons import (
    BUDGET_SHARDS,
    Coupon,
    CouponDefinition,
    CouponTerms,
    Reward,
    not_applicable,
    shard_allotments,
)

FROM, TO = "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"
NOW = datetime(2026, 11, 25, 2, 30, tzinfo=timezone.utc)


def terms(
    kind: str = "amount_off",
    value: int = 200,
    max_discount: int | None = None,
    min_spend: int = 0,
    merchant: str | None = "m1",
    **kw,
) -> CouponTerms:
    return CouponTerms("def_1", "autumn", kind, value, max_discount, min_spend, merchant, False, FROM, TO, **kw)


def coupon(state: str = "available", **kw) -> Coupon:
    return Coupon("cp_1", "u1", terms(**kw), state, "2026-11-02T00:00:00.000Z")


# ---- what a coupon takes off -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, value, max_discount, amount, off",
    [
        ("amount_off", 200, None, 1000, 200),
        ("amount_off", 500, None, 300, 300),  # never more than the amount
        ("amount_off", 500, 200, 1000, 200),  # capped
        ("percent_off", 15, None, 999, 149),  # rounded down
        ("percent_off", 15, 100, 999, 100),
        ("percent_off", 15, 149, 999, 149),
        ("percent_off", 100, None, 999, 999),
        ("percent_off", 15, None, 6, 0),  # 0.9 fen: nothing
    ],
)
def test_a_coupon_takes_a_fixed_amount_or_a_percentage_rounded_down_capped_and_never_more_than_the_order(
    kind, value, max_discount, amount, off
):
    d = terms(kind, value, max_discount).discount_on(amount)
    assert d == off and type(d) is int


# ---- why a coupon cannot be used ---------------------------------------------------------------------


def at(text: str, seconds: int = 0) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "c, merchant, eligible, now, reason",
    [
        (coupon(), "m1", 1000, NOW, None),
        (coupon("used"), "m1", 1000, NOW, "the coupon is used"),
        (coupon("held"), "m1", 1000, NOW, "the coupon is held"),
        (coupon(), "m1", 1000, at(FROM, -1), f"the coupon is valid from {FROM}"),
        (coupon(), "m1", 1000, at(FROM), None),
        (coupon(), "m1", 1000, at(TO, -1), None),
        (coupon(), "m1", 1000, at(TO), f"the coupon expired at {TO}"),
        (coupon(), "m2", 1000, NOW, "the coupon is for another merchant"),
        (coupon(merchant=None), "m2", 1000, NOW, None),
        (coupon(min_spend=1000), "m1", 1000, NOW, None),
        (
            coupon(min_spend=1000),
            "m1",
            999,
            NOW,
            "the order's eligible items are below the coupon's minimum spend of 1000",
        ),
    ],
)
def test_a_coupon_is_usable_only_available_inside_its_validity_at_its_merchant_from_its_minimum_spend(
    c, merchant, eligible, now, reason
):
    assert not_applicable(c, merchant, eligible, now) == reason


def test_an_available_coupon_expires_at_its_end_and_a_held_one_stays_held():
    assert coupon().state_at(at(TO, -1)) == "available"
    assert coupon().state_at(at(TO)) == "expired"
    assert coupon("held").state_at(at(TO)) == "held"


# ---- a shared budget ---------------------------------------------------------------------------------


def test_a_budget_is_split_into_equal_shards_the_remainder_one_each_to_the_first():
    assert shard_allotments(10, 4) == [3, 3, 2, 2]
    assert shard_allotments(8, 8) == [1] * 8
    assert shard_allotments(3) == [1, 1, 1, 0, 0, 0, 0, 0]
    assert BUDGET_SHARDS == 8


def test_no_budget_is_no_limit_on_any_shard():
    assert shard_allotments(None, 3) == [None, None, None]
    assert shard_allotments(None) == [None] * BUDGET_SHARDS


def test_a_coupon_is_budgeted_when_a_use_counts_or_its_discount_does():
    assert not terms().budgeted
    assert terms(counts_uses=True).budgeted and terms(counts_amount=True).budgeted


# ---- stored and shown --------------------------------------------------------------------------------


def test_terms_are_stored_and_read_back_unchanged():
    t = terms("percent_off", 15, 300, 2000, "m9", counts_uses=True, counts_amount=True, budget_shards=16)
    assert t.as_dict() == {
        "definition_id": "def_1",
        "name": "autumn",
        "kind": "percent_off",
        "value": 15,
        "max_discount": 300,
        "min_spend": 2000,
        "merchant_id": "m9",
        "balance_pay_only": False,
        "valid_from": FROM,
        "valid_to": TO,
        "counts_uses": True,
        "counts_amount": True,
        "budget_shards": 16,
    }
    assert CouponTerms.from_dict(t.as_dict()) == t


def test_terms_stored_before_budgets_existed_read_as_unbudgeted_with_the_default_shards():
    old = {k: v for k, v in terms().as_dict().items() if k not in ("counts_uses", "counts_amount", "budget_shards")}
    t = CouponTerms.from_dict({**old, "unknown": 1})
    assert (t.counts_uses, t.counts_amount, t.budget_shards) == (False, False, BUDGET_SHARDS)
    assert t == terms()


def test_a_definition_is_shown_with_its_limits_and_budget_not_its_budget_flags():
    d = CouponDefinition(
        terms(counts_uses=True), per_customer_limit=3, budget_count=100, budget_amount=50_000, version=2
    )
    assert d.as_view() == {
        "definition_id": "def_1",
        "name": "autumn",
        "kind": "amount_off",
        "value": 200,
        "max_discount": None,
        "min_spend": 0,
        "merchant_id": "m1",
        "balance_pay_only": False,
        "valid_from": FROM,
        "valid_to": TO,
        "budget_shards": 8,
        "per_customer_limit": 3,
        "budget_count": 100,
        "budget_amount": 50_000,
        "version": 2,
    }


def test_a_coupon_is_shown_with_its_state_at_the_moment_asked():
    c = Coupon("cp_1", "u1", terms(), "available", "2026-11-02T00:00:00.000Z", payment_id=None)
    view = {
        "coupon_id": "cp_1",
        "definition_id": "def_1",
        "name": "autumn",
        "kind": "amount_off",
        "value": 200,
        "max_discount": None,
        "min_spend": 0,
        "merchant_id": "m1",
        "balance_pay_only": False,
        "valid_from": FROM,
        "valid_to": TO,
        "state": "available",
        "payment_id": None,
        "granted_at": "2026-11-02T00:00:00.000Z",
    }
    assert c.as_view(NOW) == view
    assert c.as_view(at(TO)) == {**view, "state": "expired"}


def test_a_reward_is_shown_as_the_catalogue_lists_it():
    r = Reward("rw_1", "tea voucher", "coupon", 500, "def_1", 20, 1, True)
    assert r.as_view() == {
        "reward_id": "rw_1",
        "name": "tea voucher",
        "kind": "coupon",
        "points_cost": 500,
        "coupon_definition_id": "def_1",
        "stock": 20,
        "per_customer_limit": 1,
        "active": True,
    }
