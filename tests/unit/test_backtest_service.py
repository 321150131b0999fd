"""Backtests as a use case (chalicelib/services/backtests.py) on fakes: asking for one (who may, what is refused,
joining one queued), and the job: claimed once, the export's checkouts replayed, the report recorded."""

from __future__ import annotations

import json
from copy import deepcopy
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.domain.coupons import Coupon, CouponTerms
from chalicelib.domain.errors import Forbidden, InvalidRequest, NotFound
from chalicelib.domain.model import Merchant, Principal
from chalicelib.domain.pricing import PricingPolicy
from chalicelib.domain.promotions import Effect, Promotion
from chalicelib.domain.rules import BalanceRules
from chalicelib.services import backtests, clock
from tests.unit.fakes import FakeLedgerStore

M = "m-bt"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
STAFF = Principal("staff-1", frozenset({f"merchant:{M}"}))
STRANGER = Principal("staff-2", frozenset({"merchant:m-other"}))
ADMIN = Principal("op", frozenset({"admin"}))
NOTHING = {"balance_rules": None, "coupon_definition": None, "promotion": None}
COUPON = {
    "name": "5 off",
    "kind": "amount_off",
    "value": 500,
    "max_discount": None,
    "min_spend": 0,
    "merchant_id": M,
    "balance_pay_only": False,
    "valid_from": "2027-01-01T00:00:00Z",
    "valid_to": "2027-02-01T00:00:00Z",
    "per_customer_limit": 1,
    "budget_count": None,
    "budget_amount": None,
    "budget_shards": 8,
}


class FakeBacktestStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict] = {}
        self.own_coupons: dict[tuple[str, str], Coupon] = {}
        self.asked: list[list[tuple[str, str]]] = []

    def add_backtest(self, b):
        key = (b["merchant_id"], b["backtest_id"])
        if key in self.items:
            return False
        self.items[key] = json.loads(json.dumps(b))  # stored as JSON is
        return True

    def get_backtest(self, merchant_id, backtest_id):
        b = self.items.get((merchant_id, backtest_id))
        return deepcopy(b) if b is not None else None

    def latest_backtests(self, merchant_id, limit):
        mine = sorted((k[1] for k in self.items if k[0] == merchant_id), reverse=True)[:limit]
        return [deepcopy(self.items[(merchant_id, b)]) for b in mine]

    def claim_backtest(self, merchant_id, backtest_id, at, period):
        b = self.items[(merchant_id, backtest_id)]
        if b["state"] != "queued":
            return False
        b.update(state="running", started_at=at, period_from=period[0], period_to=period[1])
        return True

    def finish_backtest(self, merchant_id, backtest_id, state, at, report=None, error=None):
        b = self.items[(merchant_id, backtest_id)]
        if b["state"] != "running":
            return False
        b.update(state=state, finished_at=at, report=json.loads(json.dumps(report)) if report else None, error=error)
        return True

    def coupons(self, keys):
        keys = list(keys)
        self.asked.append(keys)
        return {k: self.own_coupons[k] for k in keys if k in self.own_coupons}


class FakeEngine:
    def __init__(self, rows):
        self.rows, self.calls = rows, []

    def run(self, name, params=()):
        self.calls.append((name, list(params)))
        return [dict(r) for r in self.rows]


def row(cid: str, user: str, amount: int, cash: int, minute: int, **extra) -> dict:
    return {
        "checkout_id": cid,
        "user_id": user,
        "occurred_at": (NOW - timedelta(days=1) + timedelta(minutes=minute)).isoformat().replace("+00:00", "Z"),
        "lines": json.dumps([{"sku": "tea", "category": "food", "unit_price": amount, "quantity": 1}]),
        "quoted": True,
        "cash": cash,
        "bonus": 0,
        "points_available": 0,
        "spent_today": 0,
        "points": 0,
        "allow_partial": False,
        "coupon_id": None,
        "tier": None,
        "refusal": None,
        "paid": True,
        "balance_paid": amount,
        **extra,
    }


