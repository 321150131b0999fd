"""The checkouts' expiry, as the store's contract: the sweeper's work list (``open_checkouts_due``) and the
conditional expiry (``expire_checkout``), the same cases on the fake and on the DynamoDB store on moto.

Listed: a checkout not yet paid, cancelled or expired (an authorized one too: a void opens it again), once
its ``expires_at`` is before the time asked. Expired: only an open one, unpaid, at or past its time, once.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.errors import ReadChanged
from chalicelib.domain.model import Movement, Settlement
from chalicelib.domain.money import Lots

from .test_store_contract import (
    credit,
    entry,
    new_checkout,
    payment_movement,
    record,
    stamp,
    uid,
    void_movement,
    wallet_of,
)

LATER = timedelta(seconds=120)  # past every checkout here (they expire 60 s after opening)


def later() -> str:
    return stamp(datetime.now(timezone.utc) + LATER)


def opened(ledger, merchant: str, user: str):
    checkout = new_checkout(merchant, user, expires_in=60)
    ledger.create_checkout(checkout, record(merchant))
    return checkout


def test_an_open_checkout_is_listed_once_due_and_expires_once(ledger):
    user, merchant = uid("u"), uid("m")
    credit(ledger, user, 1000)
    checkout = opened(ledger, merchant, user)
    assert checkout.checkout_id not in ledger.open_checkouts_due(stamp())
    assert checkout.checkout_id in ledger.open_checkouts_due(later())
    with pytest.raises(ReadChanged):  # not due yet
        ledger.expire_checkout(checkout, stamp())
    ledger.expire_checkout(checkout, later())
    assert ledger.snapshot(checkout=checkout.checkout_id).checkout.status == "expired"
    assert checkout.checkout_id not in ledger.open_checkouts_due(later())
    with pytest.raises(ReadChanged):  # once
        ledger.expire_checkout(checkout, later())


def test_paid_and_cancelled_checkouts_leave_the_list_and_never_expire(ledger):
    user, merchant = uid("u"), uid("m")
    credit(ledger, user, 1000)
    paid, cancelled = opened(ledger, merchant, user), opened(ledger, merchant, user)
    ledger.commit(payment_movement(ledger, user, merchant, 300, checkout=paid))
    ledger.cancel_checkout(cancelled, stamp(), None, release_order=True)
    due = ledger.open_checkouts_due(later())
    assert paid.checkout_id not in due and cancelled.checkout_id not in due
    for checkout in (paid, cancelled):
        with pytest.raises(ReadChanged):
            ledger.expire_checkout(checkout, later())
    assert ledger.snapshot(checkout=paid.checkout_id).checkout.status == "paid"
    assert ledger.snapshot(checkout=cancelled.checkout_id).checkout.status == "cancelled"


def test_an_authorized_checkout_stays_listed_never_expires_and_leaves_the_list_when_captured(ledger):
    user, merchant = uid("u"), uid("m")
    credit(ledger, user, 1000)
    held_one, voided_one = opened(ledger, merchant, user), opened(ledger, merchant, user)
    due = stamp(datetime.now(timezone.utc) + timedelta(minutes=30))
    holds = []
    for c in (held_one, voided_one):  # each from the wallet as the one before left it
        holds.append(payment_movement(ledger, user, merchant, 300, checkout=c, status="authorized", expires_at=due))
        ledger.commit(holds[-1])
    listed = ledger.open_checkouts_due(later())
    assert held_one.checkout_id in listed and voided_one.checkout_id in listed
    with pytest.raises(ReadChanged):
        ledger.expire_checkout(held_one, later())
    # voided: open again, and expired by the next sweep
    ledger.commit(void_movement(ledger, holds[1].new_payment))
    ledger.expire_checkout(ledger.snapshot(checkout=voided_one.checkout_id).checkout, later())
    assert ledger.snapshot(checkout=voided_one.checkout_id).checkout.status == "expired"
    # captured: paid, and off the list
    p = holds[0].new_payment
    w = wallet_of(ledger, user)
    capture = Movement(
        wallet=w,
        entry=entry(w, "capture", Lots(), held_delta=-p.funded_by),
        settle=Settlement(payment=p, status="succeeded", funded_by=p.funded_by, checkout_status="paid"),
    )
    ledger.commit(capture)
    assert ledger.snapshot(checkout=held_one.checkout_id).checkout.status == "paid"
    assert held_one.checkout_id not in ledger.open_checkouts_due(later())
