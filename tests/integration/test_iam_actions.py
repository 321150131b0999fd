"""The DynamoDB actions the code performs are exactly those the deployed roles grant (infra/functions.py).

Every public method of the store is driven against moto while botocore's hooks record each call,
translated into the IAM actions DynamoDB authorises (a TransactWriteItems is authorised item by
item as PutItem/UpdateItem/..., a TransactGetItems as GetItem).

The reports' analytics grant (Grant.ANALYTICS_QUERIES, the API's) is accounted for at the end: the reports
route as it runs locally (its S3 reads of the export, against moto), the Athena engine as it runs on AWS
(against botocore's Stubber: moto's Athena runs no query), and what Athena itself does with the caller's
permissions on AWS only, declared with its reason.
"""

from __future__ import annotations

import inspect
import uuid

import pytest

from chalicelib.domain.model import Principal
from chalicelib.domain.checkout import Line
from chalicelib.domain.pricing import PayOptions
from chalicelib.services import (
    admin,
    checkouts,
    coupons,
    membership,
    merchant_rules,
    notifications,
    payments,
    refunds,
    promotions,
    rewards,
    topups,
    wallets,
)
from chalicelib.services.common import LedgerPolicy
from chalicelib.services.merchant_rules import ConfigCache
from chalicelib.services.common import IdempotentRequest
from chalicelib.store.dynamo import DynamoLedgerStore
from infra.functions import (
    ANALYTICS_ACTIONS,
    ANALYTICS_CATALOG_ACTIONS,
    ANALYTICS_KEY_ACTIONS,
    ATHENA_QUERY_ACTIONS,
    BY_ID,
    EXPORT_BUCKET_ACTIONS,
    EXPORT_OBJECT_ACTIONS,
    FUNCTIONS,
    RESULTS_BUCKET_ACTIONS,
    RESULTS_OBJECT_ACTIONS,
    Grant,
)


def granted(logical_id: str) -> set[str]:
    """What the function's role may do on the table and its indexes: its row in infra/functions.py."""
    return set(BY_ID[logical_id].code_actions)


def granted_on_indexes(logical_id: str) -> set[tuple[str, str]]:
    """(action, index) its role may perform on the table's indexes (each index's own ARN)."""
    return {(a, index) for q in BY_ID[logical_id].index_actions for index in q.indexes for a in q.actions}


@pytest.fixture
def on_indexes(store):
    """(action, index) of every DynamoDB call made on one of the table's indexes (its IndexName) during the test:
    IAM authorises those on the index's ARN, not the table's, so a row needs them in its index_actions."""
    from chalicelib.store.models import LedgerItem

    seen: set[tuple[str, str]] = set()

    def record(model, params, **kwargs):
        if params.get("IndexName"):
            seen.add((f"dynamodb:{model.name}", params["IndexName"]))

    events = LedgerItem._get_connection().connection.client.meta.events
    events.register("before-parameter-build.dynamodb", record)
    yield seen
    events.unregister("before-parameter-build.dynamodb", record)


# every function whose role gets table or index actions, and the test here that drives its code
DRIVEN = {
    "APIHandler": "test_the_api_uses_exactly_the_granted_table_actions",
    "Promotions": "test_the_promotions_function_uses_only_the_table_actions_its_role_must_grant",
    "Reconcile": "test_the_reconciliation_job_uses_exactly_its_granted_table_actions",
    "SweepHolds": "test_the_hold_sweeper_uses_exactly_its_granted_table_and_index_actions",
    "ExpireBonus": "test_the_bonus_expiry_job_uses_exactly_its_granted_table_and_index_actions",
    "Lifecycle": "test_the_lifecycle_consumer_and_the_reminders_job_use_exactly_their_granted_actions",
    "Remind": "test_the_lifecycle_consumer_and_the_reminders_job_use_exactly_their_granted_actions",
    "SegmentDaily": "test_the_segmentation_functions_use_exactly_their_granted_table_actions",
    "Segmentation": "test_the_segmentation_functions_use_exactly_their_granted_table_actions",
    "CampaignMeasurement": "test_the_campaign_measurement_uses_exactly_its_granted_table_actions",
    "Backtest": "test_the_backtest_function_uses_exactly_its_granted_table_actions",
}


def test_every_function_granted_table_actions_has_its_code_driven_here():
    """A new row with table actions needs a test here that records what its code does."""
    assert {s.logical_id for s in FUNCTIONS if s.code_actions} == set(DRIVEN)
    assert all(callable(globals().get(name)) for name in DRIVEN.values())


def fund(store, user: str, amount: int) -> None:
    """Cash into the customer's wallet by an operator's adjustment (what a test's customer pays with)."""
    admin.adjust(
        store,
        currency="CNY",
        max_attempts=5,
        principal=Principal("op", frozenset({"admin"})),
        request=IdempotentRequest("op", f"fund-{user}", "h"),
        user_id=user,
        amount=amount,
        lot="cash",
        reason="funds",
    )


ITEMS = [{"sku": "s1", "category": "books", "unit_price": 300, "quantity": 1}]


@pytest.fixture
def called(store, monkeypatch):
    """Which public store methods ran."""
    names: set[str] = set()
    for name, fn in inspect.getmembers(DynamoLedgerStore, inspect.isfunction):
        if name.startswith("_"):
            continue

        def wrapper(self, *a, __fn=fn, __name=name, **k):
            names.add(__name)
            return __fn(self, *a, **k)

        monkeypatch.setattr(DynamoLedgerStore, name, wrapper)
    return names


