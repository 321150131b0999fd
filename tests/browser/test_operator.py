"""The operator's dashboard in a real browser, over the running stack: every chart is drawn from what the API
answers (the canvas drawn and not blank, the chart's numbers the API's), the tables' numbers equal the API's,
the RFM heat map counts the segments' members as the API lists them, a reconciliation runs from the page, and
a customer who opens the dashboard sees the forbidden view."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ok, until, DRAWN, TIMEOUT_MS, check_a11y, page_errors, shoot, sign_in
from tests.e2e.test_campaigns import seed_segment
from tests.e2e.test_segments import segment_now

pytestmark = pytest.mark.e2e

PLAN_MIN = 4_987_600  # the bonus plan rewards this top-up (under the 5,000,000 maximum) and no other test's
PLAN_BONUS = 12_300
SEGMENT = "at_risk"  # the campaign's segment
SEEDED = 96  # profiles seeded into it (no wallet: they pay nothing), beside the real payers
PAYERS = 4  # real customers in the segment who pay by balance after the campaign ran

CHART_DATA = """(canvas) => {
  const chart = window.Chart.getChart(canvas);
  return { labels: chart.data.labels, datasets: chart.data.datasets.map((d) => ({ label: d.label, data: d.data })) };
}"""
TABLE = """(table) => [...table.querySelectorAll("tbody tr")].map((tr) => Object.fromEntries(
  [...tr.querySelectorAll("td")].map((td) => {
    const money = td.querySelector("[data-fen]");
    return [td.dataset.key, money ? Number(money.dataset.fen) : td.textContent.trim()];
  })))"""


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def seed_profiles(info, segment: str, users: list[str]) -> None:
    """These customers in ``segment`` as a segmentation run leaves their profiles (the campaign's audience)."""
    seed_segment(info, segment, users, "run-browser-ops", frequency_class="low", recency_days=None, rfm=None)


@pytest.fixture(scope="module")
def stack_data(web):
    """A merchant of the module's own with payments, a refused and a never-quoted checkout; a bonus granted by a
    plan; a rating; a segmentation run; a campaign over a segment with payers in it, run and measured."""
    api = web.api
    admin = api.admin()
    merchant = f"m-ops-{uuid.uuid4().hex[:8]}"
    api.ensure_merchant(merchant)
    plan_id = f"plan-ops-{uuid.uuid4().hex[:8]}"
    now = datetime.now(timezone.utc)
    plan = {
        "name": "ops dashboard bonus",
        "min_amount": PLAN_MIN,
        "bonus_amount": PLAN_BONUS,
        "bonus_valid_days": 60,
        "valid_from": iso(now - timedelta(hours=1)),
        "valid_to": iso(now + timedelta(hours=3)),
    }
    ok(api.request("PUT", f"/v1/admin/topup-plans/{plan_id}", admin, plan))
    try:
        # the campaign: seeded profiles and real customers in one segment, run now
        payers = [api.unique_user("ops-camp") for _ in range(PAYERS)]
        for p in payers:
            api.fund(p, 10_000)
        seed_profiles(
            web.info, SEGMENT, [f"u-ops-{uuid.uuid4().hex[:10]}" for _ in range(SEEDED)] + [p.user_id for p in payers]
        )
        body = {
            "name": f"ops win-back {uuid.uuid4().hex[:6]}",
            "segment": SEGMENT,
            "action": {"kind": "notify", "title": "We miss you", "body": "Your balance is waiting."},
            "holdout_percent": 50,
            "run_at": iso(datetime.now(timezone.utc) + timedelta(seconds=2)),
            "measure_days": 7,
        }
        campaign = ok(api.post("/v1/admin/campaigns", admin, body, key=str(uuid.uuid4())), 201)
        cid = campaign["campaign_id"]
        done = until(lambda: ok(api.get(f"/v1/admin/campaigns/{cid}", admin)), lambda c: c["status"] == "completed")
        assert done["status"] == "completed", done

        # after the run: the payers and a big customer pay at the merchant; a short one and an unquoted checkout
        for p in payers:
            ok(api.pay(p, 1_000, merchant_id=merchant), 201)
        big = api.unique_user("ops-big")
        r = api.post("/v1/topups", big, {"amount": PLAN_MIN, "channel": "card"}, key=str(uuid.uuid4()))
        topup = ok(r, 201)
        credit = ok(
            api.webhook(
                {
                    "topup_id": topup["topup_id"],
                    "status": "succeeded",
                    "amount": PLAN_MIN,
                    "provider_ref": f"ref-{uuid.uuid4().hex[:8]}",
                }
            )
        )
        assert credit["bonus"] == PLAN_BONUS, credit
        paid = ok(api.pay(big, 3_000, merchant_id=merchant), 201)
        short = api.unique_user("ops-short")
        api.fund(short, 500)
        checkout = api.open_checkout(short, 2_500, merchant_id=merchant)
        ok(api.post(f"/v1/checkouts/{checkout['checkout_id']}/quote", short, {}))
        api.open_checkout(big, 2_200, merchant_id=merchant)  # never quoted
        ok(
            api.post(
                "/v1/feedback",
                big,
                {"payment_id": paid["payment_id"], "rating": 4, "tags": ["fast"]},
                key=str(uuid.uuid4()),
            ),
            201,
        )

        # the export has them (the stack's runner carries the events there)
        share = until(
            lambda: ok(api.get("/v1/admin/reports/balance-share", admin, params={"merchant_id": merchant})),
            lambda b: sum(r["payments"] for r in b["rows"]) == PAYERS + 1,
        )
        assert sum(r["payments"] for r in share["rows"]) == PAYERS + 1, share
        seen = until(
            lambda: ok(api.get("/v1/admin/reports/obstacles", admin, params={"merchant_id": merchant})),
            lambda b: {r["reason"] for r in b["rows"]} >= {"paid_by_balance", "insufficient_balance", "never_quoted"},
        )
        assert {r["reason"] for r in seen["rows"]} >= {"paid_by_balance", "insufficient_balance", "never_quoted"}, seen
        rated = until(lambda: ok(api.get("/v1/admin/reports/feedback", admin)), lambda b: b["total"]["ratings"] >= 1)
        assert rated["total"]["ratings"] >= 1, rated
        run = segment_now(web.info)
        assert run["state"] == "succeeded", run

        # measured now, by the bus's consumer
        ok(api.post(f"/v1/admin/campaigns/{cid}/measurements", admin, {}), 202)
        measured = until(
            lambda: ok(api.get(f"/v1/admin/campaigns/{cid}", admin)),
            lambda c: c["measurement"]["state"] in ("succeeded", "failed"),
        )
        assert measured["measurement"]["state"] == "succeeded", measured["measurement"]
        assert (
            measured["measurement"]["groups"]["treated"]["payers"]
            + measured["measurement"]["groups"]["holdout"]["payers"]
            == PAYERS
        )
        yield {"merchant": merchant, "campaign": measured}
    finally:
        api.request("PUT", f"/v1/admin/topup-plans/{plan_id}", admin, {**plan, "active": False})


# ---- what the page shows ----------------------------------------------------------------------------------


def drawn(page, selector: str) -> dict[str, Any]:
    """The chart in ``selector`` once drawn, checked not blank; its labels and datasets as the page holds them."""
    canvas = page.locator(f"{selector} canvas")
    expect(canvas).to_have_attribute("data-drawn", "true", timeout=TIMEOUT_MS)
    assert canvas.evaluate(DRAWN), f"{selector}: the canvas is blank"
    return canvas.evaluate(CHART_DATA)


def table_of(page, selector: str) -> list[dict[str, Any]]:
    """A chart card's table (one click away): its rows, money as fen; then the chart again."""
    toggle = page.locator(f"{selector} figcaption button[aria-pressed]")
    toggle.click()
    table = page.locator(f"{selector} table")
    expect(table).to_be_visible()
    rows = table.evaluate(TABLE)
    toggle.click()
    expect(page.locator(f"{selector} canvas")).to_have_attribute("data-drawn", "true")
    return rows


def fits_a_phone(page) -> None:
    """At 375 px nothing is wider than the screen (the charts shrink with their column)."""
    was = page.viewport_size
    page.set_viewport_size({"width": 375, "height": 812})
    try:
        page.wait_for_timeout(300)
        width = page.evaluate("() => document.documentElement.scrollWidth")
    finally:
        page.set_viewport_size(was)
    assert width <= 375, f"{page.url}: {width} px wide on a phone"


def period_of(page) -> dict[str, str]:
    select = page.locator("#ops-period")
    return {"from": select.get_attribute("data-from"), "to": select.get_attribute("data-to")}


def yuan(fen):
    return None if fen is None else fen / 100


def bp(value) -> str:
    return "—" if value is None else f"{value / 100:.2f}%"


def close(a, b, tol: float = 1e-6) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= tol)


