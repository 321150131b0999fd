"""The segmentation run on DuckDB over export rows (events in the catalogue's shapes), the wallets of a fake
ledger and the fake profile store: exact F and M, each persona in its segment, the run's summary."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from chalicelib.insight import bgnbd
from chalicelib.insight.segments import score
from chalicelib.services import segmentation

from .fakes import FakeLedgerStore, FakeProfileStore
from .test_insight_sql import engine, event
from .test_insight_sql import paid as payment
from .test_services import fund

AS_OF = date(2026, 11, 30)


def day(n: int) -> str:
    return (AS_OF - timedelta(days=n)).isoformat()


def paid(user: str, days_ago: int, balance: int, amount: int | None = None) -> dict:
    return payment(f"{user}-{days_ago}-{balance}", amount or balance, balance, user=user, day=day(days_ago))


def behaved(user: str, kind: str, days_ago: int, **props) -> dict:
    return event(
        f"behaviour.{kind}",
        {
            "user_id": user,
            "type": kind,
            "occurred_at": f"{day(days_ago)}T09:00:00.000Z",
            "received_at": f"{day(days_ago)}T09:00:01.000Z",
            "props": props,
        },
        day(days_ago),
        event_id=f"bhv_{user.replace('-', '')}{kind.replace('_', '')}{days_ago}{len(props)}",
    )


def topped(user: str, days_ago: int, amount: int) -> dict:
    return event(
        "topup.credited",
        {
            "user_id": user,
            "entry_id": f"e-{user}-{days_ago}",
            "topup_id": f"t-{user}-{days_ago}",
            "amount": amount,
            "lots": {"cash": amount, "bonus": 0},
            "balance_after": {"cash": amount, "bonus": 0},
            "occurred_at": f"{day(days_ago)}T07:00:00.000Z",
        },
        day(days_ago),
    )


@pytest.fixture
def world():
    heavy = [paid("heavy", d, 1000 + d) for d in (1, 5, 9, 20, 33, 47, 60, 88)] + [paid("heavy", 120, 999)]
    events = [
        *heavy,
        paid("heavy", 1, 500, amount=2000),  # a second order the same day, three quarters paid outside
        paid("occasional", 40, 700),
        paid("lapsed", 80, 300),
        topped("forgetful", 30, 5000),
        *[behaved("browser", "login", d) for d in (2, 4, 6)],
        behaved("browser", "view_product", 3, sku="s", category="tea", merchant_id="m1"),
        behaved("browser", "view_product", 5, sku="s", category="tea", merchant_id="m1"),
        behaved("browser", "add_to_cart", 5, sku="s", merchant_id="m1", category="books"),
        behaved("heavy", "view_product", 2, sku="s", category="books", merchant_id="m1"),
    ]
    ledger = FakeLedgerStore()
    fund(ledger, "heavy", 800)
    fund(ledger, "forgetful", 5000)
    fund(ledger, "lapsed", 1200)
    fund(ledger, "quiet", 100)  # no event at all in the export, still holds money
    return engine(events), ledger


def test_a_run_profiles_every_customer_with_exact_f_and_m_and_a_segment(world, at):
    from datetime import datetime, timezone

    at(datetime(2026, 11, 30, 20, 0, tzinfo=timezone.utc))
    duck, ledger = world
    store = FakeProfileStore()
    done = segmentation.run(duck, ledger, store, AS_OF)
    heavy = store.get_profile("heavy")
    assert heavy["rfm"]["frequency"] == 9  # the 120-days-ago payment is outside the window
    assert heavy["rfm"]["monetary"] == sum(1000 + d for d in (1, 5, 9, 20, 33, 47, 60, 88)) + 500
    assert heavy["rfm"]["recency_days"] == 1 and heavy["frequency_class"] == "high"
    assert heavy["balance_share_percent"] == 100 * heavy["rfm"]["monetary"] // (heavy["rfm"]["monetary"] + 1500)
    assert heavy["top_categories"] == ["books"] and heavy["balance"] == 800
    segments = {
        u: store.get_profile(u)["segment"] for u in ("heavy", "occasional", "lapsed", "forgetful", "browser", "quiet")
    }
    assert segments == {
        "heavy": "champions",
        "occasional": "needs_attention",  # R 3 of the three payers (40 days), F 2
        "lapsed": "dormant_balance",  # holds 12.00, last paid 80 days ago
        "forgetful": "top_up_and_forget",
        "browser": "browsers_not_payers",
        "quiet": "inactive",
    }
    assert store.get_profile("browser")["top_categories"] == ["tea", "books"]
    assert store.get_profile("browser")["rfm"] is None
    assert done["state"] == "succeeded" and done["customers"] == 6
    sizes = {name: s["size"] for name, s in done["summary"]["segments"].items() if s["size"]}
    assert sizes == {name: 1 for name in segments.values()}
    assert done["summary"]["segments"]["champions"]["avg_balance"] == 800
    # too few customers to fit the prediction: said so, for every profile
    assert done["summary"]["prediction"].startswith("3 paying customers")
    assert heavy["prediction"] is None and "500" in heavy["prediction_reason"]
    assert store.latest_runs(1)[0]["run_id"] == done["run_id"]


def test_scores_split_the_payers_by_the_share_each_beats_ties_together():
    population = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert [score(v, population) for v in population] == [1, 2, 3, 4, 5]
    assert [score(v, population, higher_is_better=False) for v in population] == [5, 4, 3, 2, 1]
    assert score(7.0, [7.0] * 10) == 3 and score(7.0, [7.0]) == 3  # alike, or alone: the middle


def simulate(rng, n: int, r: float, alpha: float, a: float, b: float, T: float = 180.0):
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    xs, txs = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T:
                break
            xs[i], txs[i] = xs[i] + 1, t
            if rng.random() < p[i]:
                break
    return xs, txs, np.full(n, T)


def test_the_bgnbd_fit_finds_the_parameters_customers_were_drawn_from():
    x, t_x, T = simulate(np.random.default_rng(7), 5000, r=0.5, alpha=10.0, a=0.8, b=2.5)
    fit = bgnbd.fit(x, t_x, T)
    assert fit.r == pytest.approx(0.5, rel=0.15) and fit.alpha == pytest.approx(10.0, rel=0.2)
    assert fit.a == pytest.approx(0.8, rel=0.3) and fit.b == pytest.approx(2.5, rel=0.35)
    alive = fit.p_alive(x, t_x, T)
    assert np.all((alive > 0) & (alive <= 1)) and np.all(alive[x == 0] == 1.0)
    # someone who paid often and recently is more likely active, and expected to pay more, than one who lapsed
    recent, lapsed = fit.p_alive([10], [170], [180])[0], fit.p_alive([10], [20], [180])[0]
    assert recent > lapsed
    assert fit.expected(30, [10], [170], [180])[0] > fit.expected(30, [10], [20], [180])[0] > 0


def test_a_customer_the_history_no_longer_names_is_profiled_again_not_left_in_an_old_segment(world, at):
    """A profile of an earlier run whose customer has neither an event in the history nor money in a wallet now
    is recomputed from nothing (inactive), under this run's id, and leaves its old segment's listing; a customer
    the history still names keeps the segment the history gives."""
    from datetime import datetime, timezone

    at(datetime(2026, 11, 30, 20, 0, tzinfo=timezone.utc))
    duck, ledger = world
    store = FakeProfileStore()
    old = {"user_id": "gone", "segment": "champions", "rfm": {"frequency": 9}, "balance": 0}
    store.put_profiles([old, {**old, "user_id": "heavy"}], "seg_old", "2025-11-01T00:00:00.000Z")
    assert sorted(m["user_id"] for m in store.members("champions", None, 10)[0]) == ["gone", "heavy"]

    done = segmentation.run(duck, ledger, store, AS_OF)
    gone = store.get_profile("gone")
    assert (gone["segment"], gone["run_id"], gone["rfm"], gone["balance"]) == ("inactive", done["run_id"], None, 0)
    assert [m["user_id"] for m in store.members("champions", None, 10)[0]] == ["heavy"]
    assert "gone" in [m["user_id"] for m in store.members("inactive", None, 10)[0]]
    assert store.get_profile("heavy")["run_id"] == done["run_id"]
    assert done["customers"] == 7  # the six the history and the wallets name, and the one only a profile did
