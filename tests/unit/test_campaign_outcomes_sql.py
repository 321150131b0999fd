"""campaign_outcomes (Athena's dialect, translated by sqlglot) on DuckDB over export rows: each customer's balance
payments before and after a campaign's run, exact to the instant and to the fen."""

from __future__ import annotations

import pytest

from chalicelib.insight.engine import athena_sql, duckdb_sql

from .test_insight_sql import credited, engine, event, paid

PRE_FROM, RUN_AT, UNTIL = "2026-11-17T12:00:00.000Z", "2026-11-20T12:00:00.000Z", "2026-11-23T12:00:00.000Z"
DAYS = ("2026-11-17", "2026-11-23")  # pre_from's day to until's day


def payment(
    user: str,
    at: str | None,
    balance: int,
    amount: int | None = None,
    merchant: str = "m1",
    day: str | None = None,
    bonus: int = 0,
) -> dict:
    """payment.succeeded at the instant ``at`` (None: no occurred_at, the envelope's time counts), filed under
    ``day`` (the bus's; default the instant's own): ``balance`` of ``amount`` paid by the wallet."""
    amount = balance if amount is None else amount
    detail = {
        "payment_id": f"p-{user}-{at}",
        "user_id": user,
        "merchant_id": merchant,
        "order_id": f"o-{user}-{at}",
        "amount": amount,
        "balance_paid": balance,
        "lots": {"cash": balance - bonus, "bonus": bonus},
        "discount": 0,
        "external": amount - balance,
        "points_spent": 0,
        "points_earned": 0,
        **({"occurred_at": at} if at else {}),
    }
    return event("payment.succeeded", detail, day or (at or "")[:10])


@pytest.fixture
def events() -> list[dict]:
    twice = payment("u2", "2026-11-21T09:00:00.000Z", 1_000, amount=3_000)  # 2,000 paid outside
    return [
        payment("u1", "2026-11-17T11:59:59.999Z", 1),  # a millisecond before the pre-period: not counted
        payment("u1", PRE_FROM, 100),  # the pre-period's first instant: pre
        payment("u1", "2026-11-20T11:59:59.999Z", 200, bonus=50),  # its last: pre
        payment("u1", RUN_AT, 400),  # the run's instant: post
        payment("u1", "2026-11-23T11:59:59.999Z", 800),  # post's last instant
        payment("u1", UNTIL, 1_600),  # the end is not in it
        twice,
        twice,  # delivered twice: counted once
        payment("u3", "2026-11-18T08:00:00.000Z", 700, merchant="m2"),  # another merchant's
        payment("u3", "2026-11-21T08:00:00.000Z", 300),
        payment("u4", "2026-11-20T19:59:00.000+08:00", 50),  # 11:59 UTC: pre, though its local day is later
        payment("u4", "2026-11-20T20:00:00.000+08:00", 60),  # 12:00 UTC: post
        payment("u5", None, 90, day="2026-11-21"),  # no occurred_at: the envelope's time (10:00 UTC): post
        payment("u6", "2026-11-19T23:59:59.000Z", 30, day="2026-11-20"),  # filed the next day: its own moment
        payment("u7", "2026-11-16T20:00:00.000Z", 5_000),  # before, and on a day not read
        payment("u7", "2026-11-24T08:00:00.000Z", 5_000),  # after
        credited("u8", 10_000, 1_000, "2026-11-21"),  # a top-up is no payment
        payment("u9", "2026-11-22T08:00:00.000Z", 0, amount=900),  # a payment balance paid none of: counted
    ]


def outcomes(rows: list[dict]) -> dict[str, tuple[int, int, int, int]]:
    return {r["user_id"]: (r["pre_payments"], r["pre_spent"], r["post_payments"], r["post_spent"]) for r in rows}


def test_each_customers_balance_payments_before_and_after_the_run(events):
    rows = engine(events).run("campaign_outcomes", [*DAYS, PRE_FROM, RUN_AT, UNTIL, ""])
    assert [r["user_id"] for r in rows] == sorted(r["user_id"] for r in rows)  # ordered, one row each
    assert outcomes(rows) == {
        "u1": (2, 300, 2, 1_200),
        "u2": (0, 0, 1, 1_000),
        "u3": (1, 700, 1, 300),
        "u4": (1, 50, 1, 60),
        "u5": (0, 0, 1, 90),
        "u6": (1, 30, 0, 0),
        "u9": (0, 0, 1, 0),
    }
    assert all(isinstance(v, int) for r in rows for k, v in r.items() if k != "user_id")


def test_a_merchants_campaign_counts_its_own_merchants_payments_only(events):
    rows = engine(events).run("campaign_outcomes", [*DAYS, PRE_FROM, RUN_AT, UNTIL, "m2"])
    assert outcomes(rows) == {"u3": (1, 700, 0, 0)}
    rows = engine(events).run("campaign_outcomes", [*DAYS, PRE_FROM, RUN_AT, UNTIL, "m1"])
    assert outcomes(rows)["u3"] == (0, 0, 1, 300) and len(rows) == 7


def test_only_the_days_read_count(events):
    # u1's last pre-period payment, u4's and u6's (occurred on 11-19, filed on 11-20) are on dt 2026-11-20: a
    # read ending the day before misses them (docs/insight.md)
    rows = engine(events).run("campaign_outcomes", ["2026-11-17", "2026-11-19", PRE_FROM, RUN_AT, UNTIL, ""])
    assert outcomes(rows) == {"u1": (1, 100, 0, 0), "u3": (1, 700, 0, 0)}


def test_no_payment_in_either_period_is_no_rows(events):
    rows = engine(events).run(
        "campaign_outcomes",
        ["2026-12-01", "2026-12-10", "2026-12-01T00:00:00.000Z", "2026-12-05T00:00:00Z", "2026-12-09T00:00:00Z", ""],
    )
    assert rows == []


def test_the_figures_agree_with_the_profiles_f_and_m():
    # the same payments read by customer_features over the post-period's days (instants at midnight)
    events = [
        paid("a1", 1_000, 1_000, user="v1", day="2026-11-20", bonus=200),
        paid("a2", 2_500, 700, user="v1", day="2026-11-22"),
        paid("a3", 400, 400, user="v2", day="2026-11-21", merchant="m2"),
        paid("a4", 900, 900, user="v2", day="2026-11-18"),  # the pre-period
        paid("a5", 300, 300, user="v3", day="2026-11-23"),  # after both
    ]
    events.append(events[0])  # delivered twice
    db = engine(events)
    rows = db.run(
        "campaign_outcomes",
        [
            "2026-11-17",
            "2026-11-22",
            "2026-11-17T00:00:00.000Z",
            "2026-11-20T00:00:00.000Z",
            "2026-11-23T00:00:00Z",
            "",
        ],
    )
    profiles = db.run("customer_features", ["2026-11-20", "2026-11-22", "2026-11-20"])
    assert (
        {r["user_id"]: (r["post_payments"], r["post_spent"]) for r in rows}
        == {p["user_id"]: (p["frequency"], p["monetary"]) for p in profiles}
        == {"v1": (2, 1_700), "v2": (1, 400)}
    )
    assert {r["user_id"]: r["pre_spent"] for r in rows} == {"v1": 0, "v2": 900}


def test_the_analysis_is_one_athena_text_that_translates():
    text = athena_sql("campaign_outcomes")
    assert "from_iso8601_timestamp" in text and "date_diff(" not in text
    assert "json_transform" in duckdb_sql("campaign_outcomes").lower()
    assert text.count("?") == 6
