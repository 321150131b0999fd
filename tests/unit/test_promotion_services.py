"""Promotion use cases on the in-memory store: a creation that fails half-way leaves nothing live and its retry
completes it; the schedules' function changes a promotion once however often it fires."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.errors import IdempotencyKeyReused, PaymentStateConflict, Unavailable
from chalicelib.domain.model import Merchant, Principal
from chalicelib.services import promotions
from chalicelib.services.common import IdempotentRequest
from chalicelib.services.merchant_rules import ConfigCache
from tests.unit.fakes import FakeLedgerStore

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
ADMIN = Principal("ops", frozenset({"admin"}))
POLICY = promotions.PromotionPolicy()


class FakeSchedules:
    def __init__(self, fail_on: str | None = None) -> None:
        self.names: set[str] = set()
        self.fail_on = fail_on

    def create(self, p) -> None:
        for action in ("start", "end"):
            if action == self.fail_on:
                raise RuntimeError("scheduler unreachable")
            self.names.add(f"{p.promotion_id}-{action}")

    def delete(self, promotion_id: str) -> None:
        self.names -= {f"{promotion_id}-start", f"{promotion_id}-end"}


def body(**over):
    return {"name": "10 % off", "merchant_id": "m1", "starts_at": "2026-11-25T09:00:00Z",
            "ends_at": "2026-11-25T18:00:00Z", "effect": {"kind": "extra_balance_discount", "percent": 10,
                                                         "max_amount": None}, **over}


@pytest.fixture
def store(at):
    at(NOW)
    s = FakeLedgerStore()
    s.merchants["m1"] = Merchant("m1", "shop")
    return s


def test_a_creation_whose_schedules_fail_leaves_nothing_live_and_its_retry_completes_it(store, at):
    request = IdempotentRequest("ops", "k1", "h1")
    broken = FakeSchedules(fail_on="end")
    with pytest.raises(Unavailable):
        promotions.create(store, broken, ConfigCache(0), POLICY, ADMIN, request, body())
    (pending,) = store.promotions.values()
    assert pending.status == "pending" and broken.names == set()  # the start schedule made was deleted again
    assert store.idem == {}  # no answer recorded: the retry runs again
    at(NOW + timedelta(hours=2))  # inside its window, and still not live
    assert store.promotions_that_may_be_live(NOW - timedelta(days=90)) == []

    at(NOW)
    working = FakeSchedules()
    done = promotions.create(store, working, ConfigCache(0), POLICY, ADMIN, request, body())
    assert done.status_code == 201 and done.body["status"] == "scheduled"
    assert done.body["promotion_id"] == pending.promotion_id and len(store.promotions) == 1
    assert working.names == {f"{pending.promotion_id}-start", f"{pending.promotion_id}-end"}
    replayed = promotions.create(store, working, ConfigCache(0), POLICY, ADMIN, request, body())
    assert replayed.replayed and replayed.body == done.body
    with pytest.raises(IdempotencyKeyReused):  # the same key, another body, on a pending twin
        store.promotions[pending.promotion_id] = pending
        store.idem.clear()
        promotions.create(store, working, ConfigCache(0), POLICY, ADMIN, IdempotentRequest("ops", "k1", "h2"), body())


def test_the_schedules_change_a_promotion_once_however_often_they_fire(store, at):
    schedules = FakeSchedules()
    created = promotions.create(store, schedules, ConfigCache(0), POLICY, ADMIN, IdempotentRequest("ops", "k", "h"),
                                body()).body
    pid = created["promotion_id"]
    at(NOW + timedelta(hours=1))
    first = promotions.fire(store, POLICY, pid, "start")
    version = store.promotions[pid].version
    again = promotions.fire(store, POLICY, pid, "start")
    assert (first["result"], again["result"]) == ("started", "ignored")
    assert store.promotions[pid].status == "active" and store.promotions[pid].version == version
    at(NOW + timedelta(hours=10))
    assert promotions.fire(store, POLICY, pid, "end")["result"] == "ended"
    assert promotions.fire(store, POLICY, pid, "end")["result"] == "ignored"
    assert promotions.fire(store, POLICY, pid, "start")["status"] == "ended"
    with pytest.raises(PaymentStateConflict) as ended:
        promotions.cancel(store, schedules, ConfigCache(0), ADMIN, pid)
    assert ended.value.code == "promotion_ended"


def test_a_cancelled_promotion_is_not_started_by_its_late_schedule(store, at):
    schedules = FakeSchedules()
    pid = promotions.create(store, schedules, ConfigCache(0), POLICY, ADMIN, IdempotentRequest("ops", "k", "h"),
                            body()).body["promotion_id"]
    view = promotions.cancel(store, schedules, ConfigCache(0), ADMIN, pid)
    assert view["status"] == "cancelled" and schedules.names == set()
    assert promotions.cancel(store, schedules, ConfigCache(0), ADMIN, pid)["status"] == "cancelled"
    at(NOW + timedelta(hours=1))
    assert promotions.fire(store, POLICY, pid, "start")["status"] == "cancelled"
    assert store.promotions_that_may_be_live(NOW - timedelta(days=90)) == []
