"""A checkout that ends unpaid: the sweeper's expiry on the in-memory store, and ``checkout.expired`` from
the stream record that expiry writes (the record as Lambda delivers it, read through Powertools' data class
by the publisher's own ``record_events``)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest

from chalicelib.domain.errors import CheckoutExpired
from chalicelib.domain.pricing import PayOptions
from chalicelib.events.catalogue import SCHEMAS
from chalicelib.events.mapping import event_id
from chalicelib.services import checkout_expiry, checkouts, payments
from chalicelib.services.common import LedgerPolicy
from chalicelib.services.merchant_rules import ConfigCache

from .test_checkout_services import ALICE, SHOP, open_checkout, pay
from .test_services import req

OPENED = datetime(2026, 11, 25, 15, 50, tzinfo=timezone.utc)
PAST_IT = OPENED + timedelta(seconds=61)  # the checkouts below expire 60 s after opening


@pytest.fixture
def store():
    from chalicelib.domain.model import Merchant

    from .fakes import FakeLedgerStore
    from .test_services import fund

    s = FakeLedgerStore()
    s.put_merchant(Merchant("m1", "Shop"), "t")
    fund(s, "alice", 10_000)
    return s


# ---- the sweeper's expiry ------------------------------------------------------------------------------


def test_an_open_checkout_expires_once_its_time_has_passed_and_only_once(store, at):
    at(OPENED)
    checkout_id = open_checkout(store, 1, ttl=60)
    at(OPENED + timedelta(seconds=59))
    assert store.open_checkouts_due("2026-11-25T15:50:59.000Z") == []
    assert checkout_expiry.expire_checkout(store, checkout_id) is False  # time left: nothing changes
    assert store.checkouts[checkout_id].status == "open"
    at(PAST_IT)
    assert store.open_checkouts_due("2026-11-25T15:51:01.000Z") == [checkout_id]
    assert checkout_expiry.expire_checkout(store, checkout_id) is True
    assert store.checkouts[checkout_id].status == "expired"
    assert store.open_checkouts_due("2026-11-25T15:51:01.000Z") == []  # off the work list
    assert checkout_expiry.expire_checkout(store, checkout_id) is False  # a stale work list: nothing twice


def test_a_paid_a_cancelled_or_an_authorized_checkout_never_expires(store, at):
    at(OPENED)
    paid, cancelled, held = (open_checkout(store, n, ttl=60) for n in (2, 3, 4))
    pay(store, paid, "p-paid")
    checkouts.cancel_checkout(store, LedgerPolicy(), SHOP, cancelled, None)
    payments.pay(store, LedgerPolicy(), ConfigCache(0), ALICE, req("p-held"), held, PayOptions(capture=False))
    at(PAST_IT)
    assert [checkout_expiry.expire_checkout(store, c) for c in (paid, cancelled, held)] == [False, False, False]
    assert [store.checkouts[c].status for c in (paid, cancelled, held)] == ["paid", "cancelled", "authorized"]


def test_an_authorization_voided_after_the_checkouts_time_leaves_it_open_and_the_sweeper_expires_it(store, at):
    from chalicelib.services import authorizations

    at(OPENED)
    checkout_id = open_checkout(store, 5, ttl=60)
    held = payments.pay(
        store, LedgerPolicy(), ConfigCache(0), ALICE, req("p-void"), checkout_id, PayOptions(capture=False)
    )
    at(PAST_IT)
    assert store.open_checkouts_due("2026-11-25T15:51:01.000Z") == [checkout_id]  # authorized: still listed
    authorizations.void(store, LedgerPolicy(), ALICE, req("v-void"), held.body["payment_id"])
    assert store.checkouts[checkout_id].status == "open"
    assert checkout_expiry.expire_checkout(store, checkout_id) is True


def test_an_expired_checkout_is_refused_to_the_payment_quoted_as_expired_and_its_cancel_changes_nothing(store, at):
    at(OPENED)
    checkout_id = open_checkout(store, 6, ttl=60)
    at(PAST_IT)
    assert checkout_expiry.expire_checkout(store, checkout_id)
    at(OPENED)  # even by a clock that says there is time left: the stored state decides
    with pytest.raises(CheckoutExpired):
        pay(store, checkout_id, "p-late")
    quote = checkouts.quote(store, LedgerPolicy(), ConfigCache(0), ALICE, checkout_id, PayOptions())
    assert (quote["payable"], quote["refusal"]["code"]) == (False, "checkout_expired")
    view = checkouts.cancel_checkout(store, LedgerPolicy(), SHOP, checkout_id, "too late")
    assert (view["status"], view["cancelled_at"], view["cancel_reason"]) == ("expired", None, None)
    assert store.checkouts[checkout_id].status == "expired"
    assert store.wallets["alice"].lots.total == 10_000


# ---- checkout.expired from the stream ------------------------------------------------------------------

LINES = [{"sku": "tea", "category": "food", "unit_price": 1250, "quantity": 2}]
OPEN_IMAGE = {
    "pk": {"S": "C#chk_0190a1b2c3d4e5f60718293a4b5c6d7e"},
    "sk": {"S": "CHECKOUT"},
    "kind": {"S": "checkout"},
    "checkout_id": {"S": "chk_0190a1b2c3d4e5f60718293a4b5c6d7e"},
    "merchant_id": {"S": "m1"},
    "order_id": {"S": "o-1"},
    "user_id": {"S": "alice"},
    "lines": {"S": json.dumps(LINES)},  # a PynamoDB JSONAttribute: a JSON string
    "status": {"S": "open"},
    "created_at": {"S": "2026-11-25T15:50:00.000Z"},
    "expires_at": {"S": "2026-11-25T15:51:00.000Z"},
    "hold_shard": {"S": "6"},
    "hold_due": {"S": "2026-11-25T15:51:00.000Z"},
}
EXPIRED_IMAGE = {
    **{k: v for k, v in OPEN_IMAGE.items() if k not in ("hold_shard", "hold_due")},
    "status": {"S": "expired"},
    "expired_at": {"S": "2026-11-25T15:53:20.512Z"},
}


STREAM_ARN = "arn:aws:dynamodb:ap-southeast-1:123456789012:table/balance-ledger-dev/stream/2026-11-01T00:00:00.000"


def stream_record(name: str, old: dict | None, new: dict | None, **extra) -> dict:
    """One record as Lambda's event source mapping delivers it from the table's stream."""
    image = new or old or {}
    dynamodb = {
        "ApproximateCreationDateTime": 1795708400,
        "Keys": {"pk": image["pk"], "sk": image["sk"]},
        "SequenceNumber": "4000000000000000000001",
        "SizeBytes": 512,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
        **({"OldImage": old} if old else {}),
        **({"NewImage": new} if new else {}),
    }
    return {
        "eventID": "c81e728d9d4c2f636f067f89cc14862c",
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "ap-southeast-1",
        "dynamodb": dynamodb,
        "eventSourceARN": STREAM_ARN,
        **extra,
    }


def events(record: dict) -> list:
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    from chalicelib.handlers.publisher import record_events

    return record_events(DynamoDBRecord(record))


def test_the_sweepers_expiry_of_an_open_checkout_is_one_checkout_expired_with_its_lines():
    [(detail_type, detail)] = events(stream_record("MODIFY", OPEN_IMAGE, EXPIRED_IMAGE))
    assert detail_type == "checkout.expired"
    assert detail == {
        "event_id": event_id("checkout.expired", "C#chk_0190a1b2c3d4e5f60718293a4b5c6d7e", "CHECKOUT", "expired"),
        "checkout_id": "chk_0190a1b2c3d4e5f60718293a4b5c6d7e",
        "merchant_id": "m1",
        "order_id": "o-1",
        "user_id": "alice",
        "amount": 2500,
        "lines": LINES,
        "expires_at": "2026-11-25T15:51:00.000Z",
        "occurred_at": "2026-11-25T15:53:20.512Z",
    }
    jsonschema.validate(detail, SCHEMAS["checkout.expired"], format_checker=jsonschema.FormatChecker())
    # the same record delivered again is the same event: consumers dedupe on its id
    assert events(stream_record("MODIFY", OPEN_IMAGE, EXPIRED_IMAGE)) == [(detail_type, detail)]


def test_no_other_change_of_a_checkout_is_checkout_expired():
    paid = {**OPEN_IMAGE, "status": {"S": "paid"}, "payment_id": {"S": "pay_1"}}
    authorized = {**OPEN_IMAGE, "status": {"S": "authorized"}, "payment_id": {"S": "pay_1"}}
    cancelled = {**OPEN_IMAGE, "status": {"S": "cancelled"}, "cancelled_at": {"S": "2026-11-25T15:50:30.000Z"}}
    assert events(stream_record("MODIFY", OPEN_IMAGE, paid)) == []  # paying it is the payment's event
    assert events(stream_record("MODIFY", OPEN_IMAGE, authorized)) == []
    assert [t for t, _ in events(stream_record("MODIFY", OPEN_IMAGE, cancelled))] == ["checkout.cancelled"]
    assert events(stream_record("MODIFY", EXPIRED_IMAGE, EXPIRED_IMAGE)) == []  # a later write of an expired one
    assert events(stream_record("MODIFY", paid, {**paid, "status": {"S": "expired"}})) == []  # never from paid
    # a delete, even DynamoDB TTL's own, is no event: checkouts are never deleted (docs/checkout.md)
    ttl = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert events(stream_record("REMOVE", OPEN_IMAGE, None, userIdentity=ttl)) == []
