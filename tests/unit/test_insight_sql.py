"""The analyses' SQL (Athena's dialect, translated by sqlglot) on DuckDB over export rows: exact aggregates.

The events are built in the catalogue's shapes and each is checked against its JSON Schema first, so the
analyses read what the service really publishes."""

from __future__ import annotations

import jsonschema
import pytest

from chalicelib.events.catalogue import SCHEMAS, SOURCE
from chalicelib.insight import export
from chalicelib.insight.engine import DuckEngine, athena_sql, duckdb_sql

DAY = "2026-11-20"
N = iter(range(10_000))


def event(detail_type: str, detail: dict, day: str = DAY, event_id: str | None = None) -> dict:
    detail = {"event_id": event_id or f"00000000-0000-4000-8000-{next(N):012d}", **detail}
    jsonschema.validate(detail, SCHEMAS[detail_type], format_checker=jsonschema.FormatChecker())
    return {
        "version": "0",
        "id": f"bus-{next(N)}",
        "detail-type": detail_type,
        "source": SOURCE,
        "account": "123456789012",
        "time": f"{day}T10:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def line(price: int) -> list[dict]:
    return [{"sku": "s", "category": "books", "unit_price": price, "quantity": 1}]


def opened(cid: str, amount: int, merchant: str = "m1", day: str = DAY) -> dict:
    return event(
        "checkout.opened",
        {
            "checkout_id": cid,
            "merchant_id": merchant,
            "order_id": f"o-{cid}",
            "user_id": "u1",
            "amount": amount,
            "lines": line(amount),
            "expires_at": f"{day}T10:30:00.000Z",
            "occurred_at": f"{day}T10:00:00.000Z",
        },
        day,
    )


def quoted(cid: str, amount: int, limits: list[str], cash: int, minute: int = 1, event_id=None) -> dict:
    return event(
        "checkout.quoted",
        {
            "checkout_id": cid,
            "merchant_id": "m1",
            "user_id": "u1",
            "amount": amount,
            "lines": line(amount),
            "expires_at": f"{DAY}T10:30:00.000Z",
            "balance": min(amount, cash),
            "discount_total": 0,
            "external": 0,
            "payable": not limits,
            "limits": limits,
            "funds": {"cash": cash, "bonus": 0, "points": 0, "spent_today": 0},
            "points": 0,
            "occurred_at": f"{DAY}T10:{minute:02d}:00.000Z",
        },
        event_id=event_id,
    )


def paid(cid: str, amount: int, balance: int, event_id=None, user: str = "u1", day: str = DAY) -> dict:
    """payment.succeeded of the checkout ``cid`` (its order ``o-<cid>``), on ``day``."""
    return event(
        "payment.succeeded",
        {
            "payment_id": f"p-{cid}",
            "user_id": user,
            "merchant_id": "m1",
            "order_id": f"o-{cid}",
            "amount": amount,
            "balance_paid": balance,
            "lots": {"cash": balance, "bonus": 0},
            "discount": 0,
            "external": amount - balance,
            "points_spent": 0,
            "points_earned": 0,
            "occurred_at": f"{day}T08:00:00.000Z",
        },
        day,
        event_id=event_id,
    )


def engine(events: list[dict]) -> DuckEngine:
    rows = []
    for key, body in export.objects_of(events, "test").items():
        dt, detail_type = key.split("dt=")[1].split("/type=")
        rows += list(export.rows_of(body, dt, detail_type.split("/")[0]))
    return DuckEngine(rows)


@pytest.fixture
def checkouts() -> list[dict]:
    twice_quoted = quoted("c2", 3000, ["insufficient_balance"], 1200)
    twice_paid = paid("c1", 1000, 1000)
    return [
        opened("c1", 1000),
        quoted("c1", 1000, [], 5000),
        twice_paid,
        twice_paid,  # delivered twice: counted once
        opened("c2", 3000),
        quoted("c2", 3000, ["min_order_not_met"], 1200, minute=0),  # an earlier quote: the last one counts
        twice_quoted,
        twice_quoted,
        opened("c3", 500),
        quoted("c3", 500, ["min_order_not_met", "excluded_items"], 9000),
        opened("c4", 800),  # never quoted
        opened("c5", 700),
        quoted("c5", 700, [], 9000),  # nothing held it back; never paid
        opened("c6", 2000),
        quoted("c6", 2000, ["insufficient_balance"], 500),
        paid("c6", 2000, 500),  # partly by balance
        opened("c7", 999, day="2026-11-25"),  # outside the period
    ]


def test_the_obstacles_of_each_checkout_by_outcome_and_reason(checkouts):
    rows = engine(checkouts).run("obstacles", [DAY, DAY])
    got = {(r["outcome"], r["reason"]): (r["checkouts"], r["amount"], r["topup_needed"]) for r in rows}
    assert got == {
        ("full", "paid_by_balance"): (1, 1000, 0),
        ("none", "insufficient_balance"): (1, 3000, 1800),
        ("none", "min_order_not_met"): (1, 500, 0),
        ("none", "excluded_items"): (1, 500, 0),
        ("none", "never_quoted"): (1, 800, 0),
        ("none", "abandoned_after_quote"): (1, 700, 0),
        ("partial", "insufficient_balance"): (1, 2000, 1500),
    }
    assert {r["merchant_id"] for r in rows} == {"m1"}


def test_the_period_reads_only_its_days(checkouts):
    rows = engine(checkouts).run("obstacles", ["2026-11-25", "2026-11-25"])
    assert [(r["outcome"], r["reason"], r["checkouts"], r["amount"]) for r in rows] == [
        ("none", "never_quoted", 1, 999)
    ]


def test_every_copy_of_an_event_is_counted_by_its_id(checkouts):
    rows = engine(checkouts).run("event_ids", ["2026-11-01", "2026-11-30"])
    copies = sorted(r["copies"] for r in rows)
    assert len(rows) == len({id(e) for e in checkouts}) and copies.count(2) == 2 and sum(copies) == len(checkouts)


def test_the_export_files_each_event_under_its_day_and_type(checkouts):
    objects = export.objects_of(checkouts, "store-balance-test")
    assert {k.rsplit("/", 1)[0] for k in objects} == {
        f"export/events/dt={DAY}/type=checkout.opened",
        f"export/events/dt={DAY}/type=checkout.quoted",
        f"export/events/dt={DAY}/type=payment.succeeded",
        "export/events/dt=2026-11-25/type=checkout.opened",
    }
    assert all(k.endswith(".gz") and "/store-balance-test-1-" in k for k in objects)


def test_each_analysis_is_one_athena_text_that_translates():
    for name in ("obstacles", "event_ids"):
        assert "json_extract_scalar" in athena_sql(name) and "->>" in duckdb_sql(name)
