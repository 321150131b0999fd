"""The customer's pages in a real browser over the local stack, as a person uses them, each compared with what the
API says: the wallet's balance, a top-up through the page and the local payment provider's confirmation (the
bonus and the new balance), the entry in the history (and more by cursor), a payment opened from the history and
rated from the inbox's prompt, a reward redeemed with points (and one refused), the settings saved and the
low-balance banner they bring, a survey answered in the inbox. axe and the screenshots on every page."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ok, TIMEOUT_MS, check_a11y, page_errors, shoot, sign_in

pytestmark = pytest.mark.e2e

MERCHANT = "m-web-customer"


def someone(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def wait_for(fetch: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"not within {timeout} s: {value!r}"
        time.sleep(0.3)


def fen_of(page, selector: str) -> int:
    return int(page.locator(f"{selector} .money").first.get_attribute("data-fen") or "nan")


def look(page, name: str) -> None:
    """axe on the page as it is, then its screenshots at phone and desktop width."""
    check_a11y(page)
    shoot(page, name)


@pytest.fixture
def bonus_plan(web):
    """A top-up plan of 10 % bonus (at most ¥50, 30 days) on top-ups of ¥200 or more, live for this test only:
    it is switched off at the end, so no other test's top-up earns it."""
    api, admin = web.api, web.api.admin()
    now = datetime.now(timezone.utc)
    plan_id = someone("plan-web")
    terms = {
        "name": "web top-up bonus",
        "min_amount": 20000,
        "bonus_percent": 10,
        "bonus_max": 5000,
        "bonus_valid_days": 30,
        "valid_from": iso(now - timedelta(minutes=1)),
        "valid_to": iso(now + timedelta(hours=1)),
        "active": True,
    }
    ok(api.request("PUT", f"/v1/admin/topup-plans/{plan_id}", admin, terms))
    try:
        yield terms
    finally:
        ok(api.request("PUT", f"/v1/admin/topup-plans/{plan_id}", admin, {**terms, "active": False}))