def test_the_api_uses_exactly_the_granted_table_actions(store, actions, on_indexes, called, monkeypatch):
    from chalicelib.store.profiles import DynamoProfileStore

    user = f"u-{uuid.uuid4().hex[:8]}"
    # what a segmentation run leaves for the segments routes (the segmentation functions' write, not the API's)
    DynamoProfileStore().put_profiles([{"user_id": user, "segment": "champions", "balance": 1000}], "seg-iam", "t")
    actions.clear()
    _segments_routes(user)  # on the real clock: the run it queues is today's
    req = lambda key: IdempotentRequest(user, key, "h-" + key)
    admin.put_merchant(store, "m-iam", "Shop", "active")
    ok = topups.create_topup(
        store,
        currency="CNY",
        max_balance=10**9,
        principal=Principal(user),
        request=req("t1"),
        amount=1000,
        channel="card",
    )
    topups.confirm_topup(
        store,
        currency="CNY",
        max_attempts=5,
        topup_id=ok.body["topup_id"],
        status="succeeded",
        amount=1000,
        provider_ref="p1",
    )
    bad = topups.create_topup(
        store,
        currency="CNY",
        max_balance=10**9,
        principal=Principal(user),
        request=req("t2"),
        amount=50,
        channel="card",
    )
    topups.confirm_topup(
        store,
        currency="CNY",
        max_attempts=5,
        topup_id=bad.body["topup_id"],
        status="failed",
        amount=50,
        provider_ref="p2",
    )
    operator = Principal("op", frozenset({"admin"}))
    cache = ConfigCache(0)
    merchant_rules.put_rules(store, operator, "m-iam", {"daily_limit": 10**6}, cache)
    merchant_rules.get_rules(store, operator, "m-iam")
    shop = Principal("svc", frozenset({"service"}))
    checkout = checkouts.create_checkout(
        store,
        LedgerPolicy(),
        shop,
        IdempotentRequest("svc", "c", "h-c"),
        merchant_id="m-iam",
        order_id=f"o-{uuid.uuid4().hex[:6]}",
        user_id=user,
        lines=[Line(**i) for i in ITEMS],
        expires_in_seconds=None,
    )
    checkouts.get_checkout(store, Principal(user), checkout.body["checkout_id"])
    dropped = checkouts.create_checkout(
        store,
        LedgerPolicy(),
        shop,
        IdempotentRequest("svc", "c-drop", "h-c"),
        merchant_id="m-iam",
        order_id=f"o-{uuid.uuid4().hex[:6]}",
        user_id=user,
        lines=[Line(**i) for i in ITEMS],
        expires_in_seconds=None,
    )
    checkouts.cancel_checkout(store, LedgerPolicy(), shop, dropped.body["checkout_id"], "wrong order")
    checkouts.quote(store, LedgerPolicy(), cache, Principal(user), checkout.body["checkout_id"], PayOptions())
    warm = ConfigCache(3600)  # a warm merchant whose promotions went stale reads the live promotions alone
    warm.get(store, "m-iam")
    warm.forget_promotions()
    warm.get(store, "m-iam")
    paid = payments.pay(
        store, LedgerPolicy(), cache, Principal(user), req("p"), checkout.body["checkout_id"], PayOptions()
    )
    refunds.refund(
        store,
        currency="CNY",
        max_attempts=5,
        principal=Principal("svc", frozenset({"service"})),
        request=IdempotentRequest("svc", "r", "h-r"),
        payment_id=paid.body["payment_id"],
        amount=100,
        reason="return",
    )
    payments.get_payment(store, Principal(user), paid.body["payment_id"])
    admin.adjust(
        store,
        currency="CNY",
        max_attempts=5,
        principal=Principal("op", frozenset({"admin"})),
        request=IdempotentRequest("op", "a", "h-a"),
        user_id=user,
        amount=5,
        lot="bonus",
        reason="goodwill",
    )
    topups.put_plan(
        store,
        f"plan-{user}",
        {
            "name": "more",
            "min_amount": 10**7,
            "bonus_amount": 1,
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_to": "2026-01-02T00:00:00Z",
            "active": False,
        },
    )
    topups.list_plans(store)
    wallets.get_wallet(store, "CNY", user)
    wallets.update_settings(store, "CNY", user, 100)
    wallets.update_settings(store, "CNY", user, None, {"run_out_days": 5, "email": "a@example.com"})
    notifications.list_notifications(store, user, 2, None, True)
    with pytest.raises(Exception):
        notifications.mark_read(store, user, "ntf_000000000000aaaaaaaaaaaaaaaa")
    store.list_entries(user, 2)
    store.list_points_entries(user, 2)
    coupons.put_definition(
        store,
        operator,
        f"cd-{user}",
        {
            "name": "off",
            "kind": "amount_off",
            "value": 10,
            "min_spend": 0,
            "merchant_id": None,
            "balance_pay_only": False,
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_to": "2099-01-01T00:00:00Z",
            "per_customer_limit": 1,
            "budget_count": 3,
            "budget_amount": None,
        },
    )
    coupons.get_definition(store, operator, f"cd-{user}")
    coupons.grant(store, operator, IdempotentRequest("op", f"g-{user}", "h"), f"cd-{user}", [user])
    coupons.list_coupons(store, user, None)
    rewards.put_reward(
        store,
        operator,
        f"rw-{user}",
        {
            "name": "mug",
            "kind": "coupon",
            "points_cost": 1,
            "coupon_definition_id": f"cd-{user}",
            "stock": 5,
            "per_customer_limit": 1,
            "active": True,
        },
    )
    rewards.list_rewards(store, Principal(user))
    membership.put_tiers(
        store,
        operator,
        [{"name": "base", "threshold": 0, "points_multiplier": 1, "balance_pay_discount_percent": 0}],
        cache,
    )
    membership.get_membership(store, "CNY", user)
    from datetime import timedelta

    from chalicelib.services import clock

    week_later = clock.now() + timedelta(days=8)  # the points the payment earned are available
    monkeypatch.setattr(clock, "now", lambda: week_later)
    assert rewards.redeem(store, LedgerPolicy(), Principal(user), req("redeem"), f"rw-{user}").status_code == 201
    store.list_entries(user, 10, None, "top_up")
    store.get_idempotency(user, "p")
    assert store.health()
    admin.reconcile(store.scan())
    made = _promotion(store, operator, user, cache)
    promotions.list_promotions(store, operator, None)
    promotions.get_promotion(store, operator, made)
    promotions.cancel(store, NoSchedules(), cache, operator, made)

    public = {n for n, _ in inspect.getmembers(DynamoLedgerStore, inspect.isfunction) if not n.startswith("_")}
    # the jobs' work lists, on their indexes, and the reminder functions' calls: their own tests below
    public -= {"open_holds_due", "open_checkouts_due", "expire_checkout", "scan_wallets"} | REMINDER_STORE_METHODS
    assert called == public, f"store methods not exercised here: {sorted(public - called)}"
    assert actions == granted("APIHandler")
    assert on_indexes == granted_on_indexes("APIHandler") == {("dynamodb:Query", "segment-members")}


