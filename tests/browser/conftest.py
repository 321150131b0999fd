"""The browser tests' harness: the web app on the real local stack, driven by Playwright in Debian's Chromium.

- ``web`` (session): the session's local stack (tests/conftest.py ``local_stack``) with the local web server in
  front of it (dev/web_server.py, on a free port): ``.url`` (``http://127.0.0.1:PORT``, the app under
  ``/app/``, the API on the same origin under ``/v1/``), ``.info`` (the StackInfo), ``.api`` (tests/e2e's Api
  client, to set up and check what the page shows).
- ``browser`` (session): Chromium at ``/usr/bin/chromium`` (``CHROMIUM`` for another), headless; Playwright's
  own browser download cannot reach its host here, so the system binary it is (``make browser-deps``).
- ``page``: a new context and page per test, desktop (1280 x 900) unless parametrised indirectly with
  ``"phone"`` (375 x 812, touch): ``@pytest.mark.parametrize("page", ["phone"], indirect=True)``. zh-CN,
  Asia/Shanghai. Uncaught page errors are kept: ``page_errors(page)``.
- ``sign_in(page, web, username, groups=(), next=None)``: the user made in the local pool with exactly these
  groups (dev/stack.py ``issue_token``, the demo password), then signed in through the real sign-in page; returns
  the tests/e2e ``User`` (token, user id). The ``signed_in`` fixture is the same bound to ``web``.
- ``check_a11y(page)``: axe-core (web/node_modules, from ``make web``) on the page as it is; fails listing every
  serious or critical violation.
- ``shoot(page, name)``: ``web/screenshots/<name>-phone.png`` and ``-desktop.png`` (full page).
- ``page_weight(page, url)``: the bytes a cold load of ``url`` transferred (compressed, as on the wire, headers
  included: CDP ``Network.loadingFinished`` ``encodedDataLength``), after the network is idle;
  ``measure_load`` gives them per resource too (the benchmark's, bench/web.py).
- ``session_value`` and ``with_session(page, web.url, value)``: a page that opens already signed in (no sign-in
  page), as the benchmark's pages do.

The helpers are plain functions (``from tests.browser.conftest import check_a11y, shoot, sign_in, ...``) and
fixtures of the same names too. A browser test module marks itself ``pytestmark = pytest.mark.e2e``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest

from dev.stack import PASSWORD, StackInfo, issue_token

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# without the background-networking flags Chromium's own calls home are refused by the closed network, and it
# then stalls; QUIC off: plain TCP to the local server
LAUNCH_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PHONE: dict[str, Any] = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
FORM_FACTORS = {"phone": PHONE, "desktop": DESKTOP}
LOCALE, TIMEZONE = "zh-CN", "Asia/Shanghai"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
VENDOR = ROOT / "web" / "src" / "vendor"
SCREENSHOTS = ROOT / "web" / "screenshots"
SESSION_KEY = "sb.session"  # where web/src/lib/auth.js keeps the session
SERIOUS = ("serious", "critical")
TIMEOUT_MS = 15_000


def missing_prerequisites() -> list[str]:
    """What the browser tests need and this machine lacks, each with the command that provides it."""
    missing = []
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"{CHROMIUM} (Debian's chromium: make browser-deps)")
    if not (VENDOR / "preact-htm.js").is_file() or not AXE.is_file():
        missing.append("the web app's libraries and axe-core (make web)")
    return missing


# ---- the app on the local stack ----------------------------------------------------------------------------------


@dataclass
class Web:
    url: str  # http://127.0.0.1:PORT: the app at /app/, the API at /v1/
    info: StackInfo
    api: Any  # tests.e2e.conftest.Api
    server: Any = None  # dev.web_server.WebServer

    def app(self, path: str = "/app/") -> str:
        return self.url + path


WAIT = 120.0  # s: what a browser test waits at most for the stack (a consumer, the export, a job)


def ok(r, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def until(read, done, timeout: float = WAIT, every: float = 1.0):
    """``read()`` again until ``done`` holds for what it answered; the last answer (the caller asserts)."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(every)
        value = read()
    return value