def test_the_dashboard_draws_every_chart_from_the_running_stack(page, web, stack_data):
    api, admin = web.api, web.api.admin()
    merchant = stack_data["merchant"]
    sign_in(page, web, f"ops-{uuid.uuid4().hex[:6]}", ["admin"], next="/app/ops")

    # ---- the overview: liability, breakage, balance share
    expect(page.get_by_role("heading", level=1)).to_have_text("运营概览")
    age = drawn(page, "#chart-liability-age")
    expiry = drawn(page, "#chart-liability-expiry")
    breakage_chart = drawn(page, "#chart-breakage")
    liability = ok(api.get("/v1/admin/reports/liability", admin))
    assert page.locator("#liability-total-total [data-fen]").get_attribute("data-fen") == str(
        liability["total"]["total"]
    )
    assert age["datasets"][0]["data"] == [yuan(r["cash"]) for r in liability["by_age"]]
    assert age["datasets"][1]["data"] == [yuan(r["bonus"]) for r in liability["by_age"]]
    assert expiry["datasets"][1]["data"] == [yuan(r["bonus"]) for r in liability["by_expiry"]]
    assert [(r["cash"], r["bonus"], r["total"]) for r in table_of(page, "#chart-liability-age")] == [
        (r["cash"], r["bonus"], r["total"]) for r in liability["by_age"]
    ]
    assert [r["total"] for r in table_of(page, "#chart-liability-expiry")] == [
        r["total"] for r in liability["by_expiry"]
    ]
    period = period_of(page)
    breakage = ok(api.get("/v1/admin/reports/breakage", admin, params=period))
    assert breakage_chart["labels"] == [m["month"] for m in breakage["months"]]
    assert breakage_chart["datasets"][0]["data"] == [yuan(m["granted"]) for m in breakage["months"]]
    assert breakage_chart["datasets"][1]["data"] == [yuan(m["expired"]) for m in breakage["months"]]
    assert breakage["total"]["granted"] >= PLAN_BONUS

    page.locator("#share-merchant").select_option(merchant)
    share_chart = drawn(page, "#chart-balance-share")
    share = ok(api.get("/v1/admin/reports/balance-share", admin, params={**period, "merchant_id": merchant}))
    [line] = share_chart["datasets"]
    assert line["label"] == merchant
    by_day = {r["day"]: r["share_bp"] / 100 for r in share["rows"]}
    assert {d: v for d, v in zip(share_chart["labels"], line["data"]) if v is not None} == by_day
    shown = table_of(page, "#chart-balance-share")
    assert [(r["merchant_id"], r["sales"], r["net_total"], r["share_bp"]) for r in shown] == [
        (r["merchant_id"], r["sales"], r["net"]["total"], bp(r["share_bp"])) for r in share["rows"]
    ]
    assert sum(r["sales"] for r in shown) == 1_000 * PAYERS + 3_000
    check_a11y(page)
    fits_a_phone(page)
    shoot(page, "operator-overview")

    # ---- customers: segment sizes over the runs, the RFM heat map, ratings by segment
    page.get_by_role("navigation").get_by_role("link", name="客户与分群").click()
    page.wait_for_url("**/app/ops/customers")
    history_chart = drawn(page, "#chart-segment-history")
    history = ok(api.get("/v1/admin/segments/history", admin))["runs"][::-1]
    assert len(history_chart["labels"]) == len(history) >= 1
    names = sorted({n for r in history for n in r["sizes"]})
    assert sorted(d["data"] for d in history_chart["datasets"]) == sorted(
        [r["sizes"].get(n, 0) for r in history] for n in names
    )

    expect(page.locator("#rfm-table")).to_be_visible(timeout=30_000)
    expected = rfm_cells(api, admin)
    cells = page.locator("#rfm-table td").evaluate_all(
        "(tds) => tds.map((td) => [td.dataset.r, td.dataset.f, Number(td.dataset.count)])"
    )
    assert len(cells) == 30
    assert {(r, f): n for r, f, n in cells if n} == expected
    assert sum(expected.values()) >= 1

    feedback_chart = drawn(page, "#chart-feedback")
    feedback = ok(api.get("/v1/admin/reports/feedback", admin, params=period_of(page)))
    assert [d["data"] for d in feedback_chart["datasets"]] == [
        [s["distribution"].get(str(n), 0) for s in feedback["by_segment"]] for n in range(1, 6)
    ]
    check_a11y(page)
    fits_a_phone(page)
    shoot(page, "operator-customers")

    # ---- obstacles: the funnel of one merchant's checkouts
    page.get_by_role("navigation").get_by_role("link", name="支付障碍").click()
    page.wait_for_url("**/app/ops/obstacles")
    drawn(page, "#chart-obstacles")
    page.locator("#obstacles-merchant").select_option(merchant)
    obstacles_chart = drawn(page, "#chart-obstacles")
    obstacles = ok(api.get("/v1/admin/reports/obstacles", admin, params={**period_of(page), "merchant_id": merchant}))
    totals = {}
    for r in obstacles["rows"]:
        totals[r["reason"]] = totals.get(r["reason"], 0) + r["checkouts"]
    assert sum(sum(d["data"]) for d in obstacles_chart["datasets"]) == sum(totals.values())
    assert page.locator("#obstacles-full").inner_text() == str(totals["paid_by_balance"])
    assert page.locator("#obstacles-never-quoted").inner_text() == str(totals["never_quoted"])
    assert [(r["checkouts"], r["amount"], r["topup_needed"]) for r in table_of(page, "#chart-obstacles")] == [
        (str(r["checkouts"]), r["amount"], r["topup_needed"]) for r in obstacles["rows"]
    ]
    assert page.locator("#obstacles-topup [data-fen]").get_attribute("data-fen") == "2000"  # 25.00 due, 5.00 held
    check_a11y(page)
    fits_a_phone(page)
    shoot(page, "operator-obstacles")

    # ---- campaigns: the uplift with its interval, across campaigns and on the campaign's own page
    campaign = stack_data["campaign"]
    page.get_by_role("navigation").get_by_role("link", name="营销活动").click()
    page.wait_for_url("**/app/ops/campaigns")
    across = drawn(page, "#chart-uplift")
    spent = campaign["measurement"]["uplift"]["spent_per_customer"]
    at = across["labels"].index(campaign["name"])
    interval, point = across["datasets"][0]["data"][at], across["datasets"][1]["data"][at]
    assert close(point, spent["difference"] / 100)
    if spent["status"] == "ok":
        assert close(interval[0], spent["ci95"][0] / 100) and close(interval[1], spent["ci95"][1] / 100)
        assert interval[0] <= point <= interval[1]
    else:
        assert interval is None
    check_a11y(page)
    fits_a_phone(page)
    shoot(page, "operator-campaigns")

    page.get_by_role("link", name=campaign["name"]).click()
    page.wait_for_url(f"**/app/ops/campaigns/{campaign['campaign_id']}")
    expect(page.locator("#campaign-treated")).to_have_text(str(campaign["treated"]))
    expect(page.locator("#campaign-holdout")).to_have_text(str(campaign["holdout"]))
    for metric, u in campaign["measurement"]["uplift"].items():
        assert u["status"] != "insufficient", (metric, u)
        chart = drawn(page, f"#chart-uplift-{metric}")
        assert chart["labels"][0] == "Welch" and chart["datasets"][1]["data"][0] is not None
    payer_rate = campaign["measurement"]["uplift"]["payer_rate"]
    chart = drawn(page, "#chart-uplift-payer_rate")
    assert close(chart["datasets"][1]["data"][0], payer_rate["difference"] * 100)  # percentage points
    check_a11y(page)
    fits_a_phone(page)
    shoot(page, "operator-campaign")

    # ---- reconciliation: run from the page; its totals are the API's
    page.get_by_role("navigation").get_by_role("link", name="对账").click()
    page.wait_for_url("**/app/ops/reconciliation")
    expect(page.locator("#reconciliation-none")).to_be_visible()
    page.locator("#reconcile-now").click()
    result = page.locator("#reconciliation-result")
    expect(result).to_be_visible(timeout=30_000)
    report = ok(api.post("/v1/admin/reconciliations", admin, {}))
    assert result.get_attribute("data-mismatches") == str(len(report["mismatches"])) == "0"
    assert page.locator("#reconciliation-checked").inner_text() == f"{report['wallets_checked']:,}"
    held = page.locator("#reconciliation-held [data-fen]").get_attribute("data-fen")
    assert (
        held
        == str(report["totals"]["held"]["total"])
        == str(ok(api.get("/v1/admin/reports/liability", admin))["total"]["total"])
    )
    expect(page.locator("#reconciliation-conserved")).to_have_text("是")
    check_a11y(page)
    fits_a_phone(page)
    shoot(page, "operator-reconciliation")
    assert page_errors(page) == []


