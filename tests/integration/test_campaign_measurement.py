"""A campaign's measurement on moto and DuckDB: the queued measurement is claimed once, the export's payments of
its members are read for the window after the run and the same length before, and the uplift is found where it
was planted and not where it was not."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.campaigns import HOLDOUT, TREATED, group_of
from chalicelib.domain.model import Principal
from chalicelib.services import campaign_measurement, campaigns, clock
from chalicelib.services.common import IdempotentRequest, LedgerPolicy
from chalicelib.events.catalogue import SOURCE
from tests.unit.test_insight_sql import engine

OPERATOR = Principal("op-measure", frozenset({"admin"}))
RUN = datetime(2026, 11, 10, 12, 0, tzinfo=timezone.utc)


class Schedules:
    def create_campaign(self, campaign_id, runs_at, measures_at) -> None:
        pass


def at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def payment(user: str, when: str, balance: int) -> dict:
    """payment.succeeded as the export holds it (the shape tests/unit/test_campaign_outcomes_sql.py checks
    against the catalogue's schema; built here without that check, for thousands of them)."""
    return {
        "version": "0",
        "id": f"bus-{uuid.uuid4().hex}",
        "detail-type": "payment.succeeded",
        "source": SOURCE,
        "account": "123456789012",
        "time": when[:19] + "Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "event_id": str(uuid.uuid4()),
            "payment_id": f"p-{uuid.uuid4().hex[:12]}",
            "user_id": user,
            "merchant_id": "m1",
            "order_id": f"o-{uuid.uuid4().hex[:12]}",
            "amount": balance,
            "balance_paid": balance,
            "lots": {"cash": balance, "bonus": 0},
            "discount": 0,
            "external": 0,
            "points_spent": 0,
            "points_earned": 0,
            "occurred_at": when,
        },
    }


@pytest.fixture
def stores(store):
    from chalicelib.store.campaigns import DynamoCampaignStore
    from chalicelib.store.profiles import DynamoProfileStore

    return store, DynamoCampaignStore(), DynamoProfileStore()


def ran_campaign(stores, monkeypatch, segment: str, n: int) -> tuple[str, list[str], str]:
    """A notify campaign with a 20 % holdout that ran on RUN: ``n`` members assigned as its run assigns them
    (the run itself is tests/integration/test_campaigns.py's)."""
    from dataclasses import replace

    store, campaign_store, _ = stores
    users = [f"u-meas-{uuid.uuid4().hex[:10]}" for _ in range(n)]
    monkeypatch.setattr(clock, "now", lambda: RUN)
    made = campaigns.create(
        store,
        campaign_store,
        Schedules(),
        LedgerPolicy(),
        OPERATOR,
        IdempotentRequest(OPERATOR.user_id, uuid.uuid4().hex, "h"),
        {
            "name": "measured",
            "segment": segment,
            "action": {"kind": "notify", "title": "t", "body": "b"},
            "holdout_percent": 20,
            "measure_days": 7,
        },
    ).body
    c = campaign_store.get_campaign(made["campaign_id"])
    for u in users:
        campaign_store.assign(
            c.campaign_id,
            {"user_id": u, "group": group_of(c.salt, u, 20), "bucket": 0, "assigned_at": at(RUN), "segment": segment},
        )
    done = replace(c, status="completed", version=c.version + 1, started_at=at(RUN), completed_at=at(RUN))
    assert campaign_store.update_campaign(c, done)
    return c.campaign_id, users, c.salt


def history(users: list[str], salt: str, effect: float, seed: int) -> list[dict]:
    """Each customer pays by balance now and then before the run and after it, as their own habit says; with
    ``effect`` the treated pay that many times as often after the run."""
    rng = random.Random(seed)
    events = []
    for u in users:
        habit = rng.choice([0, 0, 1, 2, 3])
        treated = group_of(salt, u, 20) == TREATED
        for period, start in (("pre", RUN - timedelta(days=7)), ("post", RUN)):
            rate = habit * (effect if period == "post" and treated else 1.0)
            count = sum(1 for _ in range(6) if rng.random() < rate / 6)
            for _ in range(count):
                moment = start + timedelta(seconds=rng.randrange(7 * 86400))
                events.append(payment(u, at(moment), rng.choice([500, 1000, 2000])))
    return events