def test_a_customer_sees_the_api_balance_tops_up_through_the_local_confirmation_and_finds_the_entry(
    page, web, bonus_plan
):
    api = web.api
    user = sign_in(page, web, someone("cu-top"))
    for i in range(20):  # a history longer than a page (20): the page's top-up makes 21
        api.fund(user, 100 + i)
    before = api.balance(user)

    # the wallet shows the balance the API reports
    page.goto(web.app("/app/wallet"))
    expect(page.locator("#balance-total .money")).to_have_attribute("data-fen", str(before["total"]))
    assert fen_of(page, "#balance-cash") == before["cash"] and fen_of(page, "#balance-bonus") == before["bonus"]
    look(page, "customer-wallet")

    # top up: the options with the bonus each earns now, as the API offers them
    page.locator("#wallet-topup").click()
    expect(page.locator("#topup-form")).to_be_visible()
    offered = {o["amount"]: o for o in ok(api.get("/v1/topups/options", user))["options"]}
    bonus = offered[20000]["bonus"]
    assert bonus >= 2000  # the plan's 10 % (or a better plan's, live meanwhile)
    for amount, option in offered.items():
        expect(page.locator(f"label[data-fen='{amount}']")).to_have_attribute("data-bonus", str(option["bonus"]))
    page.locator("label[data-fen='20000']").click()
    expect(page.locator("#topup-submit")).to_contain_text("¥200.00")
    look(page, "customer-topup")

    page.locator("#topup-submit").click()
    local = page.locator("#topup-local")
    expect(local).to_be_visible()
    expect(local.get_by_role("heading")).to_contain_text("仅本地环境")  # the local-only step says so
    topup_id = page.locator("#topup-id").inner_text()
    assert ok(api.get(f"/v1/topups/{topup_id}", user))["status"] == "pending"
    assert api.balance(user) == before  # nothing credited before the provider confirms
    look(page, "customer-topup-confirm")

    page.locator("#topup-local-confirm").click()
    expect(page.locator("#topup-result")).to_have_attribute("data-status", "succeeded", timeout=TIMEOUT_MS * 2)
    credited = ok(api.get(f"/v1/topups/{topup_id}", user))
    after = api.balance(user)
    assert credited["status"] == "succeeded" and credited["bonus"] == bonus
    assert after == {
        "cash": before["cash"] + 20000,
        "bonus": before["bonus"] + bonus,
        "total": before["total"] + 20000 + bonus,
    }
    assert fen_of(page, "#topup-credited") == 20000 and fen_of(page, "#topup-bonus") == bonus
    assert fen_of(page, "#topup-new-balance") == after["total"]
    look(page, "customer-topup-done")

    # the wallet: the new balance and the bonus that expires, with its date
    page.locator("#topup-wallet").click()
    expect(page.locator("#balance-total .money")).to_have_attribute("data-fen", str(after["total"]))
    wallet = ok(api.get("/v1/wallet", user))
    first = wallet["bonus_expiring"][0]
    expect(page.locator("#bonus-expiring li").first).to_have_attribute("data-expires", first["expires_at"])
    assert int(page.locator("#bonus-expiring li .money").first.get_attribute("data-fen") or "0") == first["amount"]

    # the history: newest first with the balance after each, a page of 20, then the rest by cursor
    page.locator("#wallet-history").click()
    entries = api.all_entries(user)
    assert len(entries) == 21
    rows = page.locator("#history-list li")
    expect(rows).to_have_count(20)
    newest = rows.first
    expect(newest).to_have_attribute("data-entry", entries[0]["id"])
    expect(newest).to_have_attribute("data-type", "top_up")
    expect(newest.locator(".cu-entry-after")).to_have_attribute("data-fen", str(entries[0]["balance_after"]["total"]))
    assert entries[0]["balance_after"]["total"] == after["total"]
    look(page, "customer-history")
    page.locator("#history-more").click()
    expect(rows).to_have_count(21)
    expect(page.locator("#history-end")).to_be_visible()
    assert rows.evaluate_all("els => els.map(e => e.dataset.entry)") == [e["id"] for e in entries]

    # the entry opens its top-up
    newest.locator("a").click()
    expect(page.locator("#entry-topup")).to_have_attribute("data-topup", topup_id)
    assert fen_of(page, "#entry-balance-after") == after["total"]
    look(page, "customer-history-entry")
    assert page_errors(page) == []


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_a_customer_opens_a_payment_from_the_history_and_rates_it_once_from_the_inbox_prompt(page, web):
    api = web.api
    api.ensure_merchant(MERCHANT)
    user = sign_in(page, web, someone("cu-rate"))
    api.fund(user, 5000)
    paid = ok(api.pay(user, 1500, merchant_id=MERCHANT), 201)
    inbox = wait_for(
        lambda: ok(api.get("/v1/notifications", user)),
        lambda p: any(i["type"] == "feedback_prompt" for i in p["items"]),
    )
    [prompt] = [i for i in inbox["items"] if i["type"] == "feedback_prompt"]

    # the inbox: the prompt in the reader's language, the unread count the API gives
    page.goto(web.app("/app/inbox"))
    item = page.locator(f"li[data-notification='{prompt['notification_id']}']")
    expect(item).to_contain_text("¥15.00")
    expect(item).to_contain_text(MERCHANT)
    expect(page.locator("#inbox-unread")).to_have_attribute("data-count", str(inbox["unread_count"]))
    look(page, "customer-inbox")
    item.locator(".cu-note-read").click()
    expect(item.locator(".cu-note-read")).to_have_count(0)
    read = ok(api.get("/v1/notifications", user))
    assert read["unread_count"] == inbox["unread_count"] - 1
    assert [i["read_at"] for i in read["items"] if i["notification_id"] == prompt["notification_id"]][0]

    # the history, filtered to payments: the one payment, which opens with its lines
    page.goto(web.app("/app/history"))
    expect(page.locator("#history-list li")).to_have_count(2)  # the top-up and the payment
    page.locator("#history-type").select_option("payment")
    rows = page.locator("#history-list li")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-type", "payment")
    rows.first.locator("a").click()
    expect(page.locator("#entry-payment")).to_have_attribute("data-payment", paid["payment_id"])
    assert fen_of(page, "#payment-amount") == 1500
    expect(page.locator("#payment-status")).to_have_text("已完成")

    # "rate this": the prompt's payment, rated once
    page.locator("#entry-rate").click()
    page.wait_for_url(lambda url: url.endswith(f"/app/feedback?payment_id={paid['payment_id']}"))
    expect(page.locator("#feedback-subject")).to_contain_text(MERCHANT)
    page.locator("#feedback-submit").click()  # no rating chosen: said so, nothing sent
    expect(page.locator("#feedback-form .field-error")).to_be_visible()
    page.locator("label[for=feedback-rating-4]").click()
    page.locator("label[for=feedback-tag-fast]").click()
    page.locator("#feedback-comment").fill("一键支付，很方便")
    look(page, "customer-feedback")
    page.locator("#feedback-submit").click()
    done = page.locator("#feedback-done")
    expect(done).to_be_visible()
    feedback_id = done.get_attribute("data-feedback")
    listed = ok(api.get("/v1/admin/feedback", api.admin(), params={"merchant_id": MERCHANT}))["items"]
    [mine] = [f for f in listed if f["feedback_id"] == feedback_id]
    assert (mine["subject"], mine["rating"], mine["tags"], mine["comment"], mine["user_id"]) == (
        {"kind": "payment", "id": paid["payment_id"]},
        4,
        ["fast"],
        "一键支付，很方便",
        user.user_id,
    )

    # a second rating of the same payment is refused, in words, with the code kept
    page.goto(web.app(f"/app/feedback?payment_id={paid['payment_id']}"))
    page.locator("label[for=feedback-rating-1]").click()
    page.locator("#feedback-submit").click()
    refused = page.locator("#feedback-form .error")
    expect(refused).to_have_attribute("data-code", "feedback_exists")
    expect(refused).to_contain_text("已经评价过")
    assert page_errors(page) == []


