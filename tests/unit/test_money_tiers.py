"""Membership tiers at their edges (docs/mutation.md): the month a payment counts in, the rolling window across
a year's end, the grace before a downgrade when the spend was exactly at the threshold, the months kept, the
next tier up, and a tier as shown."""

from __future__ import annotations

from datetime import date, datetime, timezone

from chalicelib.domain.tiers import Tier, TierTable, add_spend, effective, month_of, rolling_spend

BASE, SILVER, GOLD = Tier("base", 0, 100, 0), Tier("silver", 100_000, 150, 2), Tier("gold", 500_000, 200, 5)
TABLE = TierTable((BASE, SILVER, GOLD), 1)


def at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 12, 45, tzinfo=timezone.utc)


def test_a_payment_counts_in_its_utc_month():
    assert month_of(datetime(2026, 3, 5, 10, 45, tzinfo=timezone.utc)) == "2026-03"


def test_the_rolling_window_of_february_reaches_back_across_the_years_end():
    months = {"2026-02": 1, "2026-01": 500, "2025-12": 20, "2025-03": 7, "2025-02": 9000}
    assert rolling_spend(months, date(2026, 2, 10)) == 528  # 2025-03 .. 2026-02


def test_spend_exactly_at_the_threshold_last_month_starts_the_grace_this_month():
    months = {"2025-11": 500_000}  # gold exactly, which leaves the window at the start of 2026-11
    tier, warning = effective(TABLE, "gold", months, at(2026, 11, 20))
    assert tier == GOLD and warning == {"to_tier": "base", "on": "2026-12-01"}


def test_spend_exactly_at_the_held_tiers_threshold_keeps_it_without_a_warning():
    assert effective(TABLE, "silver", {"2026-11": 100_000}, at(2026, 11, 20)) == (SILVER, None)


def test_a_customer_without_a_stored_tier_holds_the_tier_the_spend_reaches():
    assert effective(TABLE, None, {"2026-11": 100_000}, at(2026, 11, 20)) == (SILVER, None)


def test_the_months_kept_are_the_last_twenty_four():
    months = {"2024-11": 7, "2024-12": 5, "2026-11": 100}
    assert add_spend(months, "2026-11", 50, at(2026, 11, 25)) == {"2024-12": 5, "2026-11": 150}


def test_spend_in_a_new_month_starts_from_zero():
    assert add_spend({"2026-10": 70}, "2026-11", 30, at(2026, 11, 25)) == {"2026-10": 70, "2026-11": 30}


def test_the_tier_above_none_is_the_first_and_above_the_top_there_is_none():
    assert TABLE.above(None) == BASE
    assert TABLE.above(BASE) == SILVER and TABLE.above(SILVER) == GOLD
    assert TABLE.above(GOLD) is None
    assert TierTable().above(None) is None


def test_a_tier_shows_its_multiplier_as_a_factor_and_its_discount_in_percent():
    assert SILVER.as_view() == {
        "name": "silver",
        "threshold": 100_000,
        "points_multiplier": 1.5,
        "balance_pay_discount_percent": 2,
    }


def test_a_tiers_discount_is_rounded_down_to_the_fen():
    assert GOLD.discount(999) == 49 and type(GOLD.discount(999)) is int
