"""The merchant's console in a real browser, over the running stack: a merchant's staff sees its balance share and
obstacles drawn from the API's reports, previews a rule change as a backtest of its own past checkouts and saves
it through the form (the API then answers the new rule; a rule the API refuses is shown by its field), creates and
grants a coupon (the customer then holds it), creates and cancels a promotion, refunds a customer's payment and
captures an authorization (the API then reports both); the staff of another merchant get the forbidden view, and
the API's 403."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ok, until, DRAWN, TIMEOUT_MS, check_a11y, page_errors, shoot, sign_in
from tests.e2e.test_backtests import quoted_in_export

pytestmark = pytest.mark.e2e

PAID = 1200  # fen: a checkout paid by balance at once
HELD = 2500  # fen: a checkout authorized by balance (captured later, from the console)
BACKTEST_MS = 150_000


@pytest.fixture(scope="module")
def shop(web):
    """A merchant of the module's own, its staff, and a customer with one checkout paid and one authorized by
    balance, both quoted first (so a backtest replays them) and in the export."""
    api = web.api
    merchant_id = f"m-mc-{uuid.uuid4().hex[:8]}"
    api.ensure_merchant(merchant_id)
    staff = f"mc-staff-{uuid.uuid4().hex[:8]}"
    customer = api.unique_user("mc-customer")
    api.fund(customer, 10_000)
    payments = {}
    for name, amount, capture in (("paid", PAID, True), ("held", HELD, False)):
        checkout = api.open_checkout(customer, amount, merchant_id=merchant_id)
        quote = ok(api.post(f"/v1/checkouts/{checkout['checkout_id']}/quote", customer, {"capture": capture}))
        assert quote["payable"] and quote["balance"] == amount, quote
        body = {"checkout_id": checkout["checkout_id"], "capture": capture}
        payments[name] = ok(api.post("/v1/payments", customer, body, key=str(uuid.uuid4())), 201)
    assert payments["held"]["status"] == "authorized"
    quoted = until(lambda: quoted_in_export(web.info, merchant_id), lambda q: len(q) == 2)
    assert len(quoted) == 2, "the quotes did not reach the export"
    return {"merchant_id": merchant_id, "staff": staff, "customer": customer, "payments": payments}


def staff_page(page, web, shop, path: str = ""):
    user = sign_in(page, web, shop["staff"], [f"merchant:{shop['merchant_id']}"])
    page.goto(web.app(f"/app/merchant/{shop['merchant_id']}{path}"))
    expect(page.locator("#merchant-id")).to_have_attribute("data-merchant", shop["merchant_id"])
    return user


def test_the_overview_and_insight_show_the_merchants_own_reports_as_the_api_answers_them(page, web, shop):
    api, merchant_id = web.api, shop["merchant_id"]
    user = api.user(shop["staff"], f"merchant:{merchant_id}")
    share = until(
        lambda: ok(api.get("/v1/admin/reports/balance-share", user, params={"merchant_id": merchant_id})),
        lambda r: r["total"]["payments"] == 1,
    )
    assert share["total"]["sales"] == PAID and share["total"]["share_bp"] == 10000, share
    obstacles = ok(api.get("/v1/admin/reports/obstacles", user, params={"merchant_id": merchant_id}))

    staff_page(page, web, shop)
    expect(page.locator("#overview-share-bp")).to_have_attribute("data-bp", "10000")
    expect(page.locator("#overview-rules-version")).to_be_visible()
    check_a11y(page)
    shoot(page, "merchant-overview")

    page.locator("#merchant-id ~ nav a", has_text="经营洞察").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("经营洞察")
    total = page.locator("#share-total")
    expect(total).to_have_attribute("data-sales", str(share["total"]["sales"]))
    expect(total).to_have_attribute("data-net", str(share["total"]["net"]["total"]))
    for chart in ("#chart-share", "#chart-sales", "#chart-obstacles"):
        canvas = page.locator(f"{chart} canvas")
        expect(canvas).to_have_attribute("data-drawn", "true", timeout=TIMEOUT_MS)
        assert canvas.evaluate(DRAWN), f"{chart} is blank"
    shoot(page, "merchant-insight")
    # the obstacles' table, one click away: the API's rows
    page.locator("#chart-obstacles button", has_text="查看数据表").click()
    cells = page.locator("#chart-obstacles tbody tr td[data-key=checkouts]").all_inner_texts()
    assert sorted(int(c.replace(",", "")) for c in cells) == sorted(r["checkouts"] for r in obstacles["rows"])
    # the day's share in the share chart's table
    page.locator("#chart-share button", has_text="查看数据表").click()
    shares = [s for s in page.locator("#chart-share tbody td[data-key=share_bp]").all_inner_texts() if s != "—"]
    assert shares == ["100.00%"], shares
    check_a11y(page)
    assert page_errors(page) == []


def test_staff_preview_a_rule_as_a_backtest_and_save_it_through_the_form(page, web, shop):
    api, merchant_id = web.api, shop["merchant_id"]
    user = staff_page(page, web, shop, "/rules")
    expect(page.locator("#rules-version")).to_have_attribute("data-version", "0")
    check_a11y(page)
    shoot(page, "merchant-rules")

    # a minimum order above both past checkouts: the preview says balance would have paid neither
    page.locator("#rule-min-order-amount").fill("50.00")
    page.locator("#rules-preview").click()
    result = page.locator("#rules-preview-result")
    expect(result).to_have_attribute("data-state", "done", timeout=BACKTEST_MS)
    backtest_id = result.get_attribute("data-backtest")
    report = ok(api.get(f"/v1/merchants/{merchant_id}/backtests/{backtest_id}", user))["report"]
    assert report["replayed"] == 2 and report["proposed"]["fully_payable"] == 0, report
    row = page.locator("#preview-table tr[data-metric=fully_payable]")
    expect(row.locator("[data-side=current]")).to_have_attribute("data-value", str(report["current"]["fully_payable"]))
    expect(row.locator("[data-side=proposed]")).to_have_attribute("data-value", "0")
    paid = page.locator("#preview-table tr[data-metric=balance_paid] [data-side=difference]")
    expect(paid).to_have_attribute("data-value", str(report["difference"]["balance_paid"]))
    samples = page.locator("#preview-samples tbody tr")
    expect(samples).to_have_count(len(report["examples"]))
    assert {e["proposed"]["refusal"] for e in report["examples"]} == {"min_order_not_met"}
    expect(page.locator("#preview-samples [data-side=proposed][data-refusal=min_order_not_met]")).to_have_count(2)
    expect(page.locator("#preview-chart canvas")).to_have_attribute("data-drawn", "true", timeout=TIMEOUT_MS)
    check_a11y(page)
    shoot(page, "merchant-rules-preview")

    # a discount above what the API takes: refused, its message under its field, nothing saved
    page.locator("#rule-min-order-amount").fill("30.00")
    page.locator("#rule-discount-percent").fill("95")
    page.locator("#rules-save").click()
    error = page.locator("#rule-discount-percent-error")
    expect(error).to_contain_text("90")
    expect(page.locator(".error[data-code=invalid_request]")).to_be_visible()
    assert ok(api.get(f"/v1/merchants/{merchant_id}/balance-rules", user))["version"] == 0
    check_a11y(page)

    page.locator("#rule-discount-percent").fill("5")
    page.locator("#rules-save").click()
    expect(page.locator("#rules-saved")).to_have_attribute("data-version", "1")
    rules = ok(api.get(f"/v1/merchants/{merchant_id}/balance-rules", user))
    assert (rules["version"], rules["min_order_amount"], rules["balance_pay_discount"]["percent"]) == (1, 3000, 5)
    expect(page.locator("#rules-version")).to_have_attribute("data-version", "1")
    assert page_errors(page) == []


def test_staff_create_a_coupon_and_grant_it_and_the_customer_holds_it(page, web, shop):
    api, customer = web.api, shop["customer"]
    definition_id = f"cd-mc-{uuid.uuid4().hex[:8]}"
    user = staff_page(page, web, shop, "/coupons")
    check_a11y(page)
    page.locator("#coupon-id").fill(definition_id)
    page.locator("#coupon-name").fill("五元券")
    page.locator("#coupon-value").fill("5.00")
    page.locator("#coupon-min-spend").fill("20.00")
    page.locator("#coupon-save").click()
    expect(page.locator("#coupon-saved")).to_have_attribute("data-version", "1")
    d = ok(api.get(f"/v1/coupon-definitions/{definition_id}", user))
    assert (d["kind"], d["value"], d["min_spend"], d["merchant_id"]) == ("amount_off", 500, 2000, shop["merchant_id"])

    page.locator("#coupon-grant-users").fill(customer.user_id)
    page.locator("#coupon-grant-submit").click()
    expect(page.locator("#coupon-grant-result")).to_have_attribute("data-granted", "1")
    held = ok(api.get("/v1/coupons", customer))["coupons"]
    assert [c["definition_id"] for c in held if c["definition_id"] == definition_id] == [definition_id]
    check_a11y(page)
    shoot(page, "merchant-coupons")

    # granting again goes past the customer's limit of one: skipped, and said so
    page.locator("#coupon-grant-users").fill(customer.user_id + "\n")
    page.locator("#coupon-grant-submit").click()
    expect(page.locator("#coupon-grant-result")).to_have_attribute("data-granted", "0")
    expect(page.locator(f"#coupon-grant-skipped tr[data-user='{customer.user_id}']")).to_contain_text("已达每人限额")
    assert len([c for c in ok(api.get("/v1/coupons", customer))["coupons"] if c["definition_id"] == definition_id]) == 1
    assert page_errors(page) == []


def test_staff_create_a_promotion_with_its_start_and_end_and_cancel_it(page, web, shop):
    api, merchant_id = web.api, shop["merchant_id"]
    user = staff_page(page, web, shop, "/promotions")
    expect(page.locator("#promo-none")).to_be_visible()
    name = f"双倍积分 {uuid.uuid4().hex[:4]}"
    page.locator("#promo-name").fill(name)
    page.locator("#promo-kind").select_option("points_multiplier")
    page.locator("#promo-factor").fill("2")
    page.locator("#promo-submit").click()
    expect(page.locator("#promo-notice")).to_contain_text(name)
    listed = ok(api.get("/v1/admin/promotions", user, params={"merchant_id": merchant_id}))["promotions"]
    assert [(p["name"], p["effect"]["factor"], p["status"]) for p in listed] == [(name, "2", "scheduled")], listed
    promotion_id = listed[0]["promotion_id"]
    row = page.locator(f"#promo-table tr[data-promotion='{promotion_id}']")
    expect(row).to_have_attribute("data-status", "scheduled")
    check_a11y(page)
    shoot(page, "merchant-promotions")

    row.locator(f"[data-cancel='{promotion_id}']").click()
    row.locator(f"[data-confirm-cancel='{promotion_id}']").click()
    expect(row).to_have_attribute("data-status", "cancelled")
    assert ok(api.get(f"/v1/admin/promotions/{promotion_id}", user))["status"] == "cancelled"
    assert page_errors(page) == []


def test_staff_capture_an_authorization_and_refund_a_customers_payment(page, web, shop):
    api, customer = web.api, shop["customer"]
    paid, held = shop["payments"]["paid"], shop["payments"]["held"]
    user = staff_page(page, web, shop, "/payments")
    check_a11y(page)

    # the authorization, found by its checkout: part captured, the rest released to the customer
    before = api.balance(customer)
    page.locator("#pay-find-by").select_option("checkout_id")
    page.locator("#pay-find-id").fill(held["checkout_id"])
    page.locator("#pay-find-submit").click()
    expect(page.locator("#payment-summary")).to_have_attribute("data-status", "authorized")
    check_a11y(page)
    shoot(page, "merchant-payments-authorized")
    page.locator("#pay-capture-amount").fill("20.00")
    page.locator("#pay-capture-submit").click()
    expect(page.locator("#payment-summary")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#payment-notice")).to_contain_text("¥20.00")
    captured = ok(api.get(f"/v1/payments/{held['payment_id']}", user))
    spent = captured["funded_by"]["cash"] + captured["funded_by"]["bonus"]
    assert (captured["status"], spent, captured["refundable"]) == ("succeeded", 2000, 2000), captured
    assert api.balance(customer)["total"] == before["total"] + HELD - 2000  # the rest released

    # the payment paid at once, found by its id: part refunded to the customer's balance
    before = api.balance(customer)
    page.locator("#pay-find-by").select_option("payment_id")
    page.locator("#pay-find-id").fill(paid["payment_id"])
    page.locator("#pay-find-submit").click()
    expect(page.locator("#payment-summary")).to_have_attribute("data-payment", paid["payment_id"])
    expect(page.locator("#payment-refundable [data-fen]")).to_have_attribute("data-fen", str(PAID))
    page.locator("#pay-refund-amount").fill("4.00")
    page.locator("#pay-refund-reason").fill("少发一件")
    page.locator("#pay-refund-submit").click()
    expect(page.locator("#payment-notice")).to_contain_text("¥4.00")
    expect(page.locator("#payment-summary")).to_have_attribute("data-status", "partially_refunded")
    payment = ok(api.get(f"/v1/payments/{paid['payment_id']}", user))
    assert (payment["refunded"], payment["refundable"]) == (400, PAID - 400)
    assert [(r["amount"], r["reason"]) for r in payment["refunds"]] == [(400, "少发一件")]
    assert api.balance(customer)["total"] == before["total"] + 400
    expect(page.locator("#payment-refunds tbody tr")).to_have_count(1)
    expect(page.locator("#payment-refundable [data-fen]")).to_have_attribute("data-fen", str(PAID - 400))

    # more than is left to refund: the API's refusal, with its code, and nothing refunded
    page.locator("#pay-refund-amount").fill("100.00")
    page.locator("#pay-refund-reason").fill("再退一次")
    page.locator("#pay-refund-submit").click()
    expect(page.locator("#pay-refund .error[role=alert]")).to_be_visible()
    assert ok(api.get(f"/v1/payments/{paid['payment_id']}", user))["refunded"] == 400
    check_a11y(page)
    shoot(page, "merchant-payments")
    assert page_errors(page) == []


def test_the_staff_of_another_merchant_cannot_open_this_console(page, web, shop):
    merchant_id = shop["merchant_id"]
    other = f"m-mc-other-{uuid.uuid4().hex[:6]}"
    web.api.ensure_merchant(other)
    stranger = sign_in(page, web, f"mc-stranger-{uuid.uuid4().hex[:6]}", [f"merchant:{other}"])
    for path in ("", "/rules", "/payments"):
        page.goto(web.app(f"/app/merchant/{merchant_id}{path}"))
        expect(page.locator("[data-view=forbidden]")).to_be_visible()
        expect(page.locator("#rules-form")).to_have_count(0)
    check_a11y(page)
    shoot(page, "merchant-forbidden")
    # and the API refuses them the same
    refused = web.api.get(f"/v1/merchants/{merchant_id}/balance-rules", stranger)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    refused = web.api.get(f"/v1/payments/{shop['payments']['paid']['payment_id']}", stranger)
    assert refused.status_code in (403, 404)
    # their own console opens
    page.goto(web.app(f"/app/merchant/{other}"))
    expect(page.locator("#merchant-id")).to_have_attribute("data-merchant", other)
    assert page_errors(page) == []