def _segments_routes(user: str) -> None:
    """What the segments routes (chalicelib/api/segments.py) call, on the API's profile store: the segments and
    their history, a profile, a segment's members page by page (index segment-members), a run asked for
    (POST /v1/admin/segmentations: a conditional put) and its state."""
    from chalicelib.domain.errors import NotFound
    from chalicelib.services import profiles
    from chalicelib.store.profiles import DynamoProfileStore

    profile_store = DynamoProfileStore()
    profiles.segments(profile_store)
    profiles.history(profile_store)
    assert profiles.profile(profile_store, user)["segment"] == "champions"
    with pytest.raises(NotFound):
        profiles.profile(profile_store, f"u-unseen-{uuid.uuid4().hex[:8]}")
    listed, cursor = [], None
    while True:  # page by page until the end (other tests' profiles may share the segment)
        page = profiles.members(profile_store, "champions", 50, cursor)
        listed += page["members"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [m["balance"] for m in listed if m["user_id"] == user] == [1000]
    queued = profiles.request_run(profile_store, "op", None)
    assert profiles.run_state(profile_store, queued["run_id"])["state"] in ("queued", "running")


class NoSchedules:
    """The scheduler, out of the way: these tests are about the table."""

    def create(self, promotion) -> None:
        pass

    def delete(self, promotion_id) -> None:
        pass

    def create_campaign(self, campaign_id, runs_at, measures_at) -> None:
        pass

    def delete_campaign(self, campaign_id) -> None:
        pass


def _promotion(store, operator, user, cache, effect=None) -> str:
    from datetime import timedelta

    from chalicelib.domain.moments import format_time
    from chalicelib.services import clock

    soon = clock.now() + timedelta(seconds=2)
    return promotions.create(
        store,
        NoSchedules(),
        cache,
        promotions.PromotionPolicy(),
        operator,
        IdempotentRequest("op", f"pr-{uuid.uuid4().hex[:8]}", "h"),
        {
            "name": "promo",
            "merchant_id": None,
            "starts_at": format_time(soon),
            "ends_at": format_time(soon + timedelta(hours=1)),
            "effect": effect or {"kind": "extra_balance_discount", "percent": 5, "max_amount": None},
        },
    ).body["promotion_id"]


def test_the_promotions_function_uses_only_the_table_actions_its_role_must_grant(
    store, actions, on_indexes, monkeypatch
):
    from chalicelib.store.profiles import DynamoProfileStore
    from datetime import timedelta

    from chalicelib.services import clock

    operator = Principal("op", frozenset({"admin"}))
    definition = f"cd-promo-{uuid.uuid4().hex[:6]}"
    coupons.put_definition(
        store,
        operator,
        definition,
        {
            "name": "off",
            "kind": "amount_off",
            "value": 10,
            "min_spend": 0,
            "merchant_id": None,
            "balance_pay_only": False,
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_to": "2099-01-01T00:00:00Z",
            "per_customer_limit": 1,
        },
    )
    made = _promotion(
        store,
        operator,
        "u",
        ConfigCache(0),
        {"kind": "grant_coupon", "definition_id": definition, "audience": "all_balance_payers"},
    )
    # a named segment's audience: its members as the last segmentation run left them (index segment-members)
    member = f"u-seg-{uuid.uuid4().hex[:8]}"
    profile_store = DynamoProfileStore()
    profile_store.put_profiles([{"user_id": member, "segment": "at_risk", "balance": 0}], "seg-iam", "t")
    to_segment = _promotion(
        store,
        operator,
        "u",
        ConfigCache(0),
        {"kind": "grant_coupon", "definition_id": definition, "audience": {"segment": "at_risk"}},
    )
    later = clock.now() + timedelta(seconds=3)
    monkeypatch.setattr(clock, "now", lambda: later)
    actions.clear()
    on_indexes.clear()
    policy = promotions.PromotionPolicy()
    assert promotions.fire(store, policy, made, "start")["grant"]["state"] == "done"
    promotions.fire(store, policy, made, "end")
    assert on_indexes == set()  # the whole audience: a Scan of the wallets
    fired = promotions.fire(store, policy, to_segment, "start", members=profile_store)  # as the handler passes it
    assert fired["grant"]["state"] == "done" and fired["grant"]["granted"] >= 1
    assert [c.terms.definition_id for c in store.list_coupons(member)] == [definition]  # the member got one
    # a campaign's run, from its schedule (the same function): every action, each member's membership
    from chalicelib.handlers.campaigns import fire as fire_campaign
    from chalicelib.bootstrap import campaign_store
    from chalicelib.services import campaigns

    runs = []
    for n, action in enumerate(
        [
            {"kind": "grant_coupon", "definition_id": definition},
            {"kind": "grant_bonus", "amount": 100, "valid_days": 3},
            {"kind": "notify", "title": "t", "body": "b"},
        ]
    ):
        body = {"name": "c", "segment": "at_risk", "action": action, "holdout_percent": 0}
        runs.append(
            campaigns.create(
                store,
                campaign_store(),
                NoSchedules(),
                LedgerPolicy(),
                operator,
                IdempotentRequest("op", f"cmp-{uuid.uuid4().hex}", f"h{n}"),
                body,
            ).body["campaign_id"]
        )
    for campaign_id in runs:
        assert fire_campaign({"campaign_id": campaign_id, "action": "run"}, None)["status"] == "completed"
    assert actions == granted("Promotions")
    assert on_indexes == granted_on_indexes("Promotions") == {("dynamodb:Query", "segment-members")}


def test_the_reconciliation_job_uses_exactly_its_granted_table_actions(store, actions):
    from dev.reconcile import fire

    actions.clear()
    fire()
    assert actions == granted("Reconcile")


def test_the_hold_sweeper_uses_exactly_its_granted_table_and_index_actions(store, actions, monkeypatch):
    from datetime import timedelta

    from chalicelib.handlers.holds import sweep_expired_holds
    from chalicelib.services import clock

    user = f"u-{uuid.uuid4().hex[:8]}"
    admin.put_merchant(store, "m-sweep", "Shop", "active")
    fund(store, user, 500)
    checkout = checkouts.create_checkout(
        store,
        LedgerPolicy(),
        Principal("svc", frozenset({"service"})),
        IdempotentRequest("svc", f"c-{user}", "h"),
        merchant_id="m-sweep",
        order_id=f"o-{user}",
        user_id=user,
        lines=[Line(**i) for i in ITEMS],
        expires_in_seconds=None,
    )
    payments.pay(
        store,
        LedgerPolicy(hold_ttl_seconds=60),
        ConfigCache(0),
        Principal(user),
        IdempotentRequest(user, "p", "h"),
        checkout.body["checkout_id"],
        PayOptions(capture=False),
    )
    unpaid = checkouts.create_checkout(  # and a checkout that ends unpaid: the sweeper expires it
        store,
        LedgerPolicy(),
        Principal("svc", frozenset({"service"})),
        IdempotentRequest("svc", f"c2-{user}", "h"),
        merchant_id="m-sweep",
        order_id=f"o2-{user}",
        user_id=user,
        lines=[Line(**i) for i in ITEMS],
        expires_in_seconds=60,
    ).body["checkout_id"]
    moment = clock.now() + timedelta(seconds=61)
    monkeypatch.setattr(clock, "now", lambda: moment)
    actions.clear()
    swept = sweep_expired_holds()
    assert swept["released"] and unpaid in swept["checkouts_expired"]
    assert actions == granted("SweepHolds")


def test_the_bonus_expiry_job_uses_exactly_its_granted_table_and_index_actions(store, actions, monkeypatch):
    from datetime import timedelta

    from chalicelib.domain.bonus import TopupPlan
    from chalicelib.handlers.bonus import expire_due_bonus
    from chalicelib.services import clock

    user = f"u-{uuid.uuid4().hex[:8]}"
    store.put_topup_plan(
        TopupPlan(
            f"p-{user}",
            "more",
            min_amount=123_457,
            bonus_amount=100,
            bonus_valid_days=1,
            valid_from="2000-01-01T00:00:00.000Z",
            valid_to="2999-01-01T00:00:00.000Z",
            version=1,
        ),
        "t",
    )
    ok = topups.create_topup(
        store,
        currency="CNY",
        max_balance=10**9,
        principal=Principal(user),
        request=IdempotentRequest(user, "t", "h"),
        amount=123_457,
        channel="card",
    )
    topups.confirm_topup(
        store,
        currency="CNY",
        max_attempts=5,
        topup_id=ok.body["topup_id"],
        status="succeeded",
        amount=123_457,
        provider_ref="p",
    )
    store.put_topup_plan(
        TopupPlan(
            f"p-{user}",
            "more",
            min_amount=123_457,
            bonus_amount=100,
            active=False,
            valid_from="2000-01-01T00:00:00.000Z",
            valid_to="2999-01-01T00:00:00.000Z",
            version=2,
        ),
        "t",
    )
    moment = clock.now() + timedelta(days=2)
    monkeypatch.setattr(clock, "now", lambda: moment)
    actions.clear()
    assert expire_due_bonus()["expired"].get(user) == 100
    assert actions == granted("ExpireBonus")


# what only the lifecycle consumer and the daily reminders job call (they write notifications, send e-mail)
REMINDER_STORE_METHODS = {
    "wallets_to_remind",
    "wallets_with_bonus_due",
    "put_notification",
    "get_notification",
    "claim_email",
    "email_sent",
    "release_email",
}


def test_the_lifecycle_consumer_and_the_reminders_job_use_exactly_their_granted_actions(store, actions, called):
    from datetime import datetime, timezone

    from chalicelib.services import reminders

    user = f"u-{uuid.uuid4().hex[:8]}"
    wallets.update_settings(store, "CNY", user, 1000, {"run_out_days": 30, "email": "a@example.com"})
    from chalicelib.store.models import WalletItem, wallet_key

    today = datetime.now(timezone.utc).date().isoformat()
    # 50 in the wallet through the ledger (the reconciliation of this table must stay clean), and a spending
    # history that makes it run out within the month
    fund(store, user, 50)
    WalletItem(*wallet_key(user)).update(actions=[WalletItem.spend_days.set({today: 100})])
    sent: list[str] = []

    def fail_once(sender, to, subject, text):
        if not sent:
            sent.append("failed")
            raise RuntimeError("SES refused")
        sent.append(to)
        return "m-1"

    delivery = reminders.Delivery("noreply@example.com", fail_once)
    actions.clear()
    called.clear()
    detail = {"event_id": f"e-{user}", "user_id": user, "balance": 50, "threshold": 1000}
    with pytest.raises(RuntimeError):  # a failed e-mail, then its redelivery
        reminders.on_balance_low(store, delivery, detail, datetime.now(timezone.utc))
    assert reminders.on_balance_low(store, delivery, detail, datetime.now(timezone.utc))["email"] == "sent"
    reminders.on_payment_succeeded(
        store, delivery, {"user_id": user, "payment_id": f"p-{user}"}, datetime.now(timezone.utc)
    )
    assert actions == granted("Lifecycle")
    actions.clear()
    report = reminders.run_daily(store, delivery, (5000,), datetime.now(timezone.utc))
    assert report["run_out"]["notified"] >= 1 and report["emails"]["sent"] >= 1
    assert actions == granted("Remind")
    assert REMINDER_STORE_METHODS <= called


@pytest.fixture
def segmentation_export(moto_table):
    """An export bucket of this test's own, the settings pointed at it (the segmentation job reads the export
    locally from moto's S3 and runs DuckDB over it: chalicelib/bootstrap.py analytics); caches put back after.
    Yields a function that files events in it, as the export does."""
    from chalicelib.insight.export import objects_of
    from dev.stack import aws_client
    from tests.inprocess.conftest import clear_app_caches

    s3 = aws_client("s3", moto_table)
    bucket = f"iam-segments-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)

    def file(events: list[dict]) -> None:
        for key, body in objects_of(events, "iam-segments").items():
            s3.put_object(Bucket=bucket, Key=key, Body=body)

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("EXPORT_BUCKET", bucket)
            clear_app_caches()
            yield bucket, file
    finally:
        clear_app_caches()
        for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
        s3.delete_bucket(Bucket=bucket)


def test_the_campaign_measurement_uses_exactly_its_granted_table_actions(
    store, actions, on_indexes, segmentation_export
):
    """``campaign_measurement`` (chalicelib/handlers/campaigns.py) from its campaign.measurement_requested event:
    the campaign read, its measurement claimed and recorded, its memberships queried, the export read locally."""
    from chalicelib.bootstrap import campaign_store
    from chalicelib.events.catalogue import SOURCE
    from chalicelib.handlers.campaigns import campaign_measurement
    from chalicelib.services import campaigns, clock
    from chalicelib.services.common import LedgerPolicy

    _, file = segmentation_export
    operator = Principal("op", frozenset({"admin"}))
    made = campaigns.create(
        store,
        campaign_store(),
        NoSchedules(),
        LedgerPolicy(),
        operator,
        IdempotentRequest("op", f"cmp-{uuid.uuid4().hex}", "h"),
        {"name": "m", "segment": "dormant", "action": {"kind": "notify", "title": "t", "body": "b"}},
    ).body
    assert campaigns.fire(store, campaign_store(), NoMembers(), LedgerPolicy(), made["campaign_id"], "run")
    queued = campaigns.measure_now(campaign_store(), operator, made["campaign_id"]).body["measurement"]
    requested = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "campaign.measurement_requested",
        "source": SOURCE,
        "account": "000000000000",
        "time": clock.stamp(),
        "region": "us-east-1",
        "resources": [],
        "detail": {"campaign_id": made["campaign_id"], "requested_at": queued["requested_at"]},
    }
    actions.clear()
    on_indexes.clear()
    assert campaign_measurement(requested, None)["state"] == "succeeded"
    assert actions == granted("CampaignMeasurement") and on_indexes == set()


