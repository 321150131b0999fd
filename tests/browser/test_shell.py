"""The app's shell in a real browser: signing in and out through the sign-in page (the session in sessionStorage
only), the Content-Security-Policy in force, the not-found view, the language switch, and axe on the sign-in
page."""

from __future__ import annotations

import json
import uuid

import pytest
from playwright.sync_api import expect

from dev.stack import PASSWORD
from tests.browser.conftest import ROOT, TIMEOUT_MS, check_a11y, measure_load, page_errors, page_weight, shoot, sign_in

pytestmark = pytest.mark.e2e

CUSTOMER_BUDGET = 150 * 1024  # a customer page's bytes on the wire, at most (the sign-in page is one's way in)

INLINE_PROBE = """() => {
  window.__inline_ran = false;
  const s = document.createElement("script");
  s.textContent = "window.__inline_ran = true";
  document.head.appendChild(s);
  return window.__inline_ran;
}"""
HANDLER_PROBE = """() => new Promise((done) => {
  window.__handler_ran = false;
  const img = document.createElement("img");
  img.setAttribute("onerror", "window.__handler_ran = true");
  img.alt = "";
  img.src = "data:image/png;base64,broken";
  document.body.appendChild(img);
  setTimeout(() => { img.remove(); done(window.__handler_ran); }, 300);
})"""
# run from a timer, in a task of the page's own (code evaluated by the DevTools protocol itself is exempt)
EVAL_PROBE = """() => new Promise((done) => setTimeout(() => {
  try { done(String(eval("6 * 7"))); } catch (e) { done(e.name); }
}, 0))"""


def someone(prefix: str = "shell") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def stored(page) -> dict:
    return page.evaluate(
        """() => ({
          cookie: document.cookie,
          session: sessionStorage.getItem("sb.session"),
          sessionKeys: Object.keys(sessionStorage),
          localKeys: Object.keys(localStorage),
        })"""
    )


def test_a_user_signs_in_and_out_through_the_sign_in_page_with_the_session_in_session_storage_only(page, web):
    username = someone()
    user = sign_in(page, web, username)

    # the shell shows who is signed in; the token is the pool's, for this user, in sessionStorage only
    expect(page.locator("#signed-in-user")).to_have_text(username)
    kept = stored(page)
    assert kept["cookie"] == "" and page.context.cookies() == []
    session = json.loads(kept["session"])
    assert session["username"] == username and session["idToken"].count(".") == 2
    everything_local = page.evaluate("() => JSON.stringify(localStorage)")
    assert session["idToken"] not in everything_local and "idToken" not in everything_local
    # the API on the same origin answers the page's token as this user's
    wallet = page.evaluate(
        """async (token) => (await fetch("/v1/wallet", {headers: {Authorization: `Bearer ${token}`}})).json()""",
        session["idToken"],
    )
    assert wallet["user_id"] == user.user_id

    page.locator("#sign-out").click()
    page.wait_for_url(f"{web.url}/app/signin**")
    expect(page.locator("#signin-username")).to_be_visible()
    expect(page.locator("#signed-in-user")).to_have_count(0)
    after = stored(page)
    assert after["session"] is None and after["cookie"] == "" and page.context.cookies() == []
    assert not [k for k in after["sessionKeys"] if k.startswith("sb.")]

    # signed out, a customer page asks to sign in again, and signing in lands on it
    page.goto(web.app("/app/wallet"))
    page.wait_for_url(f"{web.url}/app/signin?next=%2Fapp%2Fwallet")
    page.locator("#signin-username").fill(username)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("#signin-submit").click()
    page.wait_for_url(web.app("/app/wallet"))
    expect(page.locator("#signed-in-user")).to_have_text(username)
    assert page_errors(page) == []


def test_a_wrong_password_is_refused_and_keeps_no_session(page, web):
    username = someone()
    web.api.user(username)  # exists, with the demo password
    page.goto(web.app("/app/signin"))
    page.locator("#signin-username").fill(username)
    page.locator("#signin-password").fill(PASSWORD + "-not")
    page.locator("#signin-submit").click()
    expect(page.locator("#signin-error")).to_be_visible(timeout=TIMEOUT_MS)
    assert page.get_by_role("alert").count() == 1
    expect(page.locator("#signed-in-user")).to_have_count(0)
    assert stored(page)["session"] is None


