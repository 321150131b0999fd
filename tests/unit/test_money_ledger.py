"""The wallet's arithmetic at its edges: what a spend, a refund, a delta or an adjustment refuses, and what the
refusal tells the caller (the amounts it needed and had); how an amount in a request is checked.

These pin what mutation testing (docs/mutation.md) found unpinned: a zero amount let through, an error's
amounts reported as None, a bound moved by one fen.
"""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import AmountExceedsLimit, InsufficientFunds, InvalidRequest, InvariantBroken
from chalicelib.domain.ledger import adjustment_delta, apply_delta, split_refund, split_spend
from chalicelib.domain.money import Lots, require_positive_amount


# ---- a spend -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, -1])
def test_a_spend_of_nothing_or_less_is_refused_as_an_invalid_amount(amount):
    with pytest.raises(InvalidRequest) as err:
        split_spend(Lots(cash=100, bonus=50), amount)
    assert (err.value.code, err.value.message) == ("invalid_amount", "amount must be positive")


def test_a_one_fen_spend_is_drawn_from_the_first_lot_in_the_order():
    assert split_spend(Lots(cash=100, bonus=50), 1) == Lots(cash=0, bonus=1)
    assert split_spend(Lots(cash=100, bonus=50), 1, ("cash", "bonus")) == Lots(cash=1, bonus=0)


def test_a_spend_that_empties_the_first_lot_takes_the_rest_from_the_second():
    assert split_spend(Lots(cash=100, bonus=50), 51) == Lots(cash=1, bonus=50)


def test_a_spend_order_that_leaves_out_a_lot_needed_is_a_broken_invariant_not_a_short_payment():
    with pytest.raises(InvariantBroken) as err:
        split_spend(Lots(cash=100, bonus=50), 120, ("cash",))
    assert str(err.value) == "a spend takes exactly its amount from the lots"


# ---- a refund ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, -5])
def test_a_refund_of_nothing_or_less_is_refused_as_an_invalid_amount(amount):
    with pytest.raises(InvalidRequest) as err:
        split_refund(Lots(cash=700, bonus=300), Lots(), amount)
    assert (err.value.code, err.value.message) == ("invalid_amount", "amount must be positive")


def test_a_refund_rounds_the_cash_share_down_and_gives_the_fen_left_to_bonus():
    # 1 fen of a 2 : 1 payment: cash's share (0.67) rounds down to 0, so the fen goes back to bonus
    assert split_refund(Lots(cash=2, bonus=1), Lots(), 1) == Lots(cash=0, bonus=1)
    # the next fen: the running total is 2, cash's share 1.33 -> 1
    assert split_refund(Lots(cash=2, bonus=1), Lots(cash=0, bonus=1), 1) == Lots(cash=1, bonus=0)


def test_once_bonus_has_all_it_paid_back_the_rest_of_a_refund_is_cash():
    funded = Lots(cash=999, bonus=1)
    first = split_refund(funded, Lots(), 1)
    assert first == Lots(cash=0, bonus=1)
    assert split_refund(funded, first, 500) == Lots(cash=500, bonus=0)


def test_a_refund_against_a_record_that_gave_a_lot_more_than_it_funded_is_a_broken_invariant_not_a_payout():
    # the record says 50 of bonus went back, but the payment took no bonus: the split would take 50 from bonus
    with pytest.raises(InvariantBroken) as err:
        split_refund(Lots(cash=100, bonus=0), Lots(cash=0, bonus=50), 10)
    assert str(err.value) == "a refund returns exactly its amount, to no lot below zero"


def test_refunds_in_three_parts_return_exactly_what_each_lot_paid():
    funded, refunded = Lots(cash=701, bonus=299), Lots()
    parts = [split_refund(funded, refunded, 333)]
    refunded = parts[0]
    parts.append(split_refund(funded, refunded, 333))
    refunded = refunded + parts[1]
    parts.append(split_refund(funded, refunded, 334))
    assert parts == [Lots(cash=233, bonus=100), Lots(cash=233, bonus=100), Lots(cash=235, bonus=99)]
    assert parts[0] + parts[1] + parts[2] == funded


