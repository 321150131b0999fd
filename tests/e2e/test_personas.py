"""`make demo-data`'s personas land where they are drawn to: the generator (dev/demo_data.py), run as `make
demo-data` runs it against a running stack, with four customers per persona, puts every customer in its persona's
segment with the R, F and M its plan gives, and the obstacles report names the bargain hunters' obstacle (the
boutique's minimum order) with the number of their unpaid checkouts.

The stack is this module's own: R, F and M are percentile ranks among every customer of the stack who paid by
balance in the window, and the other modules' payers (all of them paid today) would move the scores the paying
personas are placed by. Here the cohort is the whole population, as on `make run`'s stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import date, timedelta

import pytest

from dev.demo_data import BOUTIQUE, BY_KEY, PAYING, PERSONAS, plan
from tests.conftest import TEST_APP_ENV
from tests.e2e.conftest import own_stack_fixtures

pytestmark = pytest.mark.e2e

local_stack, api, ddb = own_stack_fixtures()
PER_PERSONA = 4


def ok(r, status: int = 200):
    assert r.status_code == status, r.text
    return r.json()


@pytest.fixture(scope="module")
def generated(local_stack, tmp_path_factory) -> dict:
    """`make demo-data --per-persona 4` against this module's stack, with a prefix of this run's own."""
    from dev.stack import ROOT

    state = tmp_path_factory.mktemp("personas") / "stack.json"
    local_stack.save(state)
    prefix = f"pp{uuid.uuid4().hex[:6]}"
    args = ["--state-file", str(state), "--per-persona", str(PER_PERSONA), "--prefix", prefix, "--json"]
    out = subprocess.run(
        [sys.executable, "-m", "dev.demo_data", *args, "--export-timeout", "120"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **TEST_APP_ENV, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["prefix"] == prefix
    return summary


def customers_of(summary: dict):
    return plan(summary["prefix"], {p.key: PER_PERSONA for p in PERSONAS}, summary["seed"])


def test_every_persona_lands_in_its_segment_with_the_figures_of_its_plan(api, generated):
    customers = customers_of(generated)
    admin = api.admin()
    # the days of the plan count back from the history's last day; the run's day is that day (or the next,
    # had the run crossed midnight)
    shift = (date.fromisoformat(generated["as_of"]) - date.fromisoformat(generated["today"])).days
    landed, figures, expected_figures = {}, {}, {}
    for c in customers:
        profile = ok(api.get(f"/v1/admin/customers/{c.user_id}/profile", admin))
        assert profile["run_id"] == generated["run_id"]
        landed[c.user_id] = profile["segment"]
        if c.persona in PAYING:
            pays = [s for s in c.steps if s.kind == "pay"]
            topped = sum(s.amount for s in c.steps if s.kind == "topup")
            rfm = profile["rfm"]
            figures[c.user_id] = (rfm["recency_days"], rfm["frequency"], rfm["monetary"], profile["balance"])
            expected_figures[c.user_id] = (
                min(s.days_ago for s in pays) + shift,
                len(pays),
                sum(s.amount for s in pays),
                topped - sum(s.amount for s in pays),
            )
    assert landed == {c.user_id: BY_KEY[c.persona].segment for c in customers}
    assert figures == expected_figures
    # the lapsed spent exactly what they topped up; the sale-day shoppers all last paid at the last sale
    assert {figures[c.user_id][3] for c in customers if c.persona == "lapsed"} == {0}
    assert {figures[c.user_id][0] for c in customers if c.persona == "occasional"} == {12 + shift}
    # the generator's own summary says the same, persona by persona
    assert {p["persona"]: p["segments"] for p in generated["personas"]} == {
        p.key: {p.segment: PER_PERSONA} for p in PERSONAS
    }
    assert generated["lapsed_with_balance"] == {}


def test_the_obstacles_report_names_the_minimum_order_of_the_bargain_hunters_checkouts(api, generated):
    customers = customers_of(generated)
    boutique = generated["merchants"][BOUTIQUE]
    quoted = [s for c in customers if c.persona == "bargain" for s in c.steps if s.kind == "quote"]
    paid = [s for c in customers for s in c.steps if s.kind == "pay" and s.shop == BOUTIQUE]
    assert quoted and paid and all(s.amount < generated["boutique_min_order"] for s in quoted)
    as_of = date.fromisoformat(generated["as_of"])
    start = (as_of - timedelta(days=89)).isoformat()
    report = ok(
        api.get(
            "/v1/admin/reports/obstacles",
            api.admin(),
            params={"from": start, "to": as_of.isoformat(), "merchant_id": boutique},
        )
    )
    assert report["rows"] == [
        {
            "merchant_id": boutique,
            "outcome": "full",
            "reason": "paid_by_balance",
            "checkouts": len(paid),
            "amount": sum(s.amount for s in paid),
            "topup_needed": 0,
        },
        {
            "merchant_id": boutique,
            "outcome": "none",
            "reason": "min_order_not_met",
            "checkouts": len(quoted),
            "amount": sum(s.amount for s in quoted),
            "topup_needed": 0,
        },
    ]
    # the generator's summary read the same report, and at the market every checkout was paid by balance
    market = [s for c in customers for s in c.steps if s.kind == "pay" and s.shop != BOUTIQUE]
    assert generated["obstacles"]["rows"] == [
        *report["rows"],
        {
            "merchant_id": generated["merchants"]["market"],
            "outcome": "full",
            "reason": "paid_by_balance",
            "checkouts": len(market),
            "amount": sum(s.amount for s in market),
            "topup_needed": 0,
        },
    ]