def measured(stores, monkeypatch, campaign_id: str, events: list[dict]) -> dict:
    _, campaign_store, _ = stores
    later = RUN + timedelta(days=8)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert campaigns.measure_now(campaign_store, OPERATOR, campaign_id).body["measurement"]["state"] == "queued"
    days: list = []

    def analytics(start, end):
        days.append((start, end))
        return engine(events)

    done = campaign_measurement.measure(analytics, campaign_store, campaign_id)
    assert done["state"] == "succeeded", done
    assert days == [((RUN - timedelta(days=7)).date(), (RUN + timedelta(days=7)).date())]
    # a redelivered request measures nothing again
    assert campaign_measurement.measure(analytics, campaign_store, campaign_id)["state"] == "succeeded"
    assert len(days) == 1
    return campaigns.get_campaign(campaign_store, OPERATOR, campaign_id)["measurement"]


def test_a_planted_effect_is_found_and_counted_for_every_member_assigned(stores, monkeypatch):
    campaign_id, users, salt = ran_campaign(stores, monkeypatch, "champions", 600)
    m = measured(stores, monkeypatch, campaign_id, history(users, salt, effect=2.0, seed=3))
    mine = {u: group_of(salt, u, 20) for u in users}
    assert m["window"]["complete"] is True
    assert m["groups"]["holdout"]["customers"] == sum(1 for g in mine.values() if g == HOLDOUT)
    assert m["groups"]["treated"]["customers"] + m["groups"]["holdout"]["customers"] == len(users)
    payments = m["uplift"]["payments_per_customer"]
    assert payments["status"] == "ok" and payments["ci95"][0] > 0, payments
    assert payments["cuped"]["ci95"][0] > 0 and payments["cuped"]["variance_reduction"] > 0
    width = lambda ci: ci[1] - ci[0]
    assert width(payments["cuped"]["ci95"]) < width(payments["ci95"])  # the pre-period took variance out


def test_without_an_effect_the_interval_includes_zero(stores, monkeypatch):
    campaign_id, users, salt = ran_campaign(stores, monkeypatch, "loyal", 600)
    m = measured(stores, monkeypatch, campaign_id, history(users, salt, effect=1.0, seed=5))
    for metric in ("payments_per_customer", "spent_per_customer"):
        lo, hi = m["uplift"][metric]["ci95"]
        assert lo < 0 < hi, (metric, m["uplift"][metric])


def test_members_who_left_the_segment_after_the_run_are_still_measured_in_their_group(stores, monkeypatch):
    """Intention to treat: the groups are the memberships frozen at the run, not the segment as it is now. Half
    the members leave the segment after the run (a later segmentation moved them); they and their payments are
    still counted, each in the group the run drew."""
    _, _, profile_store = stores
    campaign_id, users, salt = ran_campaign(stores, monkeypatch, "at_risk", 60)
    left = users[::2]
    profile_store.put_profiles(
        [{"user_id": u, "segment": "champions", "balance": 0} for u in left], "run-later", at(RUN + timedelta(days=1))
    )
    events = [payment(u, at(RUN + timedelta(days=2)), 700) for u in left]  # only those who left pay
    m = measured(stores, monkeypatch, campaign_id, events)
    groups = {u: group_of(salt, u, 20) for u in users}
    for name, group in (("treated", TREATED), ("holdout", HOLDOUT)):
        mine = [u for u in users if groups[u] == group]
        paid = [u for u in left if groups[u] == group]
        g = m["groups"][name]
        assert (g["customers"], g["payers"], g["payments"], g["spent"]) == (
            len(mine),
            len(paid),
            len(paid),
            700 * len(paid),
        )


def test_a_campaign_not_run_is_not_measured(stores):
    from chalicelib.domain.errors import PaymentStateConflict

    store, campaign_store, _ = stores
    later = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    made = campaigns.create(
        store,
        campaign_store,
        Schedules(),
        LedgerPolicy(),
        OPERATOR,
        IdempotentRequest(OPERATOR.user_id, uuid.uuid4().hex, "h"),
        {"name": "later", "segment": "new", "action": {"kind": "notify", "title": "t", "body": "b"}, "run_at": later},
    ).body
    with pytest.raises(PaymentStateConflict) as refused:
        campaigns.measure_now(campaign_store, OPERATOR, made["campaign_id"])
    assert refused.value.code == "campaign_not_run"