def test_a_customer_redeems_a_reward_with_points_is_refused_one_beyond_them_and_finds_the_coupon(page, web):
    api, admin = web.api, web.api.admin()
    api.ensure_merchant(MERCHANT)
    user = sign_in(page, web, someone("cu-pts"))
    api.fund(user, 20000)
    ok(api.pay(user, 10000, merchant_id=MERCHANT), 201)
    points = wait_for(lambda: ok(api.get("/v1/points", user)), lambda p: p["available"] > 0)["available"]
    now = datetime.now(timezone.utc)
    definition = someone("def-web")
    ok(
        api.request(
            "PUT",
            f"/v1/coupon-definitions/{definition}",
            admin,
            {
                "name": "¥5 off",
                "kind": "amount_off",
                "value": 500,
                "valid_from": iso(now - timedelta(minutes=1)),
                "valid_to": iso(now + timedelta(days=30)),
            },
        )
    )
    coupon_reward, gift = someone("rw-coupon"), someone("rw-gift")
    cost = max(1, points // 2)
    for reward_id, body in (
        (
            coupon_reward,
            {
                "name": "¥5 coupon",
                "kind": "coupon",
                "coupon_definition_id": definition,
                "points_cost": cost,
                "stock": 3,
            },
        ),
        (gift, {"name": "A gift", "kind": "gift", "points_cost": points * 10, "stock": 1}),
    ):
        ok(api.request("PUT", f"/v1/admin/rewards/{reward_id}", admin, body))

    page.goto(web.app("/app/rewards"))
    expect(page.locator("#rewards-points")).to_have_attribute("data-points", str(points))
    card = page.locator(f"li[data-reward='{coupon_reward}']")
    expect(card.locator("[data-points]")).to_have_attribute("data-points", str(cost))
    expect(card.locator(".cu-reward-stock")).to_have_attribute("data-stock", "3")
    look(page, "customer-rewards")

    card.locator(".cu-reward-redeem").click()
    expect(card.locator(".cu-reward-done")).to_be_visible()
    left = ok(api.get("/v1/points", user))["available"]
    assert left == points - cost
    expect(page.locator("#rewards-points")).to_have_attribute("data-points", str(left))
    expect(card.locator(".cu-reward-stock")).to_have_attribute("data-stock", "2")  # read again: the stock moved
    [stock] = [r["stock"] for r in ok(api.get("/v1/rewards", user))["rewards"] if r["reward_id"] == coupon_reward]
    assert stock == 2

    # a reward beyond the points: refused in words, the code kept, nothing spent
    other = page.locator(f"li[data-reward='{gift}']")
    other.locator(".cu-reward-redeem").click()
    refused = other.locator(".error")
    expect(refused).to_have_attribute("data-code", "insufficient_points")
    expect(refused).to_contain_text(f"需要 {points * 10} 分")
    assert ok(api.get("/v1/points", user))["available"] == left

    # the coupon the reward gave is among the customer's coupons
    [coupon] = ok(api.get("/v1/coupons", user))["coupons"]
    assert coupon["definition_id"] == definition and coupon["state"] == "available"
    page.locator("#rewards-list").get_by_role("link").first.click()
    row = page.locator(f"li[data-coupon='{coupon['coupon_id']}']")
    expect(row).to_have_attribute("data-state", "available")
    expect(row).to_contain_text("减 ¥5.00")
    look(page, "customer-coupons")
    assert page_errors(page) == []


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_a_customer_saves_the_settings_and_the_wallet_then_warns_of_the_low_balance(page, web):
    api = web.api
    user = sign_in(page, web, someone("cu-set"))
    api.fund(user, 3000)
    page.goto(web.app("/app/settings"))
    threshold = page.get_by_label("余额低于此金额时提醒（元）")
    expect(threshold).to_have_value("0.00")
    expect(page.locator("#settings-marketing")).to_be_checked()

    # what is not a setting is said beside its field, and nothing is sent
    threshold.fill("五十")
    page.locator("#settings-run-out").fill("45")
    page.locator("#settings-save").click()
    expect(page.locator("#settings-threshold-error")).to_be_visible()
    expect(page.locator("#settings-run-out-error")).to_be_visible()
    assert ok(api.get("/v1/wallet", user))["low_balance_threshold"] == 0

    threshold.fill("50")
    page.locator("#settings-run-out").fill("7")
    page.locator("#settings-bonus-expiry").fill("")
    page.locator("#settings-email").fill(f"{user.name}@example.com")
    page.locator("label[for=settings-marketing]").click()
    page.locator("#settings-save").click()
    expect(page.locator("#settings-saved")).to_be_visible()
    wallet = ok(api.get("/v1/wallet", user))
    assert wallet["low_balance_threshold"] == 5000
    assert wallet["reminders"] == {
        "low_balance": True,
        "run_out_days": 7,
        "bonus_expiry_days": None,
        "email": f"{user.name}@example.com",
    }
    assert wallet["marketing"] == {"email": False}
    expect(threshold).to_have_value("50.00")
    look(page, "customer-settings")

    # the balance (¥30) is now below the threshold (¥50): the wallet says so
    assert wallet["low_balance"] is True
    page.get_by_role("navigation").get_by_role("link", name="钱包", exact=True).click()
    banner = page.locator("#low-balance")
    expect(banner).to_contain_text("¥30.00")
    expect(banner).to_contain_text("¥50.00")
    expect(page.locator("#balance-total .money")).to_have_attribute("data-fen", "3000")
    look(page, "customer-wallet-low-balance")
    assert page_errors(page) == []


def test_a_customer_answers_a_survey_in_the_inbox_once(page, web):
    from tests.e2e.test_campaigns import seed_segment

    api, admin = web.api, web.api.admin()
    user = sign_in(page, web, someone("cu-svy"))
    api.make_known(user)
    seed_segment(web.info, "dormant_balance", [user.user_id])
    question = f"How do you like paying by balance? ({uuid.uuid4().hex[:6]})"
    body = {
        "name": "web survey",
        "segment": "dormant_balance",
        "action": {"kind": "survey", "question": question, "choices": ["很好", "一般", "不好"], "allow_comment": True},
        "holdout_percent": 0,
    }
    made = ok(api.post("/v1/admin/campaigns", admin, body, key=str(uuid.uuid4())), 201)
    survey_id = made["campaign_id"]
    wait_for(
        lambda: ok(api.get("/v1/notifications", user))["items"],
        lambda items: any(i["type"] == "survey" and i["data"].get("survey_id") == survey_id for i in items),
        timeout=120,
    )

    page.goto(web.app("/app/inbox"))
    form = page.locator(f"form[data-survey='{survey_id}']")
    expect(form).to_be_visible()
    expect(page.locator("li[data-type=survey]").first).to_contain_text(question)
    form.get_by_role("button").click()  # no answer chosen: said so, nothing sent
    expect(form.locator(".field-error")).to_be_visible()
    form.get_by_label("一般").check()
    form.get_by_label("补充说明（选填）").fill("希望多些活动")
    look(page, "customer-inbox-survey")
    form.get_by_role("button").click()
    expect(page.locator(".cu-survey-done")).to_contain_text("一般")
    campaign = wait_for(
        lambda: ok(api.get(f"/v1/admin/campaigns/{survey_id}", admin)),
        lambda c: c["status"] == "completed",
        timeout=120,
    )
    answers = campaign["survey"]
    assert answers["answered"] == 1 and answers["choices"]["一般"] == 1 and answers["comments"] == 1

    # answering again (the page read anew) is refused by the API and shown as the answer given
    page.reload()
    again = page.locator(f"form[data-survey='{survey_id}']")
    again.get_by_label("很好").check()
    again.get_by_role("button").click()
    done = page.locator(".cu-survey-done")
    expect(done).to_contain_text("已回答过")
    expect(done).to_contain_text("一般")
    assert ok(api.get(f"/v1/admin/campaigns/{survey_id}", admin))["survey"]["choices"] == {
        "很好": 0,
        "一般": 1,
        "不好": 0,
    }
    assert page_errors(page) == []