@pytest.fixture
def world():
    ledger = FakeLedgerStore()
    ledger.put_merchant(Merchant(M, "shop"), "2026-01-01T00:00:00.000Z")
    ledger.put_rules(BalanceRules(M, version=1, discount_percent=5), BalanceRules(M, discount_percent=5).as_view())
    with clock.frozen(NOW):
        yield ledger, FakeBacktestStore()


def run(store, ledger, engine, backtest_id):
    return backtests.run(store, ledger, lambda start, end: engine, PricingPolicy(), M, backtest_id)


def test_staff_queue_a_backtest_and_the_same_proposal_joins_it_while_it_is_queued(world):
    ledger, store = world
    first = backtests.request_backtest(store, ledger, STAFF, M, NOTHING, 30)
    assert first["state"] == "queued" and first["days"] == 30 and first["merchant_id"] == M
    again = backtests.request_backtest(store, ledger, ADMIN, M, NOTHING, 30)
    assert again["backtest_id"] == first["backtest_id"] and len(store.items) == 1
    other = backtests.request_backtest(store, ledger, STAFF, M, {**NOTHING, "coupon_definition": COUPON}, 30)
    longer = backtests.request_backtest(store, ledger, STAFF, M, NOTHING, 60)
    assert len({first["backtest_id"], other["backtest_id"], longer["backtest_id"]}) == 3 and len(store.items) == 3
    stored = store.items[(M, first["backtest_id"])]
    assert stored["requested_by"] == STAFF.user_id and stored["proposal"] == NOTHING


@pytest.mark.parametrize(
    "principal, proposal, days, error, code",
    [
        (STRANGER, NOTHING, 30, Forbidden, None),
        (Principal("alice", frozenset()), NOTHING, 30, Forbidden, None),
        (STAFF, NOTHING, 91, InvalidRequest, "invalid_request"),
        (STAFF, {**NOTHING, "coupon_definition": {**COUPON, "merchant_id": "m-other"}}, 30, InvalidRequest,
         "coupon_for_another_merchant"),
        (STAFF, {**NOTHING, "coupon_definition": {**COUPON, "valid_to": COUPON["valid_from"]}}, 30, InvalidRequest,
         "invalid_request"),
        (STAFF, {**NOTHING, "coupon_definition": {**COUPON, "kind": "percent_off", "value": 150}}, 30, InvalidRequest,
         "invalid_request"),
        (STAFF, {**NOTHING, "promotion": {"name": None, "effect": {"kind": "points_multiplier", "factor": "1"}}}, 30,
         InvalidRequest, "invalid_factor"),
        (STAFF, {**NOTHING, "promotion": {"name": None, "effect": {"kind": "grant_coupon", "definition_id": "cd",
                                                                  "audience": "all_balance_payers"}}}, 30,
         InvalidRequest, "promotion_not_replayable"),
    ],
)  # fmt: skip
def test_a_refused_request_queues_nothing(world, principal, proposal, days, error, code):
    ledger, store = world
    with pytest.raises(error) as refused:
        backtests.request_backtest(store, ledger, principal, M, proposal, days)
    assert code is None or refused.value.code == code
    assert store.items == {}


def test_a_backtest_of_an_unknown_merchant_is_not_found(world):
    ledger, store = world
    with pytest.raises(NotFound):
        backtests.request_backtest(store, ledger, ADMIN, "m-nope", NOTHING, 30)
    assert store.items == {}


