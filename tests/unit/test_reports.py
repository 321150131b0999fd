"""The reports: the liability (what the ledger owes, by age of the money and by expiry, equal to the
reconciliation); the breakage, the balance share and the ratings over export rows on DuckDB (the events of
tests/unit/test_insight_sql.py); the segment sizes from the runs in the profile store."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from chalicelib.domain.errors import InvalidRequest
from chalicelib.insight.segments import SEGMENTS
from chalicelib.services import reports
from chalicelib.services.admin import reconcile

from .fakes import FakeProfileStore
from .test_bonus import T0, _ledger, pay, store, top_up  # noqa: F401 - store is the fixture
from .test_insight_sql import bonus_events, engine, feedback_events, sales_events  # noqa: F401 - fixtures

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


# ---- the export's reports ------------------------------------------------------------------------------------


def test_breakage_names_every_month_of_the_period_with_its_rate_where_bonus_was_granted(bonus_events):  # noqa: F811
    report = reports.breakage(engine(bonus_events), date(2026, 9, 15), date(2026, 11, 30))
    assert (report["from"], report["to"]) == ("2026-09-15", "2026-11-30")
    assert report["months"] == [
        {"month": "2026-09", "expired": 50, "customers": 1, "granted": 0, "breakage_bp": None},
        {"month": "2026-10", "expired": 100, "customers": 1, "granted": 1_500, "breakage_bp": 666},
        {"month": "2026-11", "expired": 900, "customers": 2, "granted": 0, "breakage_bp": None},
    ]
    assert report["total"] == {"expired": 1_050, "customers": 3, "granted": 1_500, "breakage_bp": 7_000}


def test_breakage_of_a_period_without_bonus_is_zero_each_month():
    report = reports.breakage(engine([]), date(2026, 12, 20), date(2027, 1, 5))
    assert [m["month"] for m in report["months"]] == ["2026-12", "2027-01"]
    assert report["total"] == {"expired": 0, "customers": 0, "granted": 0, "breakage_bp": None}


def lots(cash: int, bonus: int) -> dict:
    return {"cash": cash, "bonus": bonus, "total": cash + bonus}


def test_the_balance_share_is_net_balance_over_sales_per_merchant_and_day(sales_events):  # noqa: F811
    report = reports.balance_share(engine(sales_events), date(2026, 11, 20), date(2026, 11, 21))
    rows = {(r["merchant_id"], r["day"]): r for r in report["rows"]}
    assert rows[("m1", "2026-11-20")] == {
        "merchant_id": "m1",
        "day": "2026-11-20",
        "payments": 2,
        "sales": 3_000,
        "external": 1_500,
        "balance_paid": lots(1_200, 300),
        "refunds": 0,
        "refunded": lots(0, 0),
        "net": lots(1_200, 300),
        "share_bp": 5_000,
    }
    assert (rows[("m1", "2026-11-21")]["net"], rows[("m1", "2026-11-21")]["share_bp"]) == (lots(300, -100), 4_000)
    assert rows[("m2", "2026-11-20")]["share_bp"] == 10_000
    assert (rows[("m2", "2026-11-21")]["net"], rows[("m2", "2026-11-21")]["share_bp"]) == (lots(-800, 0), None)
    total = report["total"]
    assert (total["payments"], total["sales"], total["net"], total["share_bp"]) == (4, 4_300, lots(1_500, 200), 3_953)


def test_the_balance_share_of_one_merchant_is_its_rows_and_their_total(sales_events):  # noqa: F811
    report = reports.balance_share(engine(sales_events), date(2026, 11, 20), date(2026, 11, 21), "m1")
    assert [(r["merchant_id"], r["day"]) for r in report["rows"]] == [("m1", "2026-11-20"), ("m1", "2026-11-21")]
    total = report["total"]
    assert (total["sales"], total["balance_paid"], total["refunded"], total["share_bp"]) == (
        3_500,
        lots(1_700, 300),
        lots(200, 100),
        4_857,
    )


def test_the_ratings_by_segment_and_tag_with_averages_and_distributions(feedback_events):  # noqa: F811
    report = reports.feedback(engine(feedback_events), date(2026, 11, 20), date(2026, 11, 21))
    assert report["total"] == {
        "ratings": 8,
        "average": 3.38,
        "distribution": {"1": 1, "2": 1, "3": 2, "4": 2, "5": 2},
    }
    assert [(s["segment"], s["ratings"], s["average"]) for s in report["by_segment"]] == [
        ("champions", 2, 3.5),
        ("loyal", 1, 3.0),
        ("new", 1, 5.0),
        ("none", 3, 3.33),
        ("promising", 1, 2.0),
    ]
    assert report["by_tag"][0] == {
        "tag": "fast",
        "ratings": 3,
        "average": 4.0,
        "distribution": {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1},
    }
    assert [(t["tag"], t["ratings"]) for t in report["by_tag"]] == [("fast", 3), ("slow", 2), ("wrong-amount", 2)]


def test_the_ratings_report_reads_the_segment_events_from_a_year_before_its_period():
    assert reports.feedback_reads_from(date(2026, 11, 20)) == date(2025, 11, 19)
    report = reports.feedback(engine([]), date(2026, 11, 20), date(2026, 11, 21))
    assert report["total"] == {"ratings": 0, "average": None, "distribution": dict.fromkeys("12345", 0)}
    assert report["by_segment"] == report["by_tag"] == []


# ---- segment sizes: the runs in the ledger ----------------------------------------------------------------------


def run(runs: FakeProfileStore, n: int, as_of: str, sizes: dict[str, int], state: str = "succeeded") -> str:
    run_id = f"seg_{n:012x}"
    runs.put_run(
        {
            "run_id": run_id,
            "state": state,
            "started_at": f"{as_of}T01:{n % 60:02d}:00.000Z",
            "finished_at": f"{as_of}T02:{n % 60:02d}:00.000Z",
            "customers": sum(sizes.values()),
            "summary": {"as_of": as_of, "segments": {k: {"size": v} for k, v in sizes.items()}},
        }
    )
    return run_id


def test_each_day_has_the_sizes_of_its_last_succeeded_run():
    runs = FakeProfileStore()
    run(runs, 1, "2026-11-19", {"new": 9})  # before the period
    run(runs, 2, "2026-11-20", {"new": 3, "champions": 1})
    last = run(runs, 3, "2026-11-20", {"new": 2, "champions": 2})  # the day's last
    run(runs, 4, "2026-11-21", {"new": 7}, state="failed")
    later = run(runs, 5, "2026-11-22", {"new": 1})
    report = reports.segment_sizes(runs, date(2026, 11, 20), date(2026, 11, 22))
    days = {d["day"]: d for d in report["days"]}
    assert list(days) == ["2026-11-20", "2026-11-21", "2026-11-22"]
    assert days["2026-11-20"]["run_id"] == last and days["2026-11-20"]["finished_at"] == "2026-11-20T02:03:00.000Z"
    assert days["2026-11-20"]["sizes"] == {name: {"new": 2, "champions": 2}.get(name, 0) for name in SEGMENTS}
    assert (days["2026-11-21"]["run_id"], days["2026-11-21"]["sizes"]) == (None, {})
    assert (days["2026-11-22"]["run_id"], days["2026-11-22"]["sizes"]["new"]) == (later, 1)


def test_the_runs_are_read_back_far_enough_for_an_old_period():
    runs = FakeProfileStore()
    first = date(2026, 6, 1)
    for i in range(200):  # a run a day after the period, more than one read of runs brings
        run(runs, i, (first + timedelta(days=i)).isoformat(), {"loyal": i})
    report = reports.segment_sizes(runs, first, first + timedelta(days=2))
    assert [d["sizes"]["loyal"] for d in report["days"]] == [0, 1, 2]
    assert all(d["run_id"] for d in report["days"])


def test_the_segment_sizes_period_is_refused_when_too_long():
    with pytest.raises(InvalidRequest) as refused:
        reports.segment_sizes(FakeProfileStore(), date(2025, 1, 1), date(2026, 1, 2))
    assert refused.value.code == "invalid_date_range"
