"""The hosted balance checkout in a real browser, over the real local stack: a shop opens a checkout for a funded
customer, who sees the quote the API gives, moves the points slider and picks a coupon (the page re-quotes and
still shows the API's numbers), pays, and lands on the shop's registered return page with the payment; a forged
or foreign return_url is refused with no pay button; another customer sees nothing of the checkout; a rule the
merchant changes shows up in the customer's next quote, in words, in both languages."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ok, check_a11y, measure_load, page_errors, shoot, sign_in

pytestmark = pytest.mark.e2e

RETURN_PATH = "/local/shop/return"  # the local demo shop's return page, on the web server's origin
WEIGHT_BUDGET = 150_000  # a customer page's bytes on a cold load, compressed (issue 17)


def short(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_shop(web) -> tuple[str, Any]:
    """A merchant whose registered return origin is the web server's, and a member of its staff."""
    merchant_id = short("m-pay")
    ok(
        web.api.request(
            "PUT",
            f"/v1/admin/merchants/{merchant_id}",
            web.api.admin(),
            {"name": "Pay test shop", "return_origins": [web.url]},
        )
    )
    return merchant_id, web.api.user(short("staff"), f"merchant:{merchant_id}")


def make_customer(web, merchant_id: str, fund: int = 50000, earn: int = 0) -> tuple[str, Any]:
    """A funded customer; with ``earn``, first an order of that many fen paid with balance at the shop, whose
    points are available at once (the test stack's return window is 0)."""
    name = short("payer")
    customer = web.api.user(name)
    web.api.fund(customer, fund)
    if earn:
        earlier = web.api.open_checkout(customer, earn, merchant_id)
        ok(web.api.post("/v1/payments", customer, {"checkout_id": earlier["checkout_id"]}, key=str(uuid.uuid4())), 201)
    return name, customer


def open_checkout(web, customer, merchant_id: str, lines: list[tuple[str, str, int, int]]) -> dict[str, Any]:
    items = [{"sku": s, "category": c, "unit_price": p, "quantity": n} for s, c, p, n in lines]
    return web.api.open_checkout(customer, merchant_id=merchant_id, items=items)


def quote_of(web, customer, checkout_id: str, **options: Any) -> dict[str, Any]:
    return ok(web.api.post(f"/v1/checkouts/{checkout_id}/quote", customer, options))


