"""The LIVE item (on moto): it lists exactly the scheduled and active promotions, changes in the same
transaction as each promotion's status, and is what a cold configuration read prices with."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from chalicelib.domain.model import IdempotencyRecord, Merchant
from chalicelib.domain.promotions import Effect, GrantProgress, Promotion, promotion_id_for
from chalicelib.services.merchant_rules import ConfigCache

NOW = datetime.now(timezone.utc)
LONG_AGO = NOW - timedelta(days=90)


def pending(store, merchant_id="m1", hours=1, kind="points_multiplier") -> Promotion:
    starts = NOW + timedelta(hours=hours)
    effect = (
        Effect.from_doc({"kind": "points_multiplier", "factor": "2"})
        if kind == "points_multiplier"
        else Effect.from_doc({"kind": "grant_coupon", "definition_id": "cd-x", "audience": "all_balance_payers"})
    )
    p = Promotion(
        promotion_id=promotion_id_for(starts, "ops", uuid.uuid4().hex),
        name="double points",
        merchant_id=merchant_id,
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(days=1)).isoformat(),
        effect=effect,
        status="pending",
        version=1,
        created_at="t",
        created_by="ops",
        request_hash="h",
    )
    assert store.put_pending_promotion(p)
    return p


def confirmed(store, p: Promotion) -> Promotion:
    store.confirm_promotion(p, "t", IdempotencyRecord("ops", f"k-{uuid.uuid4().hex}", "h", 201, {}, "t"))
    return replace(p, status="scheduled", version=p.version + 1)


def live_ids(store) -> set[str]:
    return {p.promotion_id for p in store.promotions_that_may_be_live(LONG_AGO)}


def test_a_promotion_is_listed_while_scheduled_or_active_and_not_once_it_ended_or_was_cancelled(store):
    a, b = pending(store), pending(store)
    assert not {a.promotion_id, b.promotion_id} & live_ids(store)  # pending: not yet
    a, b = confirmed(store, a), confirmed(store, b)
    assert {a.promotion_id, b.promotion_id} <= live_ids(store)
    active = replace(a, status="active", version=a.version + 1, activated_at="t2")
    assert store.update_promotion(a, active)
    [listed] = [p for p in store.promotions_that_may_be_live(LONG_AGO) if p.promotion_id == a.promotion_id]
    assert (listed.status, listed.effect.factor_percent, listed.merchant_id) == ("active", 200, "m1")
    assert store.update_promotion(active, replace(active, status="ended", version=active.version + 1))
    assert store.update_promotion(b, replace(b, status="cancelled", version=b.version + 1, cancelled_at="t3"))
    assert not {a.promotion_id, b.promotion_id} & live_ids(store)
    assert store.get_promotion(a.promotion_id).status == "ended"  # the promotion itself, as before


def test_a_change_from_a_stale_version_changes_neither_the_promotion_nor_the_list(store):
    p = confirmed(store, pending(store))
    assert not store.update_promotion(replace(p, version=p.version - 1), replace(p, status="cancelled", version=9))
    assert p.promotion_id in live_ids(store) and store.get_promotion(p.promotion_id).status == "scheduled"


def test_grant_progress_alone_does_not_rewrite_the_list(store, calls):
    p = confirmed(store, pending(store, kind="grant_coupon"))
    calls.clear()
    assert store.update_promotion(p, replace(p, version=p.version + 1, grant=GrantProgress(state="running", granted=3)))
    assert dict(calls) == {"UpdateItem": 1}
    assert store.get_promotion(p.promotion_id).grant.granted == 3


def test_promotions_changing_at_once_all_land_in_the_list(store):
    ps = [pending(store) for _ in range(6)]
    threads = [threading.Thread(target=confirmed, args=(store, p)) for p in ps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {p.promotion_id for p in ps} <= live_ids(store)


def test_a_cold_configuration_read_prices_with_the_listed_promotions_of_its_merchant(store):
    store.put_merchant(Merchant("m-live", "Shop"), "t")
    mine = confirmed(store, pending(store, merchant_id="m-live"))
    everyone = confirmed(store, pending(store, merchant_id=None))
    other = confirmed(store, pending(store, merchant_id="m-other"))
    config = ConfigCache(3600).get(store, "m-live")
    ids = {p.promotion_id for p in config.promotions}
    assert {mine.promotion_id, everyone.promotion_id} <= ids and other.promotion_id not in ids
    assert config.merchant is not None and config.merchant.merchant_id == "m-live"
