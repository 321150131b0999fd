"""The liability report: what the ledger owes, by age of the money and by expiry, equal to the reconciliation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from chalicelib.domain.errors import InvalidRequest
from chalicelib.services import reports
from chalicelib.services.admin import reconcile

from .test_bonus import T0, _ledger, pay, store, top_up  # noqa: F401 - store is the fixture

NOW = T0 + timedelta(days=10)


@pytest.fixture
def ledger(store, at):  # noqa: F811 - the fixture of test_bonus
    at(T0 - timedelta(days=100))
    top_up(store, 10_000, "old")  # before the plan: cash only, 110 days old at NOW
    at(T0)
    top_up(store, 10_000, "new")  # cash 10,000 and the plan's bonus 1,000 until T0 + 30 days
    pay(store, 600, 1)  # bonus first: 600 of the bonus
    pay(store, 300, 2, capture=False)  # 300 more bonus, on hold
    return store


def test_the_liability_is_every_wallet_owed_money_available_and_on_hold(ledger):
    report = reports.liability(_ledger(ledger), NOW)
    assert report["total"] == {"cash": 20_000, "bonus": 400, "total": 20_400}
    assert report["total"] == reconcile(_ledger(ledger))["totals"]["held"]


def test_the_money_left_is_the_newest_credited_first_in_first_out(ledger):
    by_age = {r["age_days"]: (r["cash"], r["bonus"]) for r in reports.liability(_ledger(ledger), NOW)["by_age"]}
    assert by_age == {
        "0-30": (10_000, 400),
        "31-90": (0, 0),
        "91-180": (10_000, 0),
        "181-365": (0, 0),
        "over_365": (0, 0),
    }


def test_bonus_by_the_month_it_expires_and_what_is_on_hold_apart(ledger):
    by_expiry = reports.liability(_ledger(ledger), NOW)["by_expiry"]
    assert by_expiry == [
        {"expires": "2026-12", "cash": 0, "bonus": 100, "total": 100},
        {"expires": "never", "cash": 20_000, "bonus": 0, "total": 20_000},
        {"expires": "on_hold", "cash": 0, "bonus": 300, "total": 300},
    ]
    assert sum(r["total"] for r in by_expiry) == 20_400


def test_a_report_period_is_refused_reversed_or_longer_than_a_year():
    assert reports.period(date(2026, 1, 1), date(2026, 1, 31)) == ("2026-01-01", "2026-01-31")
    for start, end in ((date(2026, 2, 1), date(2026, 1, 1)), (date(2025, 1, 1), date(2026, 1, 2))):
        with pytest.raises(InvalidRequest) as refused:
            reports.period(start, end)
        assert refused.value.code == "invalid_date_range"