# true when a chart's canvas was drawn by Chart.js and holds something (a blank canvas of its size differs)
DRAWN = """(canvas) => {
  const blank = document.createElement("canvas");
  blank.width = canvas.width;
  blank.height = canvas.height;
  return canvas.dataset.drawn === "true" && canvas.width > 0 && canvas.toDataURL() !== blank.toDataURL();
}"""


@pytest.fixture(scope="session")
def web(local_stack):
    from dev.web_server import WebServer
    from tests.e2e.conftest import make_api

    missing = missing_prerequisites()
    if missing:
        pytest.fail("the browser tests need " + "; ".join(missing))
    server = WebServer(local_stack, 0).start()
    try:
        yield Web(server.url, local_stack, make_api(local_stack), server)
    finally:
        server.stop()


# ---- the browser -------------------------------------------------------------------------------------------------


def launch(playwright: Any, **kw: Any) -> Any:
    """Chromium of the system, as every browser test and the benchmark start it."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(LAUNCH_ARGS), headless=True, **kw)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    missing = missing_prerequisites()
    if missing:
        pytest.fail("the browser tests need " + "; ".join(missing))
    with sync_playwright() as playwright:
        b = launch(playwright)
        try:
            yield b
        finally:
            b.close()


_ERRORS: dict[int, list[str]] = {}


def new_page(browser: Any, form_factor: str = "desktop", **context: Any) -> Any:
    """A page in a context of its own (cookies, storage and cache of its own)."""
    ctx = browser.new_context(**FORM_FACTORS[form_factor], locale=LOCALE, timezone_id=TIMEZONE, **context)
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _ERRORS[id(page)] = errors
    return page


def page_errors(page: Any) -> list[str]:
    """The uncaught exceptions the page's scripts threw so far."""
    return list(_ERRORS.get(id(page), []))


@pytest.fixture
def page(browser, request):
    form_factor = getattr(request, "param", "desktop")
    p = new_page(browser, form_factor)
    try:
        yield p
    finally:
        _ERRORS.pop(id(p), None)
        p.context.close()


# ---- signing in --------------------------------------------------------------------------------------------------


def sign_in(page: Any, web: Web, username: str, groups: Iterable[str] = (), next: str | None = None) -> Any:
    """Make ``username`` in the local pool with exactly ``groups`` and the demo password, sign in through the
    sign-in page as a person would, and wait until the shell shows the user; the tests/e2e ``User``."""
    from playwright.sync_api import expect

    user = web.api.user(username, *groups)  # issue_token: created (demo password) with exactly these groups
    target = web.app("/app/signin" + (f"?next={_quote(next)}" if next else ""))
    page.goto(target)
    page.locator("#signin-username").fill(username)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("#signin-submit").click()
    expect(page.locator("#signed-in-user")).to_have_text(username, timeout=TIMEOUT_MS)
    if next:
        page.wait_for_url(lambda url: _path_of(url) == next.split("#", 1)[0])
    return user


@pytest.fixture
def signed_in(web) -> Callable[..., Any]:
    """``signed_in(page, username, groups=(), next=None)``: sign_in bound to the session's ``web``."""
    return lambda page, username, groups=(), next=None: sign_in(page, web, username, groups, next)


def session_value(info: StackInfo, username: str, groups: Iterable[str] = ()) -> str:
    """What the app keeps in sessionStorage for a signed-in ``username`` (web/src/lib/auth.js): for the pages a
    test or the benchmark opens already signed in, without the sign-in page."""
    return json.dumps({"idToken": issue_token(info, username, list(groups)), "username": username})


def with_session(page: Any, web_url: str, value: str) -> None:
    """Every document of ``web_url``'s origin the page loads from now on starts with this session."""
    origin, key, stored = json.dumps(web_url), json.dumps(SESSION_KEY), json.dumps(value)
    page.add_init_script(f"if (location.origin === {origin}) sessionStorage.setItem({key}, {stored});")


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="")


