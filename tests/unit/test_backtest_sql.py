"""The backtest's analysis (``backtest_checkouts``) on DuckDB over export rows in the catalogue's shapes: one row per
checkout of the merchant, with its last open quote's funds, exactly."""

from __future__ import annotations

from chalicelib.insight import export
from chalicelib.insight.engine import DuckEngine
from tests.unit.test_insight_sql import event

DAY, BEFORE, AFTER = "2026-11-20", "2026-11-19", "2026-11-22"


def opened(cid: str, amount: int, day: str = DAY, merchant: str = "m1", minute: int = 0, order: str | None = None):
    return event(
        "checkout.opened",
        {
            "checkout_id": cid,
            "merchant_id": merchant,
            "order_id": order or f"o-{cid}",
            "user_id": "u1",
            "amount": amount,
            "lines": [{"sku": "tea", "category": "food", "unit_price": amount, "quantity": 1}],
            "expires_at": f"{day}T23:30:00.000Z",
            "occurred_at": f"{day}T10:{minute:02d}:00.000Z",
        },
        day,
    )


def quoted(cid: str, amount: int, cash: int, minute: int, day: str = DAY, merchant: str = "m1", **extra):
    return event(
        "checkout.quoted",
        {
            "checkout_id": cid,
            "merchant_id": merchant,
            "user_id": "u1",
            "amount": amount,
            "lines": [{"sku": "tea", "category": "food", "unit_price": amount, "quantity": 1}],
            "expires_at": f"{day}T23:30:00.000Z",
            "balance": min(amount, cash),
            "discount_total": 0,
            "external": 0,
            "payable": True,
            "limits": [],
            "funds": {"cash": cash, "bonus": 7, "points": 30, "spent_today": 11},
            "points": 0,
            "allow_partial": False,
            "rules_version": 1,
            "occurred_at": f"{day}T10:{minute:02d}:00.000Z",
            **extra,
        },
        day,
    )


def paid(cid: str, amount: int, day: str = DAY):
    return event(
        "payment.succeeded",
        {
            "payment_id": f"p-{cid}",
            "user_id": "u1",
            "merchant_id": "m1",
            "order_id": f"o-{cid}",
            "amount": amount,
            "balance_paid": amount,
            "lots": {"cash": amount, "bonus": 0},
            "discount": 0,
            "external": 0,
            "points_spent": 0,
            "points_earned": 0,
            "occurred_at": f"{day}T10:30:00.000Z",
        },
        day,
    )


def rows(events: list[dict], first: str = DAY, last: str = DAY, merchant: str = "m1") -> list[dict]:
    objects = export.objects_of(events, "test")
    data = [r for key, body in objects.items() for r in export.rows_of(body, *_partition(key))]
    return DuckEngine(data).run("backtest_checkouts", [first, BEFORE, last, merchant])


def _partition(key: str) -> tuple[str, str]:
    dt = key.split("dt=", 1)[1].split("/", 1)[0]
    return dt, key.split("type=", 1)[1].split("/", 1)[0]


def test_each_checkout_comes_with_its_last_open_quote_and_whether_it_was_paid():
    first_quote = quoted("c1", 1000, 5000, 1)
    events = [
        opened("c1", 1000),
        first_quote,
        first_quote,  # delivered twice: counted once
        quoted("c1", 1000, 4000, 2, points=20, allow_partial=True, coupon_id="cpn_1", tier="gold"),
        quoted("c1", 1000, 3000, 40, refusal="order_already_paid", payable=False),  # after it was paid: left out
        paid("c1", 1000),
        opened("c2", 800, day=BEFORE),  # opened the day before, quoted in the period
        quoted("c2", 800, 100, 5, refusal="insufficient_balance", payable=False),
        opened("c3", 500),  # never quoted
        opened("c4", 600, merchant="m2"),  # another merchant's
        quoted("c4", 600, 900, 3, merchant="m2"),
        opened("c5", 700, day=BEFORE),  # before the period and never quoted in it
        quoted("c6", 300, 900, 7, day=AFTER),  # after the period
    ]
    got = {r["checkout_id"]: r for r in rows(events)}
    assert set(got) == {"c1", "c2", "c3"}
    c1 = got["c1"]
    assert c1["quoted"] and c1["occurred_at"] == f"{DAY}T10:02:00.000Z"
    assert (c1["cash"], c1["bonus"], c1["points_available"], c1["spent_today"]) == (4000, 7, 30, 11)
    assert (c1["points"], c1["allow_partial"], c1["coupon_id"], c1["tier"]) == (20, True, "cpn_1", "gold")
    assert c1["paid"] is True and c1["balance_paid"] == 1000
    assert c1["lines"].replace(" ", "") == '[{"sku":"tea","category":"food","unit_price":1000,"quantity":1}]'
    c2 = got["c2"]
    assert c2["quoted"] and c2["cash"] == 100 and c2["refusal"] == "insufficient_balance" and c2["paid"] is False
    assert c2["allow_partial"] is False and c2["coupon_id"] is None
    c3 = got["c3"]
    assert c3["quoted"] is False and c3["cash"] is None and c3["paid"] is False
    assert [r["checkout_id"] for r in rows(events)] == ["c3", "c1", "c2"]  # by their moment


def test_an_order_paid_after_a_second_checkout_counts_the_payment_on_the_one_opened_last():
    events = [
        opened("c1", 1000, minute=0, order="o-c2"),
        quoted("c1", 1000, 5000, 1),
        opened("c2", 1000, minute=40, order="o-c2"),  # the first expired: the order got a new checkout
        quoted("c2", 1000, 5000, 41),
        paid("c2", 1000),
    ]
    got = {r["checkout_id"]: r["paid"] for r in rows(events)}
    assert got == {"c1": False, "c2": True}