# ---- a signed delta ------------------------------------------------------------------------------------


def test_a_delta_that_would_overdraw_a_lot_says_what_it_needed_and_what_the_wallet_held():
    with pytest.raises(InsufficientFunds) as err:
        apply_delta(Lots(cash=100, bonus=50), Lots(cash=-120, bonus=0))
    assert (err.value.needed, err.value.available) == (120, 150)
    assert err.value.details == {"needed": 120, "available": 150}


def test_a_delta_may_empty_a_lot_exactly():
    assert apply_delta(Lots(cash=100, bonus=50), Lots(cash=-100, bonus=-50)) == Lots(0, 0)


# ---- an adjustment -------------------------------------------------------------------------------------


def test_an_adjustment_names_a_lot_that_exists():
    with pytest.raises(InvalidRequest) as err:
        adjustment_delta(Lots(cash=100), "points", 10)
    assert (err.value.code, err.value.message) == ("invalid_lot", "lot must be 'cash' or 'bonus'")
    assert err.value.details == {"field": "lot"}


def test_an_adjustment_of_zero_is_refused():
    with pytest.raises(InvalidRequest) as err:
        adjustment_delta(Lots(cash=100), "cash", 0)
    assert (err.value.code, err.value.message) == ("invalid_amount", "amount must not be zero")
    assert err.value.details == {"field": "amount"}


def test_a_negative_adjustment_beyond_its_lot_says_what_it_needed_and_what_the_lot_held():
    with pytest.raises(InsufficientFunds) as err:
        adjustment_delta(Lots(cash=100, bonus=500), "cash", -130)
    assert err.value.details == {"needed": 130, "available": 100}


def test_adjustments_move_only_their_own_lot():
    assert adjustment_delta(Lots(cash=100, bonus=5), "bonus", -5) == Lots(cash=0, bonus=-5)
    assert adjustment_delta(Lots(), "cash", 250) == Lots(cash=250, bonus=0)


# ---- an amount in a request ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1.5, "100", True, None])
def test_an_amount_must_be_an_integer_number_of_fen(value):
    with pytest.raises(InvalidRequest) as err:
        require_positive_amount(value, 1000)
    assert (err.value.code, err.value.message) == ("invalid_amount", "amount must be an integer number of fen")
    assert err.value.details == {"field": "amount"}


def test_the_refusal_names_the_field_it_is_about():
    with pytest.raises(InvalidRequest) as err:
        require_positive_amount(2.5, 1000, field="points")
    assert err.value.message == "points must be an integer number of fen"
    assert err.value.details == {"field": "points"}
    with pytest.raises(InvalidRequest) as err:
        require_positive_amount(0, 1000, field="points")
    assert (err.value.message, err.value.details) == ("points must be positive", {"field": "points"})


def test_zero_fen_is_not_an_amount():
    with pytest.raises(InvalidRequest) as err:
        require_positive_amount(0, 1000)
    assert (err.value.code, err.value.message) == ("invalid_amount", "amount must be positive")
    assert err.value.details == {"field": "amount"}


def test_one_fen_and_exactly_the_limit_are_accepted():
    assert require_positive_amount(1, 1000) == 1
    assert require_positive_amount(1000, 1000) == 1000


def test_one_fen_over_the_limit_is_refused_with_the_amount_and_the_limit():
    with pytest.raises(AmountExceedsLimit) as err:
        require_positive_amount(1001, 1000)
    assert err.value.details == {"amount": 1001, "limit": 1000}


# ---- lots ------------------------------------------------------------------------------------------------


def test_a_balance_shows_each_lot_and_the_total():
    assert Lots(cash=700, bonus=300).as_balance() == {"cash": 700, "bonus": 300, "total": 1000}


@pytest.mark.parametrize("lots, ok", [(Lots(0, 0), True), (Lots(-1, 5), False), (Lots(5, -1), False)])
def test_a_balance_is_non_negative_only_when_both_lots_are(lots, ok):
    assert lots.is_non_negative() is ok
