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


def ended(cid: str, amount: int, how: str = "expired", day: str = DAY) -> dict:
    """checkout.expired (the sweeper) or checkout.cancelled (the shop) of the checkout ``cid``, on ``day``."""
    order = {"checkout_id": cid, "merchant_id": "m1", "order_id": f"o-{cid}", "user_id": "u1", "amount": amount}
    extra = {"lines": line(amount), "expires_at": f"{day}T10:30:00.000Z"} if how == "expired" else {"reason": "x"}
    return event(f"checkout.{how}", {**order, **extra, "occurred_at": f"{day}T10:31:00.000Z"}, day)


def paid(
    cid: str,
    amount: int,
    balance: int,
    event_id=None,
    user: str = "u1",
    day: str = DAY,
    merchant: str = "m1",
    bonus: int = 0,
) -> dict:
    """payment.succeeded of the checkout ``cid`` (its order ``o-<cid>``), on ``day``: ``balance`` paid by the
    wallet (``bonus`` of it from the bonus lot), the rest of ``amount`` outside."""
    return event(
        "payment.succeeded",
        {
            "payment_id": f"p-{cid}",
            "user_id": user,
            "merchant_id": merchant,
            "order_id": f"o-{cid}",
            "amount": amount,
            "balance_paid": balance,
            "lots": {"cash": balance - bonus, "bonus": bonus},
            "discount": 0,
            "external": amount - balance,
            "points_spent": 0,
            "points_earned": 0,
            "occurred_at": f"{day}T08:00:00.000Z",
        },
        day,
        event_id=event_id,
    )


def refunded(cid: str, cash: int, bonus: int = 0, user: str = "u1", day: str = DAY, merchant: str = "m1") -> dict:
    """payment.refunded of the payment ``p-<cid>``: ``cash`` and ``bonus`` back to the wallet, on ``day``."""
    return event(
        "payment.refunded",
        {
            "user_id": user,
            "entry_id": f"e-r-{cid}-{next(N)}",
            "payment_id": f"p-{cid}",
            "refund_id": f"r-{cid}-{next(N)}",
            "merchant_id": merchant,
            "order_id": f"o-{cid}",
            "amount": cash + bonus,
            "lots": {"cash": cash, "bonus": bonus},
            "balance_after": {"cash": cash, "bonus": bonus},
            "occurred_at": f"{day}T09:00:00.000Z",
        },
        day,
    )


def credited(user: str, cash: int, bonus: int = 0, day: str = DAY) -> dict:
    """topup.credited: a top-up of ``cash`` with its plan's ``bonus``, on ``day``."""
    return event(
        "topup.credited",
        {
            "user_id": user,
            "entry_id": f"e-t-{user}-{next(N)}",
            "topup_id": f"t-{user}-{next(N)}",
            "amount": cash + bonus,
            "lots": {"cash": cash, "bonus": bonus},
            "balance_after": {"cash": cash, "bonus": bonus},
            **({"plan_id": "plan-1"} if bonus else {}),
            "occurred_at": f"{day}T07:00:00.000Z",
        },
        day,
    )


def expired(user: str, bonus: int, day: str = DAY, event_id=None) -> dict:
    """bonus.expired: the daily job took ``bonus`` back, on ``day``."""
    return event(
        "bonus.expired",
        {
            "user_id": user,
            "entry_id": f"e-x-{user}-{next(N)}",
            "amount": -bonus,
            "lots": {"cash": 0, "bonus": -bonus},
            "balance_after": {"cash": 0, "bonus": 0},
            "grant_ids": [f"bg_{user}"],
            "occurred_at": f"{day}T03:00:00.000Z",
        },
        day,
        event_id=event_id,
    )


def rated(user: str, rating: int, tags: list[str], at: str, event_id=None) -> dict:
    """feedback.submitted: ``user`` rated a payment at ``at`` (``YYYY-MM-DDTHH:MM``)."""
    return event(
        "feedback.submitted",
        {
            "feedback_id": f"fb-{next(N)}",
            "user_id": user,
            "subject_kind": "payment",
            "subject_id": f"p-{user}",
            "rating": rating,
            "tags": tags,
            "occurred_at": f"{at}:00.000Z",
        },
        at[:10],
        event_id=event_id,
    )


def entered(user: str, segment: str, at: str, was: str | None = None) -> dict:
    """segment.entered at ``at`` (``YYYY-MM-DDTHH:MM``), from the segment ``was`` (None: the first one)."""
    return event(
        "segment.entered",
        {
            "user_id": user,
            "segment": segment,
            "run_id": f"seg-{at}",
            **({"from": was} if was else {}),
            "occurred_at": f"{at}:00.000Z",
        },
        at[:10],
    )


