"""The wallet arithmetic, with no AWS at all."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import AmountExceedsLimit, InsufficientFunds, InvalidRequest, RefundExceedsPayment
from chalicelib.domain.ledger import adjustment_delta, apply_delta, split_refund, split_spend
from chalicelib.domain.money import Lots, require_positive_amount


def test_spend_takes_bonus_first_by_default():
    assert split_spend(Lots(cash=1000, bonus=300), 500) == Lots(cash=200, bonus=300)


def test_spend_order_is_a_setting():
    assert split_spend(Lots(cash=1000, bonus=300), 500, ("cash", "bonus")) == Lots(cash=500, bonus=0)


def test_spend_fails_when_balance_is_short_and_says_by_how_much():
    with pytest.raises(InsufficientFunds) as err:
        split_spend(Lots(cash=100, bonus=50), 151)
    assert (err.value.needed, err.value.available) == (151, 150)


def test_spend_of_exactly_the_balance_empties_both_lots():
    assert apply_delta(Lots(100, 50), -split_spend(Lots(100, 50), 150)) == Lots(0, 0)


@given(
    cash=st.integers(0, 10**7), bonus=st.integers(0, 10**7), amount=st.integers(1, 2 * 10**7), cash_first=st.booleans()
)
def test_spend_never_overdraws_a_lot_and_sums_to_the_amount(cash, bonus, amount, cash_first):
    order = ("cash", "bonus") if cash_first else ("bonus", "cash")
    balance = Lots(cash, bonus)
    if amount > balance.total:
        with pytest.raises(InsufficientFunds):
            split_spend(balance, amount, order)
        return
    taken = split_spend(balance, amount, order)
    assert taken.total == amount
    assert 0 <= taken.cash <= cash and 0 <= taken.bonus <= bonus


def test_full_refund_returns_each_lot_what_it_paid():
    assert split_refund(Lots(cash=700, bonus=300), Lots(), 1000) == Lots(cash=700, bonus=300)


def test_partial_refund_is_proportional_to_the_funding():
    assert split_refund(Lots(cash=700, bonus=300), Lots(), 500) == Lots(cash=350, bonus=150)


def test_refund_above_what_remains_is_refused_with_the_refundable_amount():
    with pytest.raises(RefundExceedsPayment) as err:
        split_refund(Lots(cash=700, bonus=300), Lots(cash=350, bonus=150), 501)
    assert err.value.details == {"requested": 501, "refundable": 500}


@given(cash=st.integers(0, 10**6), bonus=st.integers(0, 10**6), parts=st.lists(st.integers(1, 10**6), max_size=12))
def test_refunds_in_any_parts_never_return_more_to_a_lot_than_it_paid(cash, bonus, parts):
    funded = Lots(cash, bonus)
    if funded.total == 0:
        return
    refunded = Lots()
    for part in parts:
        if part > funded.total - refunded.total:
            with pytest.raises(RefundExceedsPayment):
                split_refund(funded, refunded, part)
            continue
        back = split_refund(funded, refunded, part)
        assert back.total == part and back.is_non_negative()
        refunded = refunded + back
        assert refunded.cash <= cash and refunded.bonus <= bonus
    rest = funded.total - refunded.total
    if rest:
        refunded = refunded + split_refund(funded, refunded, rest)
    assert refunded == funded


def test_negative_adjustment_never_overdraws_the_lot():
    with pytest.raises(InsufficientFunds):
        adjustment_delta(Lots(cash=100, bonus=5), "bonus", -6)
    assert adjustment_delta(Lots(cash=100, bonus=5), "bonus", -5) == Lots(0, -5)


def test_zero_adjustment_is_refused():
    with pytest.raises(InvalidRequest):
        adjustment_delta(Lots(), "cash", 0)


@pytest.mark.parametrize("bad", [12.5, 100.0, "100", True, None, -1, 0])
def test_amount_validation_refuses_anything_but_a_positive_integer(bad):
    with pytest.raises(InvalidRequest) as err:
        require_positive_amount(bad, 10_000)
    assert err.value.code == "invalid_amount"


def test_amount_above_the_limit_is_refused_with_the_limit():
    with pytest.raises(AmountExceedsLimit) as err:
        require_positive_amount(10_001, 10_000)
    assert err.value.details == {"amount": 10_001, "limit": 10_000}
