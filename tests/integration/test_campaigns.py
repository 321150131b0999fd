"""Campaigns on moto: a run reaches each member of the segment once, in the group its bucket says, however often
its schedule fires; the holdout gets nothing; the counts add up; a bonus goes through the ledger with its expiry;
a message lands in the inbox once; a campaign that has not run can be cancelled, one that has cannot."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from chalicelib.domain.campaigns import HOLDOUT, TREATED, group_of
from chalicelib.domain.errors import (
    AmountExceedsLimit,
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    PaymentStateConflict,
)
from chalicelib.domain.model import Principal
from chalicelib.services import campaigns, clock, coupons
from chalicelib.services.common import IdempotentRequest, LedgerPolicy

OPERATOR = Principal("op-campaigns", frozenset({"admin"}))
POLICY = LedgerPolicy()


class Schedules:
    """What the scheduler was asked for (the real one is tested in tests/unit and over HTTP)."""

    def __init__(self) -> None:
        self.made: dict[str, tuple] = {}
        self.deleted: list[str] = []

    def create_campaign(self, campaign_id, runs_at, measures_at) -> None:
        self.made[campaign_id] = (runs_at, measures_at)

    def delete_campaign(self, campaign_id) -> None:
        self.deleted.append(campaign_id)


@pytest.fixture
def stores(store):
    from chalicelib.store.campaigns import DynamoCampaignStore
    from chalicelib.store.profiles import DynamoProfileStore

    return store, DynamoCampaignStore(), DynamoProfileStore()


def members_of(profile_store, segment: str, n: int) -> list[str]:
    """``n`` new customers in ``segment``, as a segmentation run leaves them (index segment-members)."""
    users = [f"u-cmp-{uuid.uuid4().hex[:10]}" for _ in range(n)]
    profile_store.put_profiles(
        [{"user_id": u, "segment": segment, "balance": 0} for u in users], "run-cmp", clock.stamp()
    )
    return users


def definition(store) -> str:
    definition_id = f"cd-cmp-{uuid.uuid4().hex[:8]}"
    coupons.put_definition(
        store,
        OPERATOR,
        definition_id,
        {
            "name": "come back",
            "kind": "amount_off",
            "value": 300,
            "min_spend": 0,
            "merchant_id": None,
            "balance_pay_only": False,
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_to": "2099-01-01T00:00:00Z",
            "per_customer_limit": 1,
        },
    )
    return definition_id


def create(store, campaign_store, schedules, action, segment="at_risk", key=None, **extra):
    body = {"name": "win back", "segment": segment, "action": action, **extra}
    request = IdempotentRequest(OPERATOR.user_id, key or uuid.uuid4().hex, str(hash(str(sorted(body.items())))))
    return campaigns.create(store, campaign_store, schedules, POLICY, OPERATOR, request, body)


def run(stores, campaign_id: str, page: int = 200) -> dict:
    store, campaign_store, profile_store = stores
    return campaigns.fire(store, campaign_store, profile_store, POLICY, campaign_id, "run", page=page)


def test_a_coupon_campaign_reaches_each_treated_member_once_and_the_holdout_never(stores):
    store, campaign_store, profile_store = stores
    segment = "almost_lost"
    users = members_of(profile_store, segment, 200)
    definition_id = definition(store)
    schedules = Schedules()
    made = create(
        store, campaign_store, schedules, {"kind": "grant_coupon", "definition_id": definition_id}, segment=segment
    ).body
    assert made["status"] == "scheduled" and made["holdout_percent"] == 10
    runs_at, measures_at = schedules.made[made["campaign_id"]]
    assert measures_at - runs_at == timedelta(days=14, hours=6)

    first = run(stores, made["campaign_id"], page=37)  # several pages
    again = run(stores, made["campaign_id"])  # the schedule fires twice
    assert first["status"] == "completed" and again["result"] == "ignored"
    c = campaign_store.get_campaign(made["campaign_id"])
    salt = c.salt
    expected = {u: group_of(salt, u, 10) for u in users}
    held = [u for u, g in expected.items() if g == HOLDOUT]
    treated = [u for u, g in expected.items() if g == TREATED]
    assert 5 <= len(held) <= 40  # 10 % of 200, drawn: the group is what the bucket says (asserted next)
    for u in users:
        m = campaign_store.get_membership(made["campaign_id"], u)
        assert m["group"] == expected[u]
        got = [x.terms.definition_id for x in store.list_coupons(u)]
        assert got == ([definition_id] if expected[u] == TREATED else []), u
        assert m["outcome"] == ("delivered" if expected[u] == TREATED else None)
    view = campaigns.get_campaign(campaign_store, OPERATOR, made["campaign_id"])
    assert view["targeted"] == view["treated"] + view["holdout"] >= 200  # other tests' members of it count too
    assert view["treated"] >= len(treated) and view["holdout"] >= len(held)
    assert view["delivered"] + view["failed"] == view["treated"]


def test_a_member_keeps_the_group_first_drawn_and_a_retried_page_grants_nothing_twice(stores):
    store, campaign_store, profile_store = stores
    segment = "dormant"
    users = members_of(profile_store, segment, 30)
    definition_id = definition(store)
    made = create(
        store,
        campaign_store,
        Schedules(),
        {"kind": "grant_coupon", "definition_id": definition_id},
        segment=segment,
        holdout_percent=50,
    ).body
    c = campaign_store.get_campaign(made["campaign_id"])
    # a crash after the first member's coupon, before its outcome was recorded: the retry grants nothing twice
    u = next(x for x in users if group_of(c.salt, x, 50) == TREATED)
    campaign_store.assign(
        c.campaign_id, {"user_id": u, "group": TREATED, "bucket": 0, "assigned_at": "t", "segment": segment}
    )
    campaigns.act(store, POLICY, c, u, clock.now())
    # and a member whose membership says holdout stays held out, whatever the bucket says now
    v = next(x for x in users if group_of(c.salt, x, 50) == TREATED and x != u)
    campaign_store.assign(
        c.campaign_id, {"user_id": v, "group": HOLDOUT, "bucket": 0, "assigned_at": "t", "segment": segment}
    )
    assert run(stores, made["campaign_id"], page=7)["status"] == "completed"
    assert [x.terms.definition_id for x in store.list_coupons(u)] == [definition_id]
    assert store.list_coupons(v) == []
    assert campaign_store.get_membership(made["campaign_id"], v)["group"] == HOLDOUT


def test_a_bonus_campaign_credits_the_ledger_once_with_its_expiry(stores):
    store, campaign_store, profile_store = stores
    users = members_of(profile_store, "needs_attention", 12)
    made = create(
        store,
        campaign_store,
        Schedules(),
        {"kind": "grant_bonus", "amount": 500, "valid_days": 7},
        segment="needs_attention",
        holdout_percent=0,
    ).body
    run(stores, made["campaign_id"], page=5)
    run(stores, made["campaign_id"])
    for u in users:
        w = store.get_wallet(u)
        assert (w.lots.cash, w.lots.bonus) == (0, 500)
        [grant] = w.grants
        assert grant.source == f"campaign:{made['campaign_id']}" and grant.expires_at is not None
        entries, _ = store.list_entries(u, 10)
        assert [(e.type, e.delta.bonus) for e in entries] == [("adjustment", 500)]
    # a retried delivery to a member (its outcome lost) replays the ledger's answer: no second credit
    c = campaign_store.get_campaign(made["campaign_id"])
    campaigns.act(store, POLICY, c, users[0], clock.now())
    assert store.get_wallet(users[0]).lots.bonus == 500


def test_a_bonus_campaign_reconciles_and_its_grants_leave_at_their_expiry(stores):
    """The campaign's credits are ledger money like any other: every member's wallet reconciles with its entries
    after the run, and the daily expiry takes each grant back once, after ``valid_days`` and not before."""
    from chalicelib.services.admin import reconcile
    from chalicelib.services.bonus import expire_bonus

    store, campaign_store, profile_store = stores
    users = members_of(profile_store, "dormant_balance", 6)
    made = create(
        store,
        campaign_store,
        Schedules(),
        {"kind": "grant_bonus", "amount": 300, "valid_days": 3},
        segment="dormant_balance",
        holdout_percent=0,
    ).body
    ran_at = clock.now()
    run(stores, made["campaign_id"])

    def report() -> dict:
        """The reconciliation of these wallets, read as its scan reads each (not a scan of the whole shared
        table: tests/integration/test_store.py checks the scan itself)."""
        rows = []
        for u in users:
            entries, _ = store.list_entries(u, 100)
            points, _ = store.list_points_entries(u, 100)
            rows.append(
                (u, store.get_wallet(u), sorted(entries, key=lambda e: e.seq), sorted(points, key=lambda e: e.seq))
            )
        return reconcile(rows)

    after_run = report()
    assert (after_run["wallets_checked"], after_run["mismatches"]) == (6, [])
    assert after_run["totals"]["held"]["bonus"] == 6 * 300
    assert after_run["totals"]["credited"] == {"adjustment": 6 * 300} and after_run["totals"]["conserved"]
    with clock.frozen(ran_at + timedelta(days=3) - timedelta(minutes=5)):  # not yet
        assert [expire_bonus(store, POLICY, u) for u in users] == [0] * 6
    with clock.frozen(ran_at + timedelta(days=3, minutes=5)):
        assert [expire_bonus(store, POLICY, u) for u in users] == [300] * 6
        assert [expire_bonus(store, POLICY, u) for u in users] == [0] * 6  # once
    for u in users:
        w = store.get_wallet(u)
        assert (w.lots.bonus, w.grants) == (0, ())
        entries, _ = store.list_entries(u, 10)
        assert sorted((e.type, e.delta.bonus) for e in entries) == [("adjustment", 300), ("expiry", -300)]
    after_expiry = report()
    assert (after_expiry["mismatches"], after_expiry["totals"]["held"]["total"]) == ([], 0)
    debited = {kind: amount for kind, amount in after_expiry["totals"]["debited"].items() if amount}
    assert debited == {"expiry": 6 * 300} and after_expiry["totals"]["conserved"]


def test_a_message_campaign_puts_one_notification_in_each_treated_inbox(stores):
    store, campaign_store, profile_store = stores
    users = members_of(profile_store, "promising", 8)
    made = create(
        store,
        campaign_store,
        Schedules(),
        {"kind": "survey", "question": "Why not pay by balance?", "choices": ["fees", "forgot"], "allow_comment": True},
        segment="promising",
        holdout_percent=0,
    ).body
    run(stores, made["campaign_id"], page=3)
    c = campaign_store.get_campaign(made["campaign_id"])
    campaigns.act(store, POLICY, c, users[0], clock.now())  # delivered again: the dedupe key holds
    for u in users:
        listed, _ = store.list_notifications(u, 10)
        assert [(n.type, n.title, n.data["survey_id"]) for n in listed] == [
            ("survey", "Why not pay by balance?", made["campaign_id"])
        ]


def test_a_campaign_not_run_is_cancelled_and_one_that_ran_is_refused(stores):
    store, campaign_store, profile_store = stores
    members_of(profile_store, "loyal", 2)
    schedules = Schedules()
    later = clock.now() + timedelta(days=1)
    pending = create(
        store,
        campaign_store,
        schedules,
        {"kind": "notify", "title": "hi", "body": "there"},
        segment="loyal",
        run_at=later.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ).body
    cancelled = campaigns.cancel(campaign_store, schedules, OPERATOR, pending["campaign_id"])
    assert cancelled["status"] == "cancelled" and schedules.deleted == [pending["campaign_id"]]
    assert run(stores, pending["campaign_id"])["result"] == "ignored"  # its schedule, had it fired anyway
    assert campaign_store.memberships(pending["campaign_id"]) == []
    ran = create(store, campaign_store, schedules, {"kind": "notify", "title": "hi", "body": "there"}, segment="loyal")
    run(stores, ran.body["campaign_id"])
    with pytest.raises(PaymentStateConflict) as refused:
        campaigns.cancel(campaign_store, schedules, OPERATOR, ran.body["campaign_id"])
    assert refused.value.code == "campaign_started"


def test_a_retried_creation_answers_the_same_and_a_reused_key_is_refused(stores):
    store, campaign_store, _ = stores
    schedules = Schedules()
    action = {"kind": "notify", "title": "hi", "body": "there"}
    first = create(store, campaign_store, schedules, action, key="k-retry-" + uuid.uuid4().hex)
    key = next(k for k in [first.body["campaign_id"]])
    assert key.startswith("cmp_")
    same_key = "k-" + uuid.uuid4().hex
    a = create(store, campaign_store, schedules, action, key=same_key)
    b = create(store, campaign_store, schedules, action, key=same_key)
    assert (b.status_code, b.body["campaign_id"], b.replayed) == (201, a.body["campaign_id"], True)
    with pytest.raises(IdempotencyKeyReused):
        create(store, campaign_store, schedules, {**action, "title": "other"}, key=same_key)


@pytest.mark.parametrize(
    "change, error, code",
    [
        ({"segment": "nobody"}, InvalidRequest, "unknown_segment"),
        ({"action": {"kind": "grant_coupon", "definition_id": "cd-none"}}, InvalidRequest, "unknown_coupon_definition"),
        ({"action": {"kind": "grant_bonus", "amount": 10**9, "valid_days": 3}}, AmountExceedsLimit, None),
        ({"run_at": "2020-01-01T00:00:00Z"}, InvalidRequest, "run_at_in_past"),
        ({"run_at": "2099-01-01T00:00:00Z"}, InvalidRequest, "run_at_too_far"),
        ({"action": {"kind": "survey", "question": "q", "choices": ["a", "a"]}}, InvalidRequest, "duplicate_choices"),
    ],
)
def test_a_campaign_the_use_case_refuses_writes_nothing(stores, change, error, code):
    store, campaign_store, _ = stores
    schedules = Schedules()
    before = {c.campaign_id for c in campaign_store.list_campaigns()}
    body = {"action": {"kind": "notify", "title": "hi", "body": "there"}, **change}
    with pytest.raises(error) as refused:
        create(store, campaign_store, schedules, body.pop("action"), **body)
    if code:
        assert refused.value.code == code
    assert schedules.made == {} and {c.campaign_id for c in campaign_store.list_campaigns()} == before


def test_only_an_operator_runs_campaigns(stores):
    store, campaign_store, _ = stores
    staff = Principal("staff", frozenset({"merchant:m1"}))
    request = IdempotentRequest("staff", "k", "h")
    body = {"name": "n", "segment": "loyal", "action": {"kind": "notify", "title": "t", "body": "b"}}
    with pytest.raises(Forbidden):
        campaigns.create(store, campaign_store, Schedules(), POLICY, staff, request, body)
    with pytest.raises(Forbidden):
        campaigns.list_campaigns(campaign_store, staff)


# ---- surveys ----------------------------------------------------------------------------------------------


def test_a_survey_is_answered_once_by_a_customer_it_reached_and_its_answers_are_counted(stores):
    from chalicelib.services import surveys

    store, campaign_store, profile_store = stores
    users = members_of(profile_store, "new", 4)
    made = create(
        store,
        campaign_store,
        Schedules(),
        {"kind": "survey", "question": "Pay by balance next time?", "choices": ["yes", "no"], "allow_comment": False},
        segment="new",
        holdout_percent=0,
    ).body
    run(stores, made["campaign_id"])
    customer = lambda u: Principal(u, frozenset())
    answered = surveys.answer(campaign_store, profile_store, customer(users[0]), made["campaign_id"], {"choice": "yes"})
    assert answered["choice"] == "yes" and answered["survey_id"] == made["campaign_id"]
    surveys.answer(campaign_store, profile_store, customer(users[1]), made["campaign_id"], {"choice": "no"})
    surveys.answer(campaign_store, profile_store, customer(users[2]), made["campaign_id"], {"choice": "yes"})
    with pytest.raises(PaymentStateConflict) as twice:
        surveys.answer(campaign_store, profile_store, customer(users[0]), made["campaign_id"], {"choice": "no"})
    assert twice.value.code == "survey_answered"
    with pytest.raises(InvalidRequest) as bad_choice:
        surveys.answer(campaign_store, profile_store, customer(users[3]), made["campaign_id"], {"choice": "maybe"})
    assert bad_choice.value.code == "invalid_choice"
    with pytest.raises(InvalidRequest) as comment:
        surveys.answer(
            campaign_store, profile_store, customer(users[3]), made["campaign_id"], {"choice": "no", "comment": "hm"}
        )
    assert comment.value.code == "comment_not_allowed"
    from chalicelib.domain.errors import NotFound

    with pytest.raises(NotFound):  # a customer it did not reach does not see it
        surveys.answer(campaign_store, profile_store, customer("u-stranger"), made["campaign_id"], {"choice": "yes"})
    with pytest.raises(Forbidden):
        surveys.answer(campaign_store, profile_store, OPERATOR, made["campaign_id"], {"choice": "yes"})
    view = campaigns.get_campaign(campaign_store, OPERATOR, made["campaign_id"])["survey"]
    mine = [m for m in campaign_store.memberships(made["campaign_id"]) if m["user_id"] in users]
    assert [m["answer"]["choice"] for m in mine if m["answer"]].count("yes") == 2
    assert view["choices"]["yes"] >= 2 and view["choices"]["no"] >= 1 and view["answered"] >= 3
    assert view["by_segment"]["new"] == view["choices"]  # every member was targeted in "new"
    assert sum(sum(c.values()) for c in view["by_frequency_class"].values()) == view["answered"]
