"""One clock for every use case: what it is set to is the time every written record carries."""

from __future__ import annotations

from datetime import datetime, timezone

from chalicelib.domain.model import Principal
from chalicelib.domain.moments import format_time, parse_time
from chalicelib.services import clock, topups
from chalicelib.services.common import IdempotentRequest

from .fakes import FakeLedgerStore

MOMENT = datetime(2026, 3, 9, 4, 5, 6, 789000, tzinfo=timezone.utc)


def test_a_use_case_run_under_a_frozen_clock_writes_that_time_everywhere():
    store = FakeLedgerStore()
    with clock.frozen(MOMENT):
        created = topups.create_topup(
            store,
            currency="CNY",
            max_balance=10**9,
            principal=Principal("u"),
            request=IdempotentRequest("u", "k", "h"),
            amount=500,
            channel="card",
        )
        topups.confirm_topup(
            store,
            currency="CNY",
            max_attempts=3,
            topup_id=created.body["topup_id"],
            status="succeeded",
            amount=500,
            provider_ref="p",
        )
    stamp = "2026-03-09T04:05:06.789Z"
    assert created.body["created_at"] == stamp
    assert store.idem[("u", "k")].created_at == stamp
    [entry] = store.entries["u"]
    assert entry.created_at == stamp and store.wallets["u"].updated_at == stamp
    assert clock.now() != MOMENT  # the block's end put the system clock back


def test_stamps_and_parsing_round_trip_in_utc_with_milliseconds():
    assert clock.stamp().endswith("Z") and len(clock.stamp()) == len("2026-03-09T04:05:06.789Z")
    assert format_time(MOMENT) == "2026-03-09T04:05:06.789Z"
    assert parse_time("2026-03-09T12:05:06.789+08:00") == MOMENT
    assert parse_time(format_time(MOMENT)) == MOMENT