R_BANDS = (("0-7", 7), ("8-30", 30), ("31-60", 60), ("61-90", 90), ("over_90", float("inf")))
F_BANDS = (("0", 0), ("1", 1), ("2-3", 3), ("4-5", 5), ("6+", float("inf")))


def rfm_cells(api, admin) -> dict[tuple[str, str], int]:
    """The heat map's counts from the API: every member of each segment the last run found, by the days since
    their last balance payment and their balance payments in 90 days."""
    cells: dict[tuple[str, str], int] = {}
    segments = ok(api.get("/v1/admin/segments", admin))["segments"]
    for s in segments:
        if s["size"] == 0:
            continue
        cursor = None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = ok(api.get(f"/v1/admin/segments/{s['name']}/members", admin, params=params))
            for m in page["members"]:
                days = m["recency_days"]
                r = "never" if days is None else next(b for b, upper in R_BANDS if days <= upper)
                f = next(b for b, upper in F_BANDS if m["frequency"] <= upper)
                cells[(r, f)] = cells.get((r, f), 0) + 1
            cursor = page["next_cursor"]
            if not cursor:
                break
    return cells


def test_a_customer_who_opens_the_dashboard_sees_the_forbidden_view(page, web):
    user = sign_in(page, web, f"ops-customer-{uuid.uuid4().hex[:6]}")
    for path in ("/app/ops", "/app/ops/reconciliation"):
        page.goto(web.app(path))
        expect(page.locator("[data-view=forbidden]")).to_be_visible()
        expect(page.locator("canvas")).to_have_count(0)
    # the navigation offers none of the dashboard's pages, and the API refuses the reports too
    expect(page.get_by_role("navigation").get_by_role("link", name="对账")).to_have_count(0)
    assert web.api.get("/v1/admin/reports/liability", user).status_code == 403
    check_a11y(page)
    shoot(page, "operator-forbidden")