def test_the_app_is_served_with_a_strict_csp_that_blocks_inline_script_handlers_and_eval(page, web):
    answer = page.goto(web.app("/app/"))
    assert answer is not None and answer.status == 200
    csp = answer.headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d}
    assert directives["script-src"] == ["'self'"], csp
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "max-age=" in answer.headers.get("strict-transport-security", "")
    assert answer.headers.get("x-content-type-options") == "nosniff"
    expect(page.locator("#signin-username")).to_be_visible()  # the app's own (external) scripts do run

    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    assert page.evaluate(INLINE_PROBE) is False
    assert page.evaluate(HANDLER_PROBE) is False
    assert page.evaluate(EVAL_PROBE) == "EvalError"
    assert len(violations) >= 2, violations  # the browser says why: the inline script and the handler refused


def test_the_probes_do_run_where_no_csp_forbids_them(page):
    # the same probes on a page without a policy: what the test above sees is the policy's doing
    page.set_content("<!doctype html><html><head></head><body></body></html>")
    assert page.evaluate(INLINE_PROBE) is True
    assert page.evaluate(HANDLER_PROBE) is True
    assert page.evaluate(EVAL_PROBE) == "42"


def test_an_unknown_route_shows_the_not_found_view(page, web):
    page.goto(web.app("/app/no-such-page/at-all"))
    view = page.locator("[data-view=not-found]")
    expect(view).to_be_visible()
    expect(view.get_by_role("heading", level=1)).to_have_text("页面不存在")
    expect(view.get_by_role("link")).to_have_attribute("href", "/app/")
    expect(page).to_have_title("页面不存在 · 余额")
    check_a11y(page)
    shoot(page, "not-found")


def test_the_language_switch_turns_the_shell_from_chinese_to_english_and_back(page, web):
    username = someone()
    sign_in(page, web, username)
    switch = page.locator("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#sign-out")).to_have_text("退出")
    expect(page.locator("header .brand")).to_have_text("余额")

    switch.select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#sign-out")).to_have_text("Sign out")
    expect(page.locator("header .brand")).to_have_text("Store balance")
    expect(page.get_by_role("navigation")).to_contain_text("Wallet")

    page.reload()  # the choice is kept
    expect(page.locator("#sign-out")).to_have_text("Sign out")
    expect(page.locator("#signed-in-user")).to_have_text(username)

    page.locator("#lang-switch").select_option("zh-CN")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#sign-out")).to_have_text("退出")
    expect(page.get_by_role("navigation")).to_contain_text("钱包")


@pytest.mark.parametrize("page", ["phone", "desktop"], indirect=True)
def test_the_sign_in_page_has_no_serious_accessibility_violation(page, web):
    page.goto(web.app("/app/signin"))
    expect(page.locator("#signin-submit")).to_be_visible()
    # every input is labelled: found by its label's text
    expect(page.get_by_label("用户名")).to_have_attribute("id", "signin-username")
    expect(page.get_by_label("密码")).to_have_attribute("id", "signin-password")
    check_a11y(page)
    page.locator("#lang-switch").select_option("en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    check_a11y(page)
    page.locator("#lang-switch").select_option("zh-CN")
    if page.viewport_size and page.viewport_size["width"] > 400:
        shoot(page, "signin")
    assert page_errors(page) == []


def test_axe_fails_a_page_with_a_serious_violation(page):
    # the harness's own check: an unlabelled input and an image without text are serious or critical for axe
    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>t</h1>'
        '<input type="text"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>'
    )
    with pytest.raises(pytest.fail.Exception, match="label"):
        check_a11y(page)


def test_the_sign_in_page_loads_compressed_and_within_the_customer_budget(page, web):
    load = measure_load(page, web.app("/app/signin"))
    expect(page.locator("#signin-submit")).to_be_visible()
    scripts = {u.rsplit("/", 1)[-1] for u in load.resources if u.endswith(".js")}
    assert {"main.js", "preact-htm.js", "auth.js", "signin.js"} <= scripts, sorted(load.resources)
    raw = sum(
        (ROOT / "web" / "src" / u.split("/app/", 1)[1]).stat().st_size
        for u in load.resources
        if "/app/" in u and u.split("/app/", 1)[1].endswith((".js", ".css"))
    )
    assert 0 < load.total < raw  # gzip on the wire: fewer bytes than the files
    assert load.total <= CUSTOMER_BUDGET and load.failed == []
    assert page_weight(page, web.app("/app/signin")) > 0