def test_the_job_replays_the_periods_checkouts_once_and_records_the_report(world):
    ledger, store = world
    rows = [row("c1", "alice", 1000, 5000, 0), row("c2", "bob", 3000, 500, 5), {**row("c3", "carol", 700, 0, 9),
            "quoted": False, "cash": None}]  # fmt: skip
    engine = FakeEngine(rows)
    queued = backtests.request_backtest(store, ledger, STAFF, M, NOTHING, 7)
    done = run(store, ledger, engine, queued["backtest_id"])
    assert done == {"backtest_id": queued["backtest_id"], "state": "succeeded", "replayed": 2}
    assert engine.calls == [("backtest_checkouts", ["2026-11-14", "2026-11-13", "2026-11-20", M])]
    view = backtests.get_backtest(store, STAFF, M, queued["backtest_id"])
    assert (view["state"], view["from"], view["to"]) == ("succeeded", "2026-11-14", "2026-11-20")
    report = view["report"]
    assert report["replayed"] == 2 and report["not_replayed"] == {"never_quoted": 1}
    assert report["current"] == report["proposed"] and report["current"]["fully_payable"] == 1  # bob is short
    assert report["current"]["balance_paid"] == 950 and report["current"]["discount_cost"] == 50
    assert report["difference"]["customers_affected"] == 0 and report["recorded"] == {"paid": 2, "balance_paid": 4000}
    # a redelivered request finds it done: nothing runs again
    assert run(store, ledger, engine, queued["backtest_id"])["state"] == "skipped" and len(engine.calls) == 1


def test_a_minimum_order_above_every_checkout_stops_every_one_being_payable(world):
    ledger, store = world
    rows = [row(f"c{i}", f"u{i}", 1000 + i, 50_000, i) for i in range(5)]
    rules = {**BalanceRules(M).as_view(), "min_order_amount": 2000}
    queued = backtests.request_backtest(store, ledger, STAFF, M, {**NOTHING, "balance_rules": rules}, 30)
    run(store, ledger, FakeEngine(rows), queued["backtest_id"])
    report = backtests.get_backtest(store, ADMIN, M, queued["backtest_id"])["report"]
    assert report["current"]["fully_payable"] == 5 and report["proposed"]["fully_payable"] == 0
    assert report["difference"]["stopped_being_payable"] == 5 and report["difference"]["customers_affected"] == 5


def test_the_job_prices_with_the_customers_own_coupons_and_the_promotions_of_the_period(world):
    ledger, store = world
    terms = CouponTerms("cd-1", "1 off", "amount_off", 100, None, 0, M, False, "2026-01-01T00:00:00Z",
                        "2027-01-01T00:00:00Z")  # fmt: skip
    store.own_coupons[("alice", "cpn_1")] = Coupon("cpn_1", "alice", terms, "used", "2026-11-01T00:00:00.000Z")
    ledger.promotions["prm_1"] = Promotion(
        "prm_1", "day", M, "2026-11-19T00:00:00.000Z", "2026-11-20T00:00:00.000Z",
        Effect("extra_balance_discount", percent=10), "ended", "", "op",
    )  # fmt: skip
    rows = [
        row("c1", "alice", 1000, 5000, 0, coupon_id="cpn_1"),
        row("c2", "alice", 1000, 5000, 1, coupon_id="cpn_gone"),
        row("c3", "bob", 1000, 5000, 2, coupon_id="cpn_2", refusal="coupon_already_used"),
    ]
    queued = backtests.request_backtest(store, ledger, STAFF, M, NOTHING, 7)
    run(store, ledger, FakeEngine(rows), queued["backtest_id"])
    report = backtests.get_backtest(store, STAFF, M, queued["backtest_id"])["report"]
    assert store.asked == [[("alice", "cpn_1"), ("alice", "cpn_gone")]]  # a used coupon is not looked for
    assert report["coupons_not_found"] == 1
    assert report["current"]["discounts"] == {"balance_pay": 145, "tier": 0, "promotion": 290, "coupon": 100}