def _path_of(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# ---- accessibility -----------------------------------------------------------------------------------------------


def axe_violations(page: Any, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (every impact), each with the nodes it found."""
    # evaluated through the DevTools protocol, which the page's CSP does not govern (a <script> would be refused)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    return page.evaluate(
        """async (options) => {
          const result = await window.axe.run(document, options);
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
          }));
        }""",
        {"resultTypes": ["violations"], **(options or {})},
    )


def check_a11y(page: Any, options: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Fail on any serious or critical axe violation, listing each with its nodes; the others are returned."""
    violations = axe_violations(page, options)
    serious = [v for v in violations if v["impact"] in SERIOUS]
    if serious:
        lines = [f"axe: {len(serious)} serious or critical violation(s) on {page.url}"]
        for v in serious:
            lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
            lines += [f"    {n['target']}: {(n['summary'] or '').splitlines()[-1:]}" for n in v["nodes"][:8]]
        pytest.fail("\n".join(lines))
    return violations


# ---- screenshots -------------------------------------------------------------------------------------------------


def shoot(page: Any, name: str, settle_ms: int = 300) -> list[Path]:
    """The page as it is, full length, at phone (375 x 812) and desktop (1280 x 900) width, into
    web/screenshots/<name>-phone.png and -desktop.png; the viewport is put back as it was."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    was = page.viewport_size
    paths = []
    try:
        for form_factor, options in FORM_FACTORS.items():
            page.set_viewport_size(options["viewport"])
            page.wait_for_timeout(settle_ms)  # media queries, and charts redrawn at the new width
            path = SCREENSHOTS / f"{name}-{form_factor}.png"
            page.screenshot(path=str(path), full_page=True)
            paths.append(path)
    finally:
        if was:
            page.set_viewport_size(was)
    return paths


# ---- page weight -------------------------------------------------------------------------------------------------


@dataclass
class Load:
    url: str
    total: int  # bytes on the wire, compressed, headers included
    resources: dict[str, int] = field(default_factory=dict)  # per URL (a URL loaded twice: summed)
    failed: list[str] = field(default_factory=list)


def measure_load(page: Any, url: str, settle_ms: int = 500) -> Load:
    """A cold load of ``url`` in ``page`` (the browser cache bypassed), until the network is idle: the bytes
    transferred, in all and per resource (what DevTools calls "transferred")."""
    cdp = page.context.new_cdp_session(page)
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    failed: list[str] = []

    def sent(event: dict[str, Any]) -> None:
        urls[event["requestId"]] = event["request"]["url"]

    def finished(event: dict[str, Any]) -> None:
        sizes[event["requestId"]] = sizes.get(event["requestId"], 0) + int(event["encodedDataLength"])

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.loadingFailed", lambda e: failed.append(urls.get(e["requestId"], e["requestId"])))
    try:
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        page.goto(url, wait_until="networkidle", timeout=60_000)  # a report's first answer on a busy stack
        page.wait_for_timeout(settle_ms)  # anything a late effect still fetches
    finally:
        cdp.detach()
    per_url: dict[str, int] = {}
    for request_id, size in sizes.items():
        key = urls.get(request_id, request_id)
        per_url[key] = per_url.get(key, 0) + size
    return Load(url, sum(per_url.values()), per_url, failed)


def page_weight(page: Any, url: str) -> int:
    """The bytes a cold load of ``url`` transferred (measure_load)."""
    return measure_load(page, url).total


# ---- the helpers as fixtures too (a test may take them as arguments or import them) ---------------------------


@pytest.fixture(name="sign_in")
def _sign_in() -> Callable[..., Any]:
    return sign_in


@pytest.fixture(name="check_a11y")
def _check_a11y() -> Callable[..., Any]:
    return check_a11y


@pytest.fixture(name="shoot")
def _shoot() -> Callable[..., Any]:
    return shoot


@pytest.fixture(name="page_weight")
def _page_weight() -> Callable[..., Any]:
    return page_weight


def chromium_version() -> str:
    import subprocess

    exe = shutil.which(CHROMIUM) or CHROMIUM
    try:
        return subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"
