"""Bonus grants and top-up plans at their edges (docs/mutation.md): how a wallet's grants are booked, drawn and
given back (with their source and expiry), what the wallet shows as expiring, which plan a top-up gets and
the grant it makes, and the grants as stored."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from chalicelib.domain.bonus import (
    BonusGrant,
    Drawn,
    TopupPlan,
    best_plan,
    book,
    draw,
    drawn_from_doc,
    expiring_view,
    give_back,
    grants_from_doc,
    plan_grant,
    soonest_expiry,
)
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.moments import format_time

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
NOW = format_time(T0)


def day(n: int) -> str:
    return format_time(T0 + timedelta(days=n))


# ---- booking the grants of a wallet ------------------------------------------------------------------


def test_a_one_fen_grant_is_a_grant():
    assert book((BonusGrant("g", 1, day(5)),), 1) == (BonusGrant("g", 1, day(5)),)


def test_bonus_from_before_grants_tops_up_the_untracked_grant_already_there():
    grants = (BonusGrant("a", 100, day(5)), BonusGrant("untracked", 50))
    assert book(grants, 400) == (BonusGrant("a", 100, day(5)), BonusGrant("untracked", 300))


def test_grants_holding_more_than_the_bonus_lot_lose_the_soonest_expiring_excess():
    grants = (BonusGrant("late", 100, day(30)), BonusGrant("soon", 100, day(3)))
    assert book(grants, 150) == (BonusGrant("soon", 50, day(3)), BonusGrant("late", 100, day(30)))


def test_the_excess_is_dropped_from_an_expired_grant_too():
    grants = (BonusGrant("gone", 100, day(-1)), BonusGrant("late", 100, day(30)))
    assert book(grants, 150) == (BonusGrant("gone", 50, day(-1)), BonusGrant("late", 100, day(30)))


# ---- drawing and giving back -------------------------------------------------------------------------


def test_what_a_payment_draws_is_recorded_with_the_grants_expiry_and_source():
    grants = (BonusGrant("p", 300, day(10), "plan:spring"),)
    after, drawn = draw(grants, 100, NOW)
    assert after == (BonusGrant("p", 200, day(10), "plan:spring"),)
    assert drawn == (Drawn("p", 100, day(10), "plan:spring"),)


def test_drawing_more_than_the_spendable_grants_hold_says_how_much_they_hold():
    with pytest.raises(InvalidRequest) as err:
        draw((BonusGrant("a", 300, day(10)), BonusGrant("gone", 900, day(-1))), 500, NOW)
    assert (err.value.code, err.value.message) == ("bonus_short", "the bonus grants hold 300 of the 500 to draw")


def test_giving_back_more_than_the_payment_drew_is_refused():
    with pytest.raises(InvalidRequest) as err:
        give_back((), (Drawn("a", 100, day(10)),), 101)
    assert (err.value.code, err.value.message) == ("bonus_short", "more bonus given back than the payment drew")


def test_a_grant_spent_to_nothing_comes_back_with_its_expiry_and_source():
    after, still = give_back((), (Drawn("p", 100, day(10), "plan:spring"),), 40)
    assert after == (BonusGrant("p", 40, day(10), "plan:spring"),)
    assert still == (Drawn("p", 60, day(10), "plan:spring"),)


def test_what_a_payment_still_holds_drawn_is_listed_soonest_expiry_first():
    drawn = (Drawn("a", 100, day(3)), Drawn("c", 100, None), Drawn("b", 100, day(30)))
    _, still = give_back((), drawn, 50)  # to the never-expiring grant first
    assert still == (Drawn("a", 100, day(3)), Drawn("b", 100, day(30)), Drawn("c", 50, None))


# ---- what the wallet shows ---------------------------------------------------------------------------


def test_the_soonest_expiry_is_of_a_grant_that_holds_something():
    grants = (
        BonusGrant("never", 500),
        BonusGrant("empty", 0, day(1)),
        BonusGrant("one", 1, day(10)),
        BonusGrant("late", 300, day(30)),
    )
    assert soonest_expiry(grants) == day(10)
    assert soonest_expiry((BonusGrant("never", 500),)) is None
    assert soonest_expiry(()) is None


def test_the_bonus_expiring_is_summed_per_expiry_time_and_leaves_out_what_never_expires():
    grants = (
        BonusGrant("a", 100, day(5)),
        BonusGrant("b", 50, day(5)),
        BonusGrant("never", 500),
        BonusGrant("empty", 0, day(1)),
        BonusGrant("one", 1, day(9)),
    )
    assert expiring_view(grants) == [{"amount": 150, "expires_at": day(5)}, {"amount": 1, "expires_at": day(9)}]


# ---- top-up plans ------------------------------------------------------------------------------------


def plan(plan_id: str = "p1", **kw) -> TopupPlan:
    fields = {"name": plan_id, "min_amount": 1000, "valid_from": day(-10), "valid_to": day(10), **kw}
    return TopupPlan(plan_id, **fields)


def test_a_percent_bonus_is_rounded_down_to_the_fen():
    assert plan(bonus_percent=10).bonus_for(1055) == 105
    assert type(plan(bonus_percent=10).bonus_for(1055)) is int


def test_a_percent_bonus_is_capped_only_when_the_plan_says_so():
    assert plan(bonus_percent=10, bonus_max=50).bonus_for(1055) == 50
    assert plan(bonus_percent=10).bonus_for(100_000) == 10_000


def test_a_plan_with_neither_an_amount_nor_a_percent_gives_nothing():
    assert plan().bonus_for(5000) == 0


@pytest.mark.parametrize("now, live", [(day(-10), True), (day(10), False), (day(11), False), (day(-11), False)])
def test_a_plan_is_live_from_its_start_up_to_but_not_at_its_end(now, live):
    assert plan(bonus_amount=100).live(now) is live


def test_a_plan_not_live_yet_does_not_hide_the_plans_after_it():
    later = plan("later", bonus_amount=500, valid_from=day(1))
    now = plan("now", bonus_amount=100)
    assert best_plan([later, now], 2000, NOW, {}) == (now, 100)


def test_a_plan_giving_one_fen_is_still_a_bonus():
    one = plan("one", bonus_amount=1)
    assert best_plan([one], 2000, NOW, {}) == (one, 1)


def test_on_an_equal_bonus_a_bonus_that_never_expires_beats_one_valid_for_a_year():
    year = plan("a-year", bonus_amount=100, bonus_valid_days=365)
    forever = plan("z-forever", bonus_amount=100)
    assert best_plan([year, forever], 2000, NOW, {}) == (forever, 100)


def test_a_plans_grant_expires_its_days_after_the_top_up_and_names_the_plan():
    assert plan_grant(plan(bonus_amount=100, bonus_valid_days=30), 100, "bg_1", T0) == BonusGrant(
        "bg_1", 100, day(30), "plan:p1"
    )
    assert plan_grant(plan(bonus_amount=100), 100, "bg_2", T0) == BonusGrant("bg_2", 100, None, "plan:p1")


def test_a_plan_is_stored_and_read_back_unchanged_and_shown_with_its_id_and_version():
    p = TopupPlan(
        "p1",
        "spring",
        1000,
        bonus_percent=10,
        bonus_max=500,
        bonus_valid_days=30,
        valid_from=day(-1),
        valid_to=day(9),
        per_customer_limit=2,
        active=False,
        version=4,
    )
    doc = p.as_doc()
    assert doc == {
        "name": "spring",
        "min_amount": 1000,
        "bonus_amount": None,
        "bonus_percent": 10,
        "bonus_max": 500,
        "bonus_valid_days": 30,
        "valid_from": day(-1),
        "valid_to": day(9),
        "per_customer_limit": 2,
        "active": False,
    }
    assert TopupPlan.from_doc("p1", doc, version=4) == p
    assert TopupPlan.from_doc("p1", {"name": "spring", "min_amount": 1000}) == TopupPlan("p1", "spring", 1000)
    assert p.as_view() == {"plan_id": "p1", **doc, "version": 4}


def test_a_plan_read_from_a_document_that_names_an_id_and_a_version_keeps_the_ones_it_is_given():
    view = TopupPlan("other", "spring", 1000, bonus_amount=100, version=9).as_view()
    assert TopupPlan.from_doc("p1", view, version=4) == TopupPlan("p1", "spring", 1000, bonus_amount=100, version=4)


# ---- the grants as stored ----------------------------------------------------------------------------


def test_grants_and_what_a_payment_drew_are_stored_and_read_back_unchanged():
    grants = (BonusGrant("a", 100, day(5), "plan:p1"), BonusGrant("b", 7, None, "adjustment"))
    assert grants_from_doc([g.as_doc() for g in grants]) == grants
    drawn = (Drawn("a", 40, day(5), "plan:p1"), Drawn("b", 3, None, "adjustment"))
    assert drawn_from_doc([d.as_doc() for d in drawn]) == drawn


def test_grants_stored_before_they_had_a_source_read_with_an_empty_one_and_amounts_as_integers():
    assert grants_from_doc([["a", Decimal("100"), day(5)]]) == (BonusGrant("a", 100, day(5), ""),)
    assert type(grants_from_doc([["a", Decimal("100"), day(5)]])[0].amount) is int
    assert drawn_from_doc([["a", Decimal("40"), None]]) == (Drawn("a", 40, None, ""),)
    assert type(drawn_from_doc([["a", Decimal("40"), None]])[0].amount) is int
    assert grants_from_doc(None) == () == drawn_from_doc(None)
