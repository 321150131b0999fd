"""The bus as the use cases put on it: entries in PutEvents' shape, and a trace lost rather than a request failed."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from chalicelib.services.publishing import Bus

DETAIL = {"event_id": "e1", "occurred_at": "2026-11-25T15:50:00.000Z", "amount": 5}


class Sink:
    def __init__(self, refuse: bool = False, fail: bool = False) -> None:
        self.refuse, self.fail = refuse, fail
        self.got: list = []

    def put(self, entries):
        if self.fail:
            raise ConnectionError("the bus did not answer")
        self.got += entries
        return list(range(len(entries))) if self.refuse else []


def test_an_event_is_put_at_its_own_time_on_the_stage_bus():
    sink = Sink()
    assert Bus(sink, "store-balance", "the-bus").put_quietly("checkout.quoted", DETAIL) == 0
    [entry] = sink.got
    assert entry["Source"] == "store-balance" and entry["EventBusName"] == "the-bus"
    assert entry["DetailType"] == "checkout.quoted" and json.loads(entry["Detail"]) == DETAIL
    assert entry["Time"] == datetime(2026, 11, 25, 15, 50, tzinfo=timezone.utc)


def test_a_refused_or_failed_put_is_counted_as_lost_and_never_raised():
    assert Bus(Sink(refuse=True), "s", "b").put_quietly("checkout.quoted", DETAIL) == 1
    assert Bus(Sink(fail=True), "s", "b").put_quietly("checkout.quoted", DETAIL) == 1