def left(user: str, segment: str, at: str, to: str | None = None) -> dict:
    """segment.left at ``at``, for the segment ``to`` (None: none)."""
    return event(
        "segment.left",
        {
            "user_id": user,
            "segment": segment,
            "run_id": f"seg-{at}",
            **({"to": to} if to else {}),
            "occurred_at": f"{at}:00.000Z",
        },
        at[:10],
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
        quoted("c5", 700, [], 9000),  # nothing held it back; never paid, and it expired
        ended("c5", 700),
        opened("c8", 600),
        quoted("c8", 600, [], 9000),  # nothing held it back, not paid yet, still open: not abandoned (yet)
        opened("c9", 400),
        quoted("c9", 400, [], 9000),  # the shop cancelled it after the quote
        ended("c9", 400, "cancelled"),
        opened("c10", 300),
        quoted("c10", 300, ["min_order_not_met"], 9000),  # expired, but a limit held it back: named by the limit
        ended("c10", 300),
        ended("c11", 900),  # the end of a checkout opened before the period: not one of its checkouts
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
        ("none", "min_order_not_met"): (2, 800, 0),
        ("none", "excluded_items"): (1, 500, 0),
        ("none", "never_quoted"): (1, 800, 0),
        ("none", "abandoned_after_quote"): (2, 1100, 0),
        ("none", "open_after_quote"): (1, 600, 0),
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
        f"export/events/dt={DAY}/type=checkout.expired",
        f"export/events/dt={DAY}/type=checkout.cancelled",
        f"export/events/dt={DAY}/type=payment.succeeded",
        "export/events/dt=2026-11-25/type=checkout.opened",
    }
    assert all(k.endswith(".gz") and "/store-balance-test-1-" in k for k in objects)


def test_each_analysis_is_one_athena_text_that_translates():
    for name in ("obstacles", "event_ids", "breakage", "balance_share", "feedback_ratings"):
        assert "json_extract_scalar" in athena_sql(name) and "->>" in duckdb_sql(name)


# ---- breakage: bonus expired unused, beside the bonus granted --------------------------------------------------


@pytest.fixture
def bonus_events() -> list[dict]:
    twice = expired("u1", 400, "2026-11-04")
    return [
        credited("u1", 10_000, 1_000, "2026-10-05"),
        credited("u2", 5_000, 500, "2026-10-20"),
        credited("u3", 1_000, 0, "2026-10-21"),  # no plan: no bonus granted
        expired("u1", 100, "2026-10-31"),
        twice,
        twice,  # delivered twice: counted once
        expired("u2", 500, "2026-11-19"),
        expired("u5", 50, "2026-09-30"),  # before the period
        credited("u4", 3_000, 300, "2026-12-02"),  # after it
    ]


def test_breakage_is_the_bonus_expired_and_granted_per_month_with_a_total(bonus_events):
    rows = engine(bonus_events).run("breakage", ["2026-10-01", "2026-11-30"])
    assert [(r["month"], r["expired"], r["customers"], r["granted"]) for r in rows] == [
        ("2026-10", 100, 1, 1_500),
        ("2026-11", 900, 2, 0),
        (None, 1_000, 2, 1_500),  # u1 and u2, each counted once
    ]


def test_breakage_of_a_period_with_no_bonus_is_one_empty_total(bonus_events):
    rows = engine(bonus_events).run("breakage", ["2026-08-01", "2026-08-31"])
    assert [(r["month"], r["expired"] or 0, r["customers"], r["granted"] or 0) for r in rows] == [(None, 0, 0, 0)]


# ---- balance share: what balance paid of the sales, per merchant and day ------------------------------------------


@pytest.fixture
def sales_events() -> list[dict]:
    twice = paid("c1", 1_000, 1_000, bonus=300, day="2026-11-20")
    return [
        twice,
        twice,  # delivered twice: counted once
        paid("c2", 2_000, 500, day="2026-11-20"),  # 1,500 paid outside
        paid("c3", 800, 800, merchant="m2", day="2026-11-20"),
        refunded("c1", 200, 100, day="2026-11-21"),
        refunded("c3", 800, merchant="m2", day="2026-11-21"),
        paid("c4", 500, 500, day="2026-11-21"),
        paid("c5", 9_999, 9_999, day="2026-11-22"),  # after the period
    ]