def test_a_report_the_export_has_nothing_for_shows_how_to_fill_it_not_an_error(page, web):
    # the answers of a fresh stack, whose export is empty and which has never segmented
    empty = {
        "/v1/admin/reports/breakage": {
            "months": [{"month": "2026-01", "expired": 0, "customers": 0, "granted": 0, "breakage_bp": None}],
            "total": {"expired": 0, "customers": 0, "granted": 0, "breakage_bp": None},
        },
        "/v1/admin/reports/balance-share": {"rows": [], "total": {}},
        "/v1/admin/reports/obstacles": {"rows": []},
        "/v1/admin/segments/history": {"runs": []},
        "/v1/admin/segments": {"run_id": None, "as_of": None, "segments": []},
        "/v1/admin/reports/feedback": {
            "total": {"ratings": 0, "average": None, "distribution": {}},
            "by_segment": [],
            "by_tag": [],
        },
    }

    def answer(route):
        path = route.request.url.split("?", 1)[0].removeprefix(web.url)
        body = {"from": "2026-01-01", "to": "2026-01-30", **empty[path]}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    for path in empty:
        page.route(f"{web.url}{path}?*", answer)
        page.route(f"{web.url}{path}", answer)
    sign_in(page, web, f"ops-{uuid.uuid4().hex[:6]}", ["admin"], next="/app/ops")
    for selector in ("#breakage-empty", "#balance-share-empty"):
        expect(page.locator(selector)).to_contain_text("make demo-data")
    expect(page.locator("#chart-liability-age canvas")).to_have_attribute("data-drawn", "true")  # the ledger's own
    assert page.get_by_role("alert").count() == 0
    page.goto(web.app("/app/ops/customers"))
    expect(page.locator("#history-empty")).to_contain_text("make segment")
    expect(page.locator("#segments-empty")).to_contain_text("make segment")
    expect(page.locator("#feedback-empty")).to_contain_text("make demo-data")
    page.goto(web.app("/app/ops/obstacles"))
    expect(page.locator("#obstacles-empty")).to_contain_text("make demo-data")
    assert page.locator("canvas").count() == 0 and page.get_by_role("alert").count() == 0
    check_a11y(page)
    shoot(page, "operator-empty")