class NoMembers:
    """A segment with nobody in it (the run's listing is the promotions function's, tested above)."""

    def members(self, segment, cursor, limit):
        return [], None


def test_the_segmentation_functions_use_exactly_their_granted_table_actions(
    store, actions, on_indexes, segmentation_export
):
    """``segment_daily`` (the schedule's run: its run put, the wallets scanned, every profile batch-written) and
    ``segmentation`` (a run POST /v1/admin/segmentations queued, from its segmentation.requested event: claimed
    by a conditional update first), through chalicelib/handlers/segmentation.py against moto, the export read
    locally with exactly the S3 actions of the analytics grant."""
    from datetime import timedelta

    from chalicelib import aws
    from chalicelib.events.catalogue import SOURCE
    from chalicelib.handlers.segmentation import run_segmentation, segmentation_requested
    from chalicelib.services import clock, profiles
    from chalicelib.store.profiles import DynamoProfileStore

    bucket, file = segmentation_export
    user = f"u-{uuid.uuid4().hex[:8]}"
    fund(store, user, 500)
    yesterday = (clock.now() - timedelta(days=1)).date().isoformat()
    paid = {"event_id": f"e-{user}", "user_id": user, "payment_id": f"p-{user}", "amount": 300, "balance_paid": 300}
    file([{**_checkout_opened(yesterday, "m-seg"), "detail-type": "payment.succeeded", "detail": paid}])
    seen: set[str] = set()
    where: set[tuple[str, str]] = set()

    def record(model, params, **kwargs):
        seen.add(S3_OPERATION_ACTIONS.get(model.name, f"s3:{model.name}"))
        where.add((params.get("Bucket", ""), params.get("Prefix", params.get("Key", ""))))

    s3_events = aws.client("s3").meta.events  # the job's own client (bootstrap.aws), with this test's settings
    s3_events.register("before-parameter-build.s3", record)
    try:
        actions.clear()
        daily = run_segmentation()  # what segment_daily runs
        assert daily["state"] == "succeeded" and daily["as_of"] == clock.now().date().isoformat()
        assert actions == granted("SegmentDaily")
        profile = DynamoProfileStore().get_profile(user)
        assert profile is not None and profile["run_id"] == daily["run_id"]
        assert (profile["balance"], profile["rfm"]["frequency"], profile["rfm"]["monetary"]) == (500, 1, 300)
        assert profile["recency_days"] == 1

        # the API's part (a run queued today by another test of this process is joined, and run here)
        queued = profiles.request_run(DynamoProfileStore(), "op-iam", None)
        assert queued["state"] == "queued"
        today = queued["as_of"]
        requested = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "segmentation.requested",
            "source": SOURCE,
            "account": "000000000000",
            "time": clock.stamp(),
            "region": "us-east-1",
            "resources": [],
            "detail": {"run_id": queued["run_id"], "as_of": today, "requested_by": "op-iam"},
        }
        actions.clear()
        done = segmentation_requested(requested, None)
        assert (done["run_id"], done["state"], done["as_of"]) == (queued["run_id"], "succeeded", today)
        assert actions == granted("Segmentation")
        assert segmentation_requested(requested, None)["state"] == "skipped"  # a redelivery runs nothing
        assert actions == granted("Segmentation")
    finally:
        s3_events.unregister("before-parameter-build.s3", record)
    # who an earlier run profiled: the members index, segment by segment (services/segmentation.py profiled)
    members = {("dynamodb:Query", "segment-members")}
    assert on_indexes == members == granted_on_indexes("SegmentDaily") == granted_on_indexes("Segmentation")
    assert DynamoProfileStore().get_profile(user)["run_id"] == queued["run_id"]  # the queued run rewrote it
    assert seen == LOCAL_EXPORT_READ
    assert {b for b, _ in where} == {bucket}
    assert all(key.startswith("export/events/") for _, key in where), where


