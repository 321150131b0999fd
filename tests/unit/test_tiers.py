"""Membership tiers: rolling spend, upgrades in the payment that crosses, downgrades after the grace."""

from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.domain.tiers import Tier, TierTable, add_spend, effective, rolling_spend

TABLE = TierTable((Tier("base", 0, 100, 0), Tier("silver", 100_000, 150, 2), Tier("gold", 500_000, 200, 5)), 1)


def at(y, m, d):
    return datetime(y, m, d, 12, tzinfo=timezone.utc)


def test_the_rolling_spend_is_this_month_and_the_eleven_before():
    months = {"2025-11": 1, "2025-12": 10, "2026-06": 100, "2026-11": 1000}
    assert rolling_spend(months, at(2026, 11, 25).date()) == 1110  # 2025-11 is the 13th month back
    assert rolling_spend(months, at(2026, 12, 1).date()) == 1100


def test_the_tier_goes_up_at_once():
    months = {"2026-11": 120_000}
    tier, warning = effective(TABLE, "base", months, at(2026, 11, 25))
    assert tier.name == "silver" and warning is None


def test_a_downgrade_waits_thirty_days_below_the_threshold_and_is_announced():
    months = {"2025-11": 600_000}  # gold spend, which leaves the window at the start of 2026-11
    tier, warning = effective(TABLE, "gold", months, at(2026, 10, 31))
    assert tier.name == "gold" and warning is None
    tier, warning = effective(TABLE, "gold", months, at(2026, 11, 20))
    assert tier.name == "gold" and warning == {"to_tier": "base", "on": "2026-12-01"}
    tier, warning = effective(TABLE, "gold", months, at(2026, 12, 1))
    assert tier.name == "base" and warning is None


def test_a_refund_lowers_the_spend_of_its_month_never_below_zero():
    months = add_spend({"2026-11": 500}, "2026-11", -800, at(2026, 11, 25))
    assert months == {"2026-11": 0}


def test_the_grace_runs_from_the_day_the_tier_was_reached_at_the_earliest():
    # silver reached on the 25th with this month's spend, then a refund the same day took it below
    months = {"2026-11": 40_000}
    tier, warning = effective(TABLE, "silver", months, at(2026, 11, 26), held_since="2026-11-25")
    assert tier.name == "silver" and warning == {"to_tier": "base", "on": "2026-12-25"}
    tier, _ = effective(TABLE, "silver", months, at(2026, 12, 26), held_since="2026-11-25")
    assert tier.name == "base"
