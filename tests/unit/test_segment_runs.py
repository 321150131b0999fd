"""Segmentation runs asked for over the API, a segment's members page by page, and a promotion that grants a
named segment: the services on the in-memory stores (the moto-backed store is held to the same by
tests/contract/test_profile_contract.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.domain.errors import InvalidRequest, NotFound, SegmentationInProgress
from chalicelib.domain.model import Merchant, Principal, Wallet
from chalicelib.services import profiles, promotions, segmentation
from chalicelib.services.merchant_rules import ConfigCache
from chalicelib.services.common import IdempotentRequest
from tests.unit.fakes import FakeProfileStore
from tests.unit.test_promotion_services import FakeSchedules, GrantingStore, body

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)


def _shard(user: str) -> int:
    from chalicelib.store.keys import member_shard

    return int(member_shard("at_risk", user).rsplit("#", 1)[1])


def profile(user: str, segment: str, balance: int = 0) -> dict:
    return {
        "user_id": user,
        "segment": segment,
        "frequency_class": "low",
        "rfm": {"recency_days": 3, "frequency": 2, "monetary": 1500, "r_score": 5, "f_score": 3, "m_score": 4},
        "recency_days": 3,
        "balance": balance,
    }


@pytest.fixture
def store(at):
    at(NOW)
    return FakeProfileStore()


def test_a_requested_run_is_queued_and_a_second_request_for_the_day_joins_it(store, at):
    first = profiles.request_run(store, "ops", None)
    assert first == {
        "run_id": first["run_id"],
        "state": "queued",
        "as_of": "2026-11-25",
        "requested_at": first["requested_at"],
    }
    assert profiles.request_run(store, "ops2", "2026-11-25")["run_id"] == first["run_id"]
    assert len(store.runs) == 1
    with pytest.raises(SegmentationInProgress) as refused:
        profiles.request_run(store, "ops", "2026-11-20")  # another day while one runs
    assert refused.value.details == {"run_id": first["run_id"], "state": "queued"}
    at(NOW + profiles.RUN_STALE_AFTER + timedelta(seconds=1))  # the queued one was lost
    assert profiles.request_run(store, "ops", "2026-11-20")["run_id"] != first["run_id"]
    assert len(store.runs) == 2


@pytest.mark.parametrize(
    "as_of, code",
    [("2026-11-26", "as_of_in_future"), ("2025-11-23", "as_of_too_old"), ("2026-02-30", "invalid_date")],
)
def test_a_run_for_a_day_it_cannot_compute_is_refused_and_nothing_is_queued(store, as_of, code):
    with pytest.raises(InvalidRequest) as refused:
        profiles.request_run(store, "ops", as_of)
    assert refused.value.code == code and store.runs == {}
    assert profiles.request_run(store, "ops", "2025-11-24")["as_of"] == "2025-11-24"  # 366 days back: allowed


class Engine:
    """The analyses' engine with no event at all: the run sees the wallets' balances only."""

    def run(self, name, params):
        return []


class Wallets:
    def __init__(self, balances: dict[str, int]) -> None:
        self.balances = balances

    def scan_wallets(self, cursor, limit):
        from chalicelib.domain.money import Lots

        return [Wallet(u, "CNY", lots=Lots(cash=b)) for u, b in sorted(self.balances.items())], None


def test_a_queued_run_runs_once_whatever_the_redeliveries_and_its_state_reads_back(store):
    queued = profiles.request_run(store, "ops", "2026-11-24")
    run = {"run_id": queued["run_id"], "as_of": queued["as_of"], "requested_by": "ops"}
    done = segmentation.run(Engine(), Wallets({"a": 500, "b": 0}), store, queued=run)
    assert done["state"] == "succeeded" and done["customers"] == 1  # b holds nothing and did nothing
    assert segmentation.run(Engine(), Wallets({"a": 500}), store, queued=run) == {
        "run_id": queued["run_id"],
        "state": "skipped",
    }
    state = profiles.run_state(store, queued["run_id"])
    assert state["state"] == "succeeded" and state["as_of"] == "2026-11-24" and state["requested_by"] == "ops"
    # a balance and no event in the export at all: no top-up, payment or visit seen (docs/segments.md)
    assert store.get_profile("a")["segment"] == "inactive"
    assert state["customers"] == 1 and state["counts"]["inactive"] == 1 and sum(state["counts"].values()) == 1
    with pytest.raises(NotFound):
        profiles.run_state(store, "seg_nope")


def test_a_segments_members_page_by_page_each_once(store):
    users = [f"u{i:02d}" for i in range(23)]
    store.put_profiles([profile(u, "at_risk", balance=i) for i, u in enumerate(users)], "r1", "t")
    store.put_profiles([profile("other", "champions")], "r1", "t")
    seen, cursor, pages = [], None, 0
    while True:
        page = profiles.members(store, "at_risk", 5, cursor)
        seen += page["members"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(m["user_id"] for m in seen) == users and len(seen) == 23 and pages == 5
    first = next(m for m in seen if m["user_id"] == "u07")
    assert first == {
        "user_id": "u07",
        "balance": 7,
        "recency_days": 3,
        "frequency": 2,
        "monetary": 1500,
        "frequency_class": "low",
    }
    assert profiles.members(store, "dormant", 5, None) == {"segment": "dormant", "members": [], "next_cursor": None}


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "eyJiZWZvcmUiOjV9",  # {"before":5}: another listing's
        profiles._encode({"shard": 9, "after": None}),
        profiles._encode({"shard": True, "after": None}),
        profiles._encode({"shard": 0, "after": 12}),
        profiles._encode({"shard": 0, "after": next(u for u in map(str, range(99)) if _shard(u) != 0)}),
    ],
)
def test_a_cursor_this_listing_did_not_return_is_refused(store, cursor):
    with pytest.raises(InvalidRequest) as refused:
        profiles.members(store, "at_risk", 5, cursor)
    assert refused.value.code == "invalid_cursor"


def test_an_unknown_segment_has_no_members_listing(store):
    with pytest.raises(NotFound):
        profiles.members(store, "lapsed", 5, None)


def test_a_promotion_for_a_segment_grants_exactly_its_members_once_even_fired_twice(at):
    from chalicelib.domain.coupons import CouponDefinition, CouponTerms

    at(NOW)
    store = GrantingStore()
    store.merchants["m1"] = Merchant("m1", "shop")
    store.definitions["cd1"] = CouponDefinition(
        CouponTerms(
            "cd1", "gift", "amount_off", 100, None, 0, "m1", False, "2026-01-01T00:00:00Z", "2099-01-01T00:00:00Z"
        ),
        5,
    )
    members = FakeProfileStore()
    at_risk = [f"r{i}" for i in range(7)]
    members.put_profiles([profile(u, "at_risk") for u in at_risk], "r1", "t")
    members.put_profiles([profile(u, "champions") for u in ("c1", "c2")], "r1", "t")
    for u in ("c1", "r0"):
        store.wallets[u] = Wallet(u, "CNY", spend_months={"2026-11": 500})  # wallets do not decide it
    policy = promotions.PromotionPolicy(grant_page=3)
    pid = promotions.create(
        store,
        FakeSchedules(),
        ConfigCache(0),
        policy,
        Principal("ops", frozenset({"admin"})),
        IdempotentRequest("ops", "k", "h"),
        body(effect={"kind": "grant_coupon", "definition_id": "cd1", "audience": {"segment": "at_risk"}}),
    ).body["promotion_id"]
    at(NOW + timedelta(hours=1))
    done = promotions.fire(store, policy, pid, "start", members=members)
    assert done["grant"] == {"state": "done", "granted": 7, "skipped": 0}
    assert store.promotions[pid].grant.pages == 3 and store.scans == 0
    assert sorted(c.user_id for c in store.coupons.values()) == at_risk
    promotions.fire(store, policy, pid, "start", members=members)  # the schedule fires again
    assert len(store.coupons) == 7


def test_a_promotion_for_a_segment_that_does_not_exist_is_refused(at):
    at(NOW)
    store = GrantingStore()
    store.merchants["m1"] = Merchant("m1", "shop")
    with pytest.raises(InvalidRequest) as refused:
        promotions.create(
            store,
            FakeSchedules(),
            ConfigCache(0),
            promotions.PromotionPolicy(),
            Principal("ops", frozenset({"admin"})),
            IdempotentRequest("ops", "k", "h"),
            body(effect={"kind": "grant_coupon", "definition_id": "cd1", "audience": {"segment": "lapsed"}}),
        )
    assert refused.value.code in ("unknown_coupon_definition", "unknown_segment")
    assert store.promotions == {}


def test_the_daily_run_computes_for_today(store):
    done = segmentation.run(Engine(), Wallets({"a": 1}), store)
    assert done["as_of"] == NOW.date().isoformat() == date(2026, 11, 25).isoformat()
    assert store.get_run(done["run_id"])["requested_by"] is None


def test_a_run_whose_start_time_cannot_be_read_counts_as_lost_and_does_not_block(store):
    store.put_run({"run_id": "seg_old", "state": "running", "started_at": "t1", "as_of": "2026-11-20"})
    assert profiles.request_run(store, "ops", None)["state"] == "queued"