def test_balance_share_sums_sales_balance_and_refunds_per_merchant_and_day(sales_events):
    rows = engine(sales_events).run("balance_share", ["2026-11-20", "2026-11-21"])
    names = ("payments", "sales", "external", "cash", "bonus", "refunds", "refunded_cash", "refunded_bonus")
    assert {(r["merchant_id"], r["day"]): tuple(r[n] for n in names) for r in rows} == {
        ("m1", "2026-11-20"): (2, 3_000, 1_500, 1_200, 300, 0, 0, 0),
        ("m1", "2026-11-21"): (1, 500, 0, 500, 0, 1, 200, 100),
        ("m2", "2026-11-20"): (1, 800, 0, 800, 0, 0, 0, 0),
        ("m2", "2026-11-21"): (0, 0, 0, 0, 0, 1, 800, 0),  # a refund on a day without sales
    }


# ---- feedback: ratings by the segment the customer was in, and by tag ------------------------------------------


@pytest.fixture
def feedback_events() -> list[dict]:
    twice = rated("u1", 4, [], "2026-11-21T09:00")
    return [
        entered("u1", "new", "2026-11-01T00:00"),  # before the period: read from the lookback
        rated("u1", 5, ["fast"], "2026-11-20T10:00"),  # new
        left("u1", "new", "2026-11-20T12:00", to="champions"),
        entered("u1", "champions", "2026-11-20T12:00", was="new"),
        rated("u1", 3, ["fast", "wrong-amount"], "2026-11-20T12:00"),  # at the change: champions
        twice,
        twice,  # delivered twice: counted once (champions)
        rated("u2", 2, ["slow"], "2026-11-20T08:00"),  # promising: what her later move came from
        entered("u2", "loyal", "2026-11-21T06:00", was="promising"),
        rated("u3", 1, ["slow", "wrong-amount"], "2026-11-21T08:00"),  # never segmented: none
        rated("u3", 2, ["slow"], "2026-11-19T08:00"),  # before the period
        rated("u4", 5, [], "2026-11-21T10:00"),  # none: their first segment came after
        entered("u4", "dormant", "2026-11-21T20:00"),
        entered("u5", "at_risk", "2026-11-02T00:00"),
        left("u5", "at_risk", "2026-11-10T00:00"),
        rated("u5", 4, ["fast"], "2026-11-20T09:00"),  # left their segment for none
        entered("u6", "loyal", "2026-11-01T00:00"),
        rated("u6", 3, [], "2026-11-20T11:00"),  # loyal since before the period, and still
    ]


def test_ratings_by_segment_at_the_time_and_by_tag(feedback_events):
    rows = engine(feedback_events).run("feedback_ratings", ["2026-01-01", "2026-11-21", "2026-11-20"])
    got = {
        (r["dimension"], r["name"]): (r["ratings"], r["rating_sum"], r["r1"], r["r2"], r["r3"], r["r4"], r["r5"])
        for r in rows
    }
    assert got == {
        ("all", "all"): (8, 27, 1, 1, 2, 2, 2),
        ("segment", "champions"): (2, 7, 0, 0, 1, 1, 0),
        ("segment", "loyal"): (1, 3, 0, 0, 1, 0, 0),
        ("segment", "new"): (1, 5, 0, 0, 0, 0, 1),
        ("segment", "none"): (3, 10, 1, 0, 0, 1, 1),
        ("segment", "promising"): (1, 2, 0, 1, 0, 0, 0),
        ("tag", "fast"): (3, 12, 0, 0, 1, 1, 1),
        ("tag", "slow"): (2, 3, 1, 1, 0, 0, 0),
        ("tag", "wrong-amount"): (2, 4, 1, 0, 1, 0, 0),
    }


def test_the_segment_events_before_the_period_are_read_from_the_lookback_on(feedback_events):
    rows = engine(feedback_events).run("feedback_ratings", ["2026-11-15", "2026-11-21", "2026-11-20"])
    segments = {r["name"]: r["ratings"] for r in rows if r["dimension"] == "segment"}
    # u6 entered loyal on 11-01, before the events read: none. u1's first rating is still "new": her move out
    # of it on 11-20 says what she was in
    assert segments == {"champions": 2, "new": 1, "none": 4, "promising": 1}


def test_the_engine_holds_every_row_as_given():
    """The rows go in one statement, a list per column: each row keeps its values in its columns, NULLs too."""
    rows = [tuple(f"{i}:{c}" if (i + n) % 3 else None for n, c in enumerate(export.COLUMNS)) for i in range(250)]
    engine = DuckEngine(rows)
    names = ", ".join(export.COLUMNS)
    held = engine.db.execute(f"SELECT {names} FROM events").fetchall()
    assert sorted(held, key=str) == sorted(rows, key=str) and len(held) == 250
    with pytest.raises(ValueError):
        DuckEngine([rows[0], rows[1][:-1]])  # a row short of a column is refused, not shifted
    assert DuckEngine([]).db.execute("SELECT count(*) FROM events").fetchone() == (0,)