# ---- the reports' analytics grant (Grant.ANALYTICS_QUERIES) ---------------------------------------------------
# What the API's code calls itself: locally the reports route reads the export with S3's own API (moto's Athena
# runs no query: chalicelib/bootstrap.py analytics), on AWS it runs the query on Athena (AthenaEngine).
LOCAL_EXPORT_READ = {"s3:ListBucket", "s3:GetObject"}  # ListObjectsV2 is authorised as s3:ListBucket
S3_OPERATION_ACTIONS = {"ListObjectsV2": "s3:ListBucket", "GetObject": "s3:GetObject"}
# Granted but exercised on AWS only, by Athena: it runs a query with its caller's permissions, so the role needs
# what Athena does for the query. Athena reads the table from the Glue catalogue, locates and reads the export's
# objects, writes the results to the workgroup's bucket (multipart when large, aborted on failure) and reads them
# back for GetQueryResults, the objects of both buckets under the stage's key through S3 (SSE-KMS). Nothing here
# can perform these: no Glue catalogue or Athena engine runs locally, and moto neither runs a query nor checks IAM.
ATHENA_ON_AWS_ONLY = {
    *ANALYTICS_CATALOG_ACTIONS,
    "s3:GetBucketLocation",  # of both buckets, before Athena reads or writes them
    *RESULTS_BUCKET_ACTIONS,
    *RESULTS_OBJECT_ACTIONS,
    *ANALYTICS_KEY_ACTIONS,
}