def test_a_failing_analysis_fails_the_backtest_and_is_raised(world):
    ledger, store = world

    class Broken:
        def run(self, name, params=()):
            raise RuntimeError("analysis backtest_checkouts failed")

    queued = backtests.request_backtest(store, ledger, STAFF, M, NOTHING, 7)
    with pytest.raises(RuntimeError):
        backtests.run(store, ledger, lambda s, e: Broken(), PricingPolicy(), M, queued["backtest_id"])
    view = backtests.get_backtest(store, STAFF, M, queued["backtest_id"])
    assert view["state"] == "failed" and view["report"] is None and "log" in view["error"]


def test_another_merchants_staff_cannot_read_a_backtest_and_an_unknown_one_is_not_found(world):
    ledger, store = world
    queued = backtests.request_backtest(store, ledger, STAFF, M, NOTHING, 7)
    with pytest.raises(Forbidden):
        backtests.get_backtest(store, STRANGER, M, queued["backtest_id"])
    with pytest.raises(NotFound):
        backtests.get_backtest(store, STAFF, M, "bt_nope")


def test_the_replay_split_over_two_processes_gives_the_figures_of_one_replay(monkeypatch):
    from chalicelib.domain.backtest import Configuration, PastCheckout, by_customer, proposed, replay
    from chalicelib.domain.checkout import Checkout, Line
    from chalicelib.domain.money import Lots

    checkouts = [
        PastCheckout(
            Checkout(f"chk_{i}", M, f"o{i}", f"u{i % 37}", (Line("tea", "food", 300 + 97 * i % 4000, 1),), "open", "",
                     ""),
            NOW - timedelta(minutes=i),
            Lots(2000 + 131 * i % 5000, 50),
            0,
            0,
            allow_partial=i % 3 == 0,
        )
        for i in range(300)
    ]  # fmt: skip
    current = Configuration(BalanceRules(M, discount_percent=5))
    changed = proposed(current, BalanceRules(M, discount_percent=10, min_order_amount=1500), None, None)
    assert all(len(group) > 50 for group in by_customer(checkouts, 2))
    monkeypatch.setattr(backtests, "PARALLEL_FROM", 10)
    warned: list = []
    monkeypatch.setattr(backtests.logger, "warning", lambda *a, **k: warned.append(a))
    split = backtests.replay_on_cores(checkouts, current, changed, PricingPolicy()).as_view(1)
    assert warned == []  # the second process answered: nothing was replayed again here
    assert split == replay(checkouts, current, changed, PricingPolicy()).as_view(1)
    assert split["difference"]["checkouts_changed"] > 0 and len(split["examples"]) == 20


def test_a_queued_backtest_is_published_once_as_backtest_requested_in_its_schema():
    import jsonschema

    from chalicelib.events.catalogue import CONSUMERS, SCHEMAS
    from chalicelib.events.mapping import events_of

    item = {"pk": f"BT#{M}", "sk": "bt_1", "kind": "backtest", "backtest_id": "bt_1", "merchant_id": M,
            "state": "queued", "days": 30, "requested_by": "staff-1", "requested_at": "2026-11-20T08:00:00.000Z",
            "proposal": "{}"}  # fmt: skip
    [(detail_type, detail)] = events_of("INSERT", None, item)
    assert detail_type == "backtest.requested" and CONSUMERS["backtest"]["detail-type"] == [detail_type]
    jsonschema.validate(detail, SCHEMAS[detail_type], format_checker=jsonschema.FormatChecker())
    assert (detail["backtest_id"], detail["merchant_id"], detail["days"]) == ("bt_1", M, 30)
    assert events_of("INSERT", None, item)[0][1]["event_id"] == detail["event_id"]  # a redelivery: the same id
    assert events_of("MODIFY", item, {**item, "state": "running"}) == []  # claimed, finished: nothing more


def test_the_backtest_function_ignores_what_is_not_a_backtest_request():
    from chalicelib.handlers.backtests import backtest_requested

    other = {"source": "store-balance", "detail-type": "segmentation.requested", "detail": {"run_id": "seg_1"}}
    assert backtest_requested(other, None) == {"ignored": "segmentation.requested"}