def grant_coupon(web, customer, merchant_id: str, value: int) -> str:
    now = datetime.now(timezone.utc)
    definition_id = short("cd-pay")
    body = {
        "name": "Pay test coupon",
        "kind": "amount_off",
        "value": value,
        "min_spend": 0,
        "merchant_id": merchant_id,
        "valid_from": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "valid_to": (now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    ok(web.api.request("PUT", f"/v1/coupon-definitions/{definition_id}", web.api.admin(), body))
    ok(
        web.api.post(
            f"/v1/coupon-definitions/{definition_id}/grants",
            web.api.admin(),
            {"user_ids": [customer.user_id]},
            key=str(uuid.uuid4()),
        ),
        201,
    )
    coupons = ok(web.api.get("/v1/coupons", customer, params={"state": "available"}))["coupons"]
    [coupon] = [c for c in coupons if c["definition_id"] == definition_id]
    return coupon["coupon_id"]


def pay_path(checkout_id: str, return_url: str | None = None) -> str:
    return f"/app/pay/{checkout_id}" + (f"?return_url={quote(return_url, safe='')}" if return_url else "")


def fen(page, selector: str) -> int:
    return int(page.locator(f"{selector} [data-fen]").first.get_attribute("data-fen") or "nan")


def expect_fen(page, selector: str, amount: int) -> None:
    expect(page.locator(f"{selector} [data-fen]").first).to_have_attribute("data-fen", str(amount))


def expect_quote(page, q: dict[str, Any]) -> None:
    """The page's price is the API's quote: what balance pays, the remainder, points, each discount."""
    expect(page.locator("#pay-price")).to_have_attribute("aria-busy", "false")
    expect_fen(page, "#quote-amount", q["amount"])
    expect_fen(page, "#quote-balance", q["balance"])
    expect_fen(page, "#quote-external", q["external"])
    if q["points"]:
        expect_fen(page, "#quote-points", q["points_value"])
    else:
        expect(page.locator("#quote-points")).to_have_count(0)
    for d in q["discounts"]:
        expect_fen(page, f"#quote-discount-{d['source']}", d["amount"])
    expect(page.locator("#quote-points-to-earn")).to_have_attribute("data-points", str(q["points_to_earn"]))
    codes = [lim["code"] for lim in q["limits"]]
    expect(page.locator("#quote-limits li")).to_have_count(len(codes))
    for i, code in enumerate(codes):
        expect(page.locator("#quote-limits li").nth(i)).to_have_attribute("data-code", code)


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_a_customer_moves_the_slider_picks_a_coupon_pays_and_lands_on_the_shops_return_page(page, web):
    merchant_id, _ = make_shop(web)
    name, customer = make_customer(web, merchant_id, fund=50000, earn=30000)
    points = ok(web.api.get("/v1/points", customer))["available"]
    assert points >= 300, points  # the earlier order's points, available at once here
    coupon_id = grant_coupon(web, customer, merchant_id, 500)
    checkout = open_checkout(web, customer, merchant_id, [("tea", "food", 4500, 2), ("cup", "home", 3000, 1)])
    cid = checkout["checkout_id"]
    return_url = f"{web.url}{RETURN_PATH}?order={checkout['order_id']}"

    sign_in(page, web, name, next=pay_path(cid, return_url))
    expect(page.get_by_role("heading", level=1)).to_have_text("付款")
    expect_fen(page, "#checkout-amount", 12000)
    expect(page.locator("#checkout-lines tbody tr")).to_have_count(2)
    expect_fen(page, "#wallet-total", web.api.balance(customer)["total"])
    expect_quote(page, quote_of(web, customer, cid))
    expect(page.locator("#quote-limits-none")).to_be_visible()  # balance covers it all: nothing holds it back

    # the slider re-quotes: the page shows what the API quotes for those points
    slider = page.locator("#pay-points")
    expect(slider).to_have_attribute("max", str(min(points, 12000)))
    slider.fill("200")
    expect(page.locator("#pay-points-output")).to_contain_text("200")
    with_points = quote_of(web, customer, cid, points=200)
    assert with_points["points"] == 200 and with_points["balance"] < quote_of(web, customer, cid)["balance"]
    expect_quote(page, with_points)

    # the coupon picker lists the customer's coupon for this shop and re-quotes with it
    page.locator("#pay-coupon").select_option(coupon_id)
    with_coupon = quote_of(web, customer, cid, points=200, coupon_id=coupon_id)
    assert {"source": "coupon", "amount": 500} in with_coupon["discounts"]
    expect_quote(page, with_coupon)

    check_a11y(page)
    shoot(page, "checkout")

    button = page.locator("#pay-submit")
    expect(button).to_be_enabled()
    expect(button).to_contain_text(f"{with_coupon['balance'] // 100}")
    button.click()

    # back on the shop's page, with the outcome the API recorded
    page.wait_for_url(f"{web.url}{RETURN_PATH}?**")
    back = parse_qs(urlsplit(page.url).query)
    assert back["order"] == [checkout["order_id"]] and back["checkout_id"] == [cid]
    assert back["status"] == ["succeeded"]
    payment_id = back["payment_id"][0]
    expect(page.locator("#return-payment_id")).to_have_text(payment_id)
    payment = ok(web.api.get(f"/v1/payments/{payment_id}", customer))
    assert payment["checkout_id"] == cid and payment["status"] == "succeeded"
    assert payment["funded_by"] == with_coupon["funded_by"] and payment["points_spent"] == 200
    assert payment["coupon_id"] == coupon_id
    assert ok(web.api.get(f"/v1/checkouts/{cid}", customer))["status"] == "paid"
    # the history has the entry
    [entry] = [e for e in web.api.all_entries(customer) if e.get("payment_id") == payment_id]
    assert entry["type"] == "payment" and -entry["amount"] == with_coupon["balance"]

    # opening the paid checkout again: no pay button, a way back to the shop with the same payment
    page.goto(web.app(pay_path(cid, return_url)))
    expect(page.locator("#checkout-state")).to_have_attribute("data-status", "paid")
    expect(page.locator("#pay-submit")).to_have_count(0)
    back_link = parse_qs(urlsplit(page.locator("#pay-back").get_attribute("href") or "").query)
    assert back_link["payment_id"] == [payment_id]
    assert page_errors(page) == []


@pytest.mark.parametrize("page", ["desktop"], indirect=True)
def test_a_forged_or_foreign_return_url_is_refused_and_a_cancelled_checkout_is_refused_in_words(page, web):
    merchant_id, _ = make_shop(web)
    name, customer = make_customer(web, merchant_id, fund=20000)
    checkout = open_checkout(web, customer, merchant_id, [("tea", "food", 5000, 1)])
    cid = checkout["checkout_id"]
    port = urlsplit(web.url).port
    forged = [
        "https://evil.example/return",
        f"http://127.0.0.1:{port}.evil.com{RETURN_PATH}",
        f"http://127.0.0.1:{port}@evil.example{RETURN_PATH}",
        "javascript:alert(1)",
        f"{web.url}{RETURN_PATH}?pad={'a' * 2100}",  # the registered origin, but longer than any URL it takes
    ]
    sign_in(page, web, name)
    for i, url in enumerate(forged):
        r = web.api.get(f"/v1/checkouts/{cid}", customer, params={"return_url": url})
        assert r.status_code in (400, 422), (url, r.text)
        assert r.json()["error"]["code"] in ("return_url_not_allowed", "invalid_request"), r.text
        page.goto(web.app(pay_path(cid, url)))
        refused = page.locator("#pay-refused")
        expect(refused).to_be_visible()
        expect(refused).to_have_attribute("data-code", "return_url_not_allowed")
        expect(page.get_by_role("heading", level=1)).to_have_text("此付款链接无法使用")
        expect(page.locator("#pay-submit")).to_have_count(0)
        expect(page.locator("#checkout-lines")).to_have_count(0)
        links = page.locator("main a").evaluate_all("(as) => as.map((a) => a.href)")
        assert not [h for h in links if "evil" in h or h.startswith("javascript:")], links
        assert checkout["order_id"] not in page.locator("main").inner_text()
        if i == 0:
            check_a11y(page)
            shoot(page, "checkout-refused")
    # the registered origin is accepted on the same checkout, so the refusals above are the URL's doing
    load = measure_load(page, web.app(pay_path(cid, f"{web.url}{RETURN_PATH}")))
    assert load.total <= WEIGHT_BUDGET and not load.failed, (load.total, load.failed)  # bytes on the wire, gzip
    print(f"hosted checkout: {load.total} bytes transferred on a cold load")
    expect(page.locator("#pay-submit")).to_be_enabled()
    expect(page.locator("#checkout-order")).to_have_text(checkout["order_id"])

    # the shop cancels while the page is open: paying is refused in words, with the code, and charges nothing
    before = web.api.balance(customer)
    ok(web.api.post(f"/v1/checkouts/{cid}/cancel", web.api.service(), {"reason": "out of stock"}))
    page.locator("#pay-submit").click()
    refusal = page.locator("#pay-error")
    expect(refusal).to_have_attribute("data-code", "checkout_cancelled")
    expect(refusal).to_contain_text("商家已取消此订单的付款。")
    expect(refusal).to_contain_text("checkout_cancelled")
    expect(page.locator("#pay-submit")).to_be_disabled()
    assert web.api.balance(customer) == before
    assert page_errors(page) == []


@pytest.mark.parametrize("page", ["desktop"], indirect=True)
def test_another_customer_opening_the_checkout_sees_nothing_of_it(page, web):
    merchant_id, _ = make_shop(web)
    _, owner = make_customer(web, merchant_id, fund=20000)
    checkout = open_checkout(web, owner, merchant_id, [("secret-sku", "food", 7300, 1)])
    cid = checkout["checkout_id"]
    other_name, other = make_customer(web, merchant_id, fund=20000)
    assert web.api.get(f"/v1/checkouts/{cid}", other).status_code == 404

    sign_in(page, web, other_name)
    for url in (f"{web.url}{RETURN_PATH}", None):
        page.goto(web.app(pay_path(cid, url)))
        expect(page.locator("#pay-missing")).to_be_visible()
        expect(page.locator("#pay-missing")).to_have_attribute("data-code", "checkout_not_found")
        text = page.locator("main").inner_text()
        assert checkout["order_id"] not in text and "secret-sku" not in text and "73.00" not in text
        expect(page.locator("#pay-submit")).to_have_count(0)
        expect(page.locator("#pay-back")).to_have_count(0)
    check_a11y(page)
    shoot(page, "checkout-not-found")
    # the owner's checkout is untouched
    assert ok(web.api.get(f"/v1/checkouts/{cid}", owner))["status"] == "open"
    assert page_errors(page) == []


@pytest.mark.parametrize("page", ["desktop"], indirect=True)
def test_a_rule_the_merchant_changes_shows_in_the_next_quote_in_words_and_a_split_payment_is_authorized(page, web):
    merchant_id, staff = make_shop(web)
    name, customer = make_customer(web, merchant_id, fund=50000, earn=10000)
    checkout = open_checkout(web, customer, merchant_id, [("tea", "food", 4000, 1), ("voucher", "gift-cards", 2500, 2)])
    cid = checkout["checkout_id"]

    sign_in(page, web, name, next=pay_path(cid))
    expect_quote(page, quote_of(web, customer, cid))
    expect(page.locator("#quote-limits-none")).to_be_visible()

    # the merchant excludes a category; the customer's next quote (the slider moved) names it, in words
    path = f"/v1/merchants/{merchant_id}/balance-rules"
    rules = ok(web.api.request("PUT", path, staff, {"excluded_categories": ["gift-cards"]}))
    assert rules["excluded_categories"] == ["gift-cards"]
    page.locator("#pay-points").fill("10")
    after = quote_of(web, customer, cid, points=10)
    assert "excluded_items" in [lim["code"] for lim in after["limits"]] and after["payable"] is False
    expect_quote(page, after)
    limit = page.locator('#quote-limits li[data-code="excluded_items"]')
    expect(limit).to_have_text("订单中有 ¥50.00 的商品，商家不允许用余额支付（按商品或类别排除）。")
    expect(page.locator("#quote-refusal")).to_have_attribute("data-code", "excluded_items")
    expect(page.locator("#pay-submit")).to_be_disabled()
    page.locator("#lang-switch").select_option("en")
    expect(limit).to_have_text(
        "¥50.00 of the order is for items the shop does not let you pay with balance (by item or category)."
    )
    expect(page.locator("#quote-refusal")).to_contain_text("pay the rest another way")
    check_a11y(page)
    shoot(page, "checkout-limits")

    # paying the rest another way: balance pays the eligible part, held as an authorization
    page.locator("#pay-partial").check()
    split = quote_of(web, customer, cid, points=10, allow_partial=True)
    assert split["payable"] is True and split["status"] == "authorized" and split["external"] == 5000
    expect_quote(page, split)
    expect(page.locator("#quote-refusal")).to_have_count(0)
    button = page.locator("#pay-submit")
    expect(button).to_be_enabled()
    expect(button).to_contain_text("Authorize")
    button.click()

    # no return_url: the done page, with the payment the API holds
    done = page.locator("#pay-done")
    expect(done).to_have_attribute("data-status", "authorized")
    payment_id = page.locator("#done-payment-id").inner_text().strip()
    payment = ok(web.api.get(f"/v1/payments/{payment_id}", customer))
    assert payment["checkout_id"] == cid and payment["status"] == "authorized" and payment["external"] == 5000
    assert payment["funded_by"] == split["funded_by"]
    expect_fen(page, "#done-external", 5000)
    expect_fen(page, "#done-balance", web.api.balance(customer)["total"])
    assert ok(web.api.get(f"/v1/checkouts/{cid}", customer))["status"] == "authorized"
    check_a11y(page)
    shoot(page, "checkout-done")
    assert page_errors(page) == []