def test_the_analytics_grant_is_what_the_code_calls_and_what_athena_does_for_it():
    """Every action of the grant is exercised below, or declared as Athena's own on AWS: none is left over. The
    API's reports, the segmentation functions, the campaign measurement and the backtest run their analyses
    through the same engines (chalicelib/bootstrap.py analytics: DuckDB over the export's objects locally,
    AthenaEngine on AWS), so one Stubber test of AthenaEngine and the local S3 reads (the reports route's, the
    segmentation run's and the backtest's above) cover every row."""
    assert [s.logical_id for s in FUNCTIONS if Grant.ANALYTICS_QUERIES in s.grants] == [
        "APIHandler",
        "SegmentDaily",
        "Segmentation",
        "CampaignMeasurement",
        "Backtest",
    ]
    assert set(ATHENA_QUERY_ACTIONS) | LOCAL_EXPORT_READ | ATHENA_ON_AWS_ONLY == set(ANALYTICS_ACTIONS)
    assert not set(ATHENA_QUERY_ACTIONS) & ATHENA_ON_AWS_ONLY  # the code's own calls are all driven here
    assert LOCAL_EXPORT_READ <= set(EXPORT_BUCKET_ACTIONS) | set(EXPORT_OBJECT_ACTIONS)


def _checkout_opened(day: str, merchant: str) -> dict:
    """A checkout.opened event of the bus, whole, as the export files it (chalicelib/insight/export.py)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "checkout.opened",
        "source": "store-balance",
        "account": "000000000000",
        "time": f"{day}T10:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "event_id": f"e-{uuid.uuid4().hex[:8]}",
            "checkout_id": f"co-{uuid.uuid4().hex[:8]}",
            "merchant_id": merchant,
            "order_id": "o-1",
            "amount": 1500,
        },
    }


@pytest.fixture
def reports_app(moto_table):
    """The app in this process as tests/inprocess runs it (its settings, a user pool of its own), with an export
    bucket of this test's own holding one day's object; the environment and the app's caches put back after."""
    from chalicelib.insight.export import objects_of
    from dev.stack import StackInfo, app_environment, aws_client, create_user_pool, issue_token
    from tests.aws_env import TABLE
    from tests.conftest import TEST_APP_ENV
    from tests.inprocess.conftest import clear_app_caches
    from tests.inprocess.harness import InProcessSession

    s3 = aws_client("s3", moto_table)
    bucket, day, merchant = f"iam-export-{uuid.uuid4().hex[:8]}", "2026-01-02", f"m-iam-{uuid.uuid4().hex[:6]}"
    s3.create_bucket(Bucket=bucket)
    for key, body in objects_of([_checkout_opened(day, merchant)], "iam-export").items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    pool, client = create_user_pool(moto_table)
    info = StackInfo(aws_endpoint=moto_table, api_url="", user_pool_id=pool, client_id=client, table=TABLE)
    env = {
        **app_environment(info, TEST_APP_ENV),
        "AWS_ENDPOINT": moto_table,
        "EXPORT_BUCKET": bucket,
        "STAGE": "local",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            for name in ("PAYMENT_WEBHOOK_SECRET_NAME", "COGNITO_ISSUER"):
                patch.delenv(name, raising=False)
            clear_app_caches()
            from app import app

            token = issue_token(info, "iam-reports-admin", ["admin"])
            yield InProcessSession(app), {"Authorization": f"Bearer {token}"}, bucket, day, merchant
    finally:
        clear_app_caches()
        for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
        s3.delete_bucket(Bucket=bucket)


def test_the_reports_route_reads_the_export_locally_with_exactly_the_granted_s3_actions(reports_app):
    """GET /v1/admin/reports/obstacles as an admin, in process against moto: the export's objects of the period's
    days, listed and read, under export/events/ (the object grant's prefix) of the export bucket only."""
    from chalicelib import aws

    http, headers, bucket, day, merchant = reports_app
    seen: set[str] = set()
    where: set[tuple[str, str]] = set()

    def record(model, params, **kwargs):
        seen.add(S3_OPERATION_ACTIONS.get(model.name, f"s3:{model.name}"))
        where.add((params.get("Bucket", ""), params.get("Prefix", params.get("Key", ""))))

    events = aws.client("s3").meta.events  # the app's own client (bootstrap.aws), built with this test's settings
    events.register("before-parameter-build.s3", record)
    try:
        r = http.get(f"/v1/admin/reports/obstacles?from={day}&to={day}", headers=headers)
    finally:
        events.unregister("before-parameter-build.s3", record)
    assert r.status_code == 200, r.text
    rows = [row for row in r.json()["rows"] if row["merchant_id"] == merchant]
    assert [(row["outcome"], row["reason"], row["checkouts"]) for row in rows] == [("none", "never_quoted", 1)]
    assert seen == LOCAL_EXPORT_READ
    assert {b for b, _ in where} == {bucket}
    assert all(key.startswith("export/events/") for _, key in where), where


def test_the_athena_engine_on_aws_calls_exactly_the_granted_athena_actions(monkeypatch):
    """The same route's analysis as it runs on AWS (bootstrap.analytics without a local endpoint), against
    botocore's Stubber: started in the settings' workgroup and database, polled, its result pages read; and a
    query past the timeout stopped."""
    from dataclasses import replace
    from datetime import date

    import boto3
    from botocore.stub import ANY, Stubber

    from chalicelib import bootstrap
    from chalicelib.config import get_settings
    from chalicelib.domain.errors import Unavailable
    from chalicelib.insight.engine import athena_sql
    from chalicelib.services import reports

    athena = boto3.client("athena", region_name="us-east-1")
    settings = replace(
        get_settings(),
        aws_endpoint=None,
        analytics_database="store_balance_dev_analytics",
        analytics_workgroup="store-balance-dev-analytics",
    )
    monkeypatch.setattr(bootstrap, "get_settings", lambda: settings)
    monkeypatch.setattr(bootstrap, "aws", lambda service: {"athena": athena}[service])
    seen: set[str] = set()
    athena.meta.events.register("before-parameter-build.athena", lambda model, **kw: seen.add(f"athena:{model.name}"))

    columns = [("merchant_id", "varchar"), ("outcome", "varchar"), ("reason", "varchar")] + [
        (name, "bigint") for name in ("checkouts", "amount", "topup_needed")
    ]

    def page(*rows, more: bool = False) -> dict:
        answer = {
            "ResultSet": {
                "Rows": [{"Data": [{"VarCharValue": v} for v in row]} for row in rows],
                "ResultSetMetadata": {"ColumnInfo": [{"Name": n, "Type": t} for n, t in columns]},
            }
        }
        return {**answer, "NextToken": "page-2"} if more else answer

    def state(value: str) -> dict:
        return {"QueryExecution": {"QueryExecutionId": "q-1", "Status": {"State": value}}}

    day = date(2026, 1, 2)
    started = {
        "QueryString": athena_sql("obstacles"),
        "QueryExecutionContext": {"Database": settings.analytics_database},
        "WorkGroup": settings.analytics_workgroup,
        "ExecutionParameters": ["'2026-01-02'", "'2026-01-02'"],
    }
    with Stubber(athena) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q-1"}, started)
        stub.add_response("get_query_execution", state("RUNNING"), {"QueryExecutionId": "q-1"})
        stub.add_response("get_query_execution", state("SUCCEEDED"), {"QueryExecutionId": "q-1"})
        stub.add_response(
            "get_query_results",
            page([n for n, _ in columns], ["m-1", "none", "never_quoted", "1", "1500", "0"], more=True),
            {"QueryExecutionId": "q-1"},
        )
        stub.add_response(
            "get_query_results",
            page(["m-2", "full", "paid_by_balance", "2", "3000", "0"]),
            {"QueryExecutionId": "q-1", "NextToken": "page-2"},
        )
        engine = bootstrap.analytics(day, day)
        engine.poll_seconds = 0
        body = reports.obstacles(engine, day, day)
        assert [(r["merchant_id"], r["checkouts"], r["amount"]) for r in body["rows"]] == [
            ("m-1", 1, 1500),
            ("m-2", 2, 3000),
        ]
        # a query that outlasts the request's time is stopped, not left running
        stub.add_response("start_query_execution", {"QueryExecutionId": "q-2"}, {**started, "QueryString": ANY})
        stub.add_response("get_query_execution", state("RUNNING"), {"QueryExecutionId": "q-2"})
        stub.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-2"})
        slow = bootstrap.analytics(day, day)
        slow.timeout = -1.0
        with pytest.raises(Unavailable):
            reports.obstacles(slow, day, day)
        stub.assert_no_pending_responses()
    assert seen == set(ATHENA_QUERY_ACTIONS)


def test_the_backtest_function_uses_exactly_its_granted_table_actions(store, actions, on_indexes, segmentation_export):

    from chalicelib import aws
    from chalicelib.domain.model import Merchant, Principal
    from chalicelib.events.catalogue import SOURCE
    from chalicelib.handlers.backtests import backtest_requested
    from chalicelib.services import backtests, clock, coupons
    from chalicelib.store.backtests import backtest_store

    bucket, file = segmentation_export
    merchant, user = f"m-bt-{uuid.uuid4().hex[:6]}", f"u-{uuid.uuid4().hex[:8]}"
    admin_ = Principal("op", frozenset({"admin"}))
    store.put_merchant(Merchant(merchant, "shop"), clock.stamp())
    fund(store, user, 5000)
    definition = f"cd-bt-{uuid.uuid4().hex[:6]}"
    coupons.put_definition(
        store,
        admin_,
        definition,
        {
            "name": "c",
            "kind": "amount_off",
            "value": 100,
            "min_spend": 0,
            "merchant_id": merchant,
            "balance_pay_only": False,
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_to": "2099-01-01T00:00:00Z",
            "per_customer_limit": 5,
            "budget_count": None,
            "budget_amount": None,
        },
    )
    coupons.grant(store, admin_, IdempotentRequest("op", f"g-{user}", "h"), definition, [user])
    coupon_id = store.list_coupons(user)[0].coupon_id
    today = clock.now().date().isoformat()
    quote = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "checkout.quoted",
        "source": SOURCE,
        "account": "000000000000",
        "time": f"{today}T00:00:01Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "event_id": str(uuid.uuid4()),
            "checkout_id": "chk_1",
            "merchant_id": merchant,
            "user_id": user,
            "amount": 1000,
            "lines": [{"sku": "s", "category": "c", "unit_price": 1000, "quantity": 1}],
            "expires_at": f"{today}T23:00:00.000Z",
            "balance": 900,
            "discount_total": 100,
            "external": 0,
            "payable": True,
            "limits": [],
            "funds": {"cash": 5000, "bonus": 0, "points": 0, "spent_today": 0},
            "points": 0,
            "coupon_id": coupon_id,
            "occurred_at": f"{today}T00:00:01.000Z",
        },
    }
    file([quote])
    queued = backtests.request_backtest(
        backtest_store(),
        store,
        admin_,
        merchant,
        {"balance_rules": None, "coupon_definition": None, "promotion": None},
        7,
    )
    requested = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "backtest.requested",
        "source": SOURCE,
        "account": "000000000000",
        "time": clock.stamp(),
        "region": "us-east-1",
        "resources": [],
        "detail": {"backtest_id": queued["backtest_id"], "merchant_id": merchant, "days": 7},
    }
    seen = set()
    s3_events = aws.client("s3").meta.events
    s3_events.register(
        "before-parameter-build.s3",
        lambda model, params, **kw: seen.add(S3_OPERATION_ACTIONS.get(model.name, model.name)),
    )
    actions.clear()
    done = backtest_requested(requested, None)
    assert done["state"] == "succeeded" and done["replayed"] == 1, done
    print(sorted(actions), sorted(granted("Backtest")))
    assert actions == granted("Backtest")
    assert backtest_requested(requested, None)["state"] == "skipped"
    assert actions == granted("Backtest") and on_indexes == set()
    assert seen == LOCAL_EXPORT_READ
    report = backtest_store().get_backtest(merchant, queued["backtest_id"])["report"]
    assert report["current"]["discounts"]["coupon"] == 100 and report["coupons_not_found"] == 0
