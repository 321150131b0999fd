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
    return {
        "name": "10 % off",
        "merchant_id": "m1",
        "starts_at": "2026-11-25T09:00:00Z",
        "ends_at": "2026-11-25T18:00:00Z",
        "effect": {"kind": "extra_balance_discount", "percent": 10, "max_amount": None},
        **over,
    }


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
    created = promotions.create(
        store, schedules, ConfigCache(0), POLICY, ADMIN, IdempotentRequest("ops", "k", "h"), body()
    ).body
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
    pid = promotions.create(
        store, schedules, ConfigCache(0), POLICY, ADMIN, IdempotentRequest("ops", "k", "h"), body()
    ).body["promotion_id"]
    view = promotions.cancel(store, schedules, ConfigCache(0), ADMIN, pid)
    assert view["status"] == "cancelled" and schedules.names == set()
    assert promotions.cancel(store, schedules, ConfigCache(0), ADMIN, pid)["status"] == "cancelled"
    at(NOW + timedelta(hours=1))
    assert promotions.fire(store, POLICY, pid, "start")["status"] == "cancelled"
    assert store.promotions_that_may_be_live(NOW - timedelta(days=90)) == []


class GrantingStore(FakeLedgerStore):
    """The fake store with wallets to scan (pages of ``limit`` items, in key order) and coupons to grant."""

    def __init__(self) -> None:
        super().__init__()
        self.definitions: dict[str, object] = {}
        self.coupons: dict[str, object] = {}  # coupon id -> coupon
        self.scans = 0

    def scan_wallets(self, cursor, limit):
        self.scans += 1
        users = sorted(self.wallets)
        start = 0 if cursor is None else users.index(cursor["after"]) + 1
        page = users[start : start + limit]
        after = {"after": page[-1]} if page and start + limit < len(users) else None
        return [self.wallets[u] for u in page], after

    def get_coupon_definition(self, definition_id):
        return self.definitions.get(definition_id)

    def grant_coupon(self, coupon, limit):
        if coupon.coupon_id in self.coupons:
            return None  # granted before under this id
        if sum(1 for c in self.coupons.values() if c.user_id == coupon.user_id) >= limit:
            return "limit_reached"
        self.coupons[coupon.coupon_id] = coupon
        return None


def test_a_grant_cut_short_by_time_resumes_where_it_stopped_and_grants_nobody_twice(at):
    from chalicelib.domain.coupons import CouponDefinition, CouponTerms
    from chalicelib.domain.model import Wallet

    at(NOW)
    store = GrantingStore()
    store.merchants["m1"] = Merchant("m1", "shop")
    store.definitions["cd1"] = CouponDefinition(
        CouponTerms(
            "cd1", "gift", "amount_off", 100, None, 0, "m1", False, "2026-01-01T00:00:00Z", "2099-01-01T00:00:00Z"
        ),
        5,
    )
    payers = [f"u{i}" for i in range(5)]
    for u in payers:
        store.wallets[u] = Wallet(u, "CNY", spend_months={"2026-11": 500})
    store.wallets["idle"] = Wallet("idle", "CNY")
    policy = promotions.PromotionPolicy(grant_page=2)
    pid = promotions.create(
        store,
        FakeSchedules(),
        ConfigCache(0),
        policy,
        ADMIN,
        IdempotentRequest("ops", "k", "h"),
        body(effect={"kind": "grant_coupon", "definition_id": "cd1", "audience": "all_balance_payers"}),
    ).body["promotion_id"]
    at(NOW + timedelta(hours=1))
    clock_left = iter([60.0, 5.0])  # time for one page, then less than the margin
    with pytest.raises(promotions.GrantIncomplete):
        promotions.fire(store, policy, pid, "start", time_left=lambda: next(clock_left))
    halfway = store.promotions[pid].grant
    assert halfway.state == "running" and halfway.pages == 1 and halfway.cursor == {"after": "u0"}
    assert [c.user_id for c in store.coupons.values()] == ["u0"]  # the first page: idle (not in it) and u0
    store.scans = 0
    done = promotions.fire(store, policy, pid, "start")  # the retry of the invocation
    assert done["grant"] == {"state": "done", "granted": 5, "skipped": 0}
    assert store.scans == 2  # from where it stopped: u1-u2, then u3-u4 (the last page)
    assert sorted(c.user_id for c in store.coupons.values()) == payers
    promotions.fire(store, policy, pid, "start")  # a late duplicate: nothing more
    assert len(store.coupons) == 5 and store.promotions[pid].grant.granted == 5
