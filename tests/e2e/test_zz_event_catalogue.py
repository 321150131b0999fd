"""Every event the end-to-end suite made the session stack put on its bus matches the catalogue's JSON
Schema for its detail type (named zz: it runs after the other end-to-end modules, over what they did)."""
from __future__ import annotations

import time

import jsonschema

from chalicelib.events.catalogue import DETAIL_TYPES, SCHEMAS, SOURCE

# what the suite does for certain (top-ups, payments, holds, refunds, adjustments, points, coupons, bonus)
MUST_SEE = {"topup.credited", "payment.authorized", "payment.succeeded", "payment.voided", "payment.refunded",
            "balance.adjusted", "bonus.expired", "points.earned", "points.spent", "coupon.granted", "coupon.used",
            "promotion.started", "notification.sent", "wallet.balance_low", "checkout.cancelled"}


def test_every_event_on_the_bus_matches_its_schema(bus_events, api):
    time.sleep(2)  # what the last module wrote reaches the bus
    events = list(bus_events.events)
    assert events, "the suite put nothing on the bus"
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    problems = []
    for e in events:
        if e["source"] != SOURCE or e["detail-type"] not in SCHEMAS:
            problems.append(f"unknown event {e['source']} / {e['detail-type']}")
            continue
        for error in jsonschema.Draft202012Validator(SCHEMAS[e["detail-type"]], format_checker=checker
                                                     ).iter_errors(e["detail"]):
            problems.append(f"{e['detail-type']} {e['detail'].get('event_id')}: {error.message}")
    assert problems == []
    seen = {e["detail-type"] for e in events}
    assert MUST_SEE <= seen, f"never published: {sorted(MUST_SEE - seen)}"
    assert seen <= set(DETAIL_TYPES)


def test_the_catalogue_documents_every_detail_type():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text()
    assert set(SCHEMAS) == set(DETAIL_TYPES)
    assert [t for t in DETAIL_TYPES if f"`{t}`" not in doc] == []


def test_a_schema_refuses_a_detail_that_drifted():
    schema = SCHEMAS["payment.succeeded"]
    good = {"event_id": "7d1f2c2e-8a5f-5c4c-9a55-0b1f3f9d6a10", "payment_id": "p", "user_id": "u", "merchant_id": "m",
            "order_id": "o", "amount": 100, "balance_paid": 100, "lots": {"cash": 100, "bonus": 0}, "discount": 0,
            "external": 0, "points_spent": 0, "points_earned": 1, "occurred_at": "2026-11-25T10:00:00Z"}
    jsonschema.validate(good, schema)
    for drifted in ({**good, "amount": "100"}, {**good, "surprise": 1}, {k: v for k, v in good.items() if k != "user_id"}):
        try:
            jsonschema.validate(drifted, schema)
        except jsonschema.ValidationError:
            continue
        raise AssertionError(f"accepted {drifted}")
