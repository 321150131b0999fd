"""Benchmark 14: the web app's weight and speed, on the local stack behind the local web server.

- **Page weight**: every page of the app's route lists (web/src/pages/*/routes.js, and the sign-in page), loaded
  cold (the browser cache bypassed) in Chromium at phone size as a signed-in user of the page's role (a customer,
  the merchant's staff, an operator), until the network is idle: the bytes transferred, compressed as on the wire,
  headers included (tests/browser/conftest.py ``measure_load``). Budget: a customer page at most 150 KB.
- **Lighthouse 12.2.3** (mobile form factor, the default: simulated slow 4G and a 4x slower CPU) performance and
  accessibility of the wallet and the hosted checkout, the median of ``BENCH_LIGHTHOUSE_RUNS`` runs (3). Goals:
  both at least 95. Run by bench/lighthouse.mjs through Lighthouse's Node API on a puppeteer-core page whose
  sessionStorage holds the session before the app's scripts run, so the navigation measured is the page itself
  (the local server's /local/session redirect would make it two).

``python -m bench.web`` runs it alone on a stack of its own: the table on stdout, bench/results/web.json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .common import RESULTS_DIR, ROOT, Api, Row, render_rows

PAGES_DIR = ROOT / "web" / "src" / "pages"
AREAS = ("customer", "merchant", "operator")
CUSTOMER_BUDGET = 150 * 1024
LIGHTHOUSE_VERSION = "12.2.3"
PUPPETEER_VERSION = "23.11.1"  # within lighthouse 12.2.3's range (^23.8.0)
LIGHTHOUSE_DIR = ROOT / ".local" / "lighthouse"
LIGHTHOUSE_SCRIPT = ROOT / "bench" / "lighthouse.mjs"
LIGHTHOUSE_GOAL = 0.95
LIGHTHOUSE_RUNS = int(os.environ.get("BENCH_LIGHTHOUSE_RUNS", "3"))
MERCHANT = "m-bench-web"
USERS = {  # role -> (user name, groups)
    "public": ("bench-web-customer", ()),
    "customer": ("bench-web-customer", ()),
    "merchant": ("bench-web-staff", (f"merchant:{MERCHANT}",)),
    "admin": ("bench-web-operator", ("admin",)),
}
_ROUTE = re.compile(r"""\{\s*path:\s*["'](/app/[^"']*)["']""")
_ROLE = re.compile(r"""role:\s*["'](\w+)["']""")


@dataclass(frozen=True)
class PageSpec:
    path: str  # as the route list has it, /app/pay/:checkout_id
    role: str  # public | customer | merchant | admin
    area: str


def discover_pages(pages_dir: Path = PAGES_DIR) -> list[PageSpec]:
    """The sign-in page, then every route of the three areas' route lists, in their order."""
    found = [PageSpec("/app/signin", "public", "shell")]
    for area in AREAS:
        source = pages_dir / area / "routes.js"
        if not source.is_file():
            continue
        text = source.read_text()
        starts = [m for m in _ROUTE.finditer(text)]
        for i, m in enumerate(starts):
            chunk = text[m.end() : starts[i + 1].start() if i + 1 < len(starts) else len(text)]
            role = _ROLE.search(chunk)
            found.append(PageSpec(m.group(1), role.group(1) if role else "customer", area))
    return found


# ---- the set-up: users, the merchant, a checkout ------------------------------------------------------------


@dataclass
class World:
    web_url: str
    customer_id: str
    entry_id: str  # the customer's top-up entry
    checkout_id: str
    return_url: str
    sessions: dict[str, str]  # role -> the sessionStorage value

    def concrete(self, path: str) -> str | None:
        """The page's URL with its parameters filled in; None when a parameter is not one this world has."""
        values = {
            "checkout_id": self.checkout_id,
            "merchant_id": MERCHANT,
            "user_id": self.customer_id,
            "entry_id": self.entry_id,
        }
        missing = [name for name in re.findall(r":(\w+)", path) if name not in values]
        if missing:
            return None
        url = re.sub(r":(\w+)", lambda m: values[m.group(1)], path)
        if ":checkout_id" in path:  # the hosted checkout, as a shop links to it
            from urllib.parse import quote

            url += "?return_url=" + quote(self.return_url, safe="")
        return url


def make_world(info: Any, web_url: str) -> World:
    from tests.browser.conftest import session_value

    api = Api(info)
    admin = api.admin()
    r = api.http.put(
        f"{api.url}/v1/admin/merchants/{MERCHANT}",
        headers=admin.headers(),
        data=json.dumps({"name": "Bench Web Shop", "return_origins": [web_url]}),
        timeout=30,
    )
    if r.status_code != 200:
        raise RuntimeError(f"merchant {MERCHANT}: {r.status_code} {r.text[:300]}")
    name, _ = USERS["customer"]
    customer = api.user(name)
    api.fund(customer, 20000)
    entries = api.http.get(f"{api.url}/v1/wallet/entries", headers=customer.headers(), timeout=30)
    entries.raise_for_status()
    entry_id = entries.json()["entries"][0]["id"]
    checkout_id = api.open_checkout(customer, 3000, merchant_id=MERCHANT)
    sessions = {role: session_value(info, user, groups) for role, (user, groups) in USERS.items()}
    return World(web_url, customer.user_id, entry_id, checkout_id, f"{web_url}/local/shop/return?order=bench", sessions)


# ---- page weight -----------------------------------------------------------------------------------------------


def page_weights(world: World, pages: list[PageSpec]) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import launch, measure_load, new_page, page_errors, with_session

    out: list[dict[str, Any]] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            for spec in pages:
                url = world.concrete(spec.path)
                row: dict[str, Any] = {**asdict(spec), "url": url}
                if url is None:
                    out.append({**row, "error": "a path parameter the benchmark has no value for"})
                    continue
                page = new_page(browser, "phone")
                try:
                    if spec.role != "public":
                        with_session(page, world.web_url, world.sessions[spec.role])
                    load = measure_load(page, world.web_url + url)
                    shown = page.evaluate(
                        """() => ({
                          path: location.pathname,
                          view: document.querySelector("[data-view]")?.dataset.view ?? null,
                          error: document.querySelector("#main [role=alert]")?.textContent ?? null,
                        })"""
                    )
                    largest = sorted(load.resources.items(), key=lambda kv: -kv[1])[:5]
                    out.append(
                        {
                            **row,
                            "bytes": load.total,
                            "requests": len(load.resources),
                            "largest": [{"url": u.removeprefix(world.web_url), "bytes": b} for u, b in largest],
                            "landed_on": shown["path"],
                            "view": shown["view"],
                            "page_error": shown["error"],
                            "script_errors": page_errors(page),
                            "failed": load.failed,
                        }
                    )
                finally:
                    page.context.close()
        finally:
            browser.close()
    return out


# ---- Lighthouse ------------------------------------------------------------------------------------------------


def _installed(package: str) -> str | None:
    manifest = LIGHTHOUSE_DIR / "node_modules" / package / "package.json"
    try:
        return json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def ensure_lighthouse() -> Path:
    """lighthouse and puppeteer-core, pinned, in a folder of the benchmark's own (npm; once)."""
    if _installed("lighthouse") != LIGHTHOUSE_VERSION or _installed("puppeteer-core") != PUPPETEER_VERSION:
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is not installed: Lighthouse runs on Node (20 here)")
        LIGHTHOUSE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(LIGHTHOUSE_DIR),
                "--save-exact",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                f"lighthouse@{LIGHTHOUSE_VERSION}",
                f"puppeteer-core@{PUPPETEER_VERSION}",
            ],
            check=True,
            timeout=600,
        )
    return LIGHTHOUSE_DIR / "node_modules"


def lighthouse_once(world: World, url: str, role: str, out: Path) -> dict[str, Any]:
    from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS, SESSION_KEY

    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed")
    request = {
        "modules": str(ensure_lighthouse()),
        "chrome": CHROMIUM,
        "args": [a for a in LAUNCH_ARGS if a != "--headless"],  # puppeteer starts it headless itself
        "url": world.web_url + url,
        "origin": world.web_url,
        "sessionKey": SESSION_KEY,
        "session": world.sessions[role],
        "categories": ["performance", "accessibility"],
        "out": str(out),
    }
    p = subprocess.run(
        [node, str(LIGHTHOUSE_SCRIPT)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
    )
    if p.returncode != 0:
        raise RuntimeError(f"lighthouse.mjs exited {p.returncode}: {(p.stderr or p.stdout)[-1500:]}")
    result = json.loads(p.stdout.strip().splitlines()[-1])
    if result.get("runtimeError"):
        raise RuntimeError(f"lighthouse: {result['runtimeError']}")
    return result


def lighthouse(world: World, pages: list[PageSpec], work: Path, runs: int = LIGHTHOUSE_RUNS) -> dict[str, Any]:
    """The wallet's and the hosted checkout's scores: each the run of median performance among ``runs``."""
    wanted = {"wallet": "/app/wallet", "checkout": "/app/pay/:checkout_id"}
    known = {p.path: p for p in pages}
    out: dict[str, Any] = {}
    for name, path in wanted.items():
        spec = known.get(path)
        url = world.concrete(path)
        if spec is None or url is None:
            out[name] = {"error": f"no route {path} in the app's route lists yet"}
            continue
        results = [lighthouse_once(world, url, spec.role, work / f"lighthouse-{name}-{i}.json") for i in range(runs)]
        ranked = sorted(results, key=lambda r: r["scores"].get("performance") or 0)
        median = ranked[len(ranked) // 2]
        out[name] = {
            **median,
            "path": path,
            "runs": [r["scores"] for r in results],
            "performance_spread": [ranked[0]["scores"].get("performance"), ranked[-1]["scores"].get("performance")],
        }
    return out


# ---- the benchmark ---------------------------------------------------------------------------------------------


def run(info: Any, work: Path) -> dict[str, Any]:
    from dev.web_server import WebServer
    from tests.browser.conftest import chromium_version, missing_prerequisites

    missing = missing_prerequisites()
    if missing:
        raise RuntimeError("needs " + "; ".join(missing))
    work.mkdir(parents=True, exist_ok=True)
    server = WebServer(info, 0).start()
    try:
        world = make_world(info, server.url)
        pages = discover_pages()
        weights = page_weights(world, pages)
        scores = lighthouse(world, pages, work)
    finally:
        server.stop()
    return {
        "chromium": chromium_version(),
        "lighthouse": LIGHTHOUSE_VERSION,
        "lighthouse_way": "Node API on a puppeteer-core page with the session in sessionStorage (bench/lighthouse.mjs)",
        "customer_budget_bytes": CUSTOMER_BUDGET,
        "pages": weights,
        "lighthouse_scores": scores,
    }


def _kb(n: int) -> str:
    return f"{n / 1024:.1f} KB"


def rows(res: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    for p in res["pages"]:
        name = f"page weight {p['path']} ({p['role']})"
        if "bytes" not in p:
            out.append(Row(name, f"not measured: {p.get('error')}", "-", None))
            continue
        value = f"{_kb(p['bytes'])} in {p['requests']} requests"
        trouble = p.get("page_error") or (p.get("view") if p.get("view") in ("not-found", "forbidden") else None)
        if trouble or p.get("script_errors"):
            value += f"  (the page showed: {str(trouble or p['script_errors'][0])[:60]})"
        if p["role"] in ("customer", "public"):
            out.append(Row(name, value, f"<= {_kb(res['customer_budget_bytes'])}", p["bytes"] <= CUSTOMER_BUDGET))
        else:
            out.append(Row(name, value))
    for name, s in res["lighthouse_scores"].items():
        if "error" in s:
            out.append(Row(f"Lighthouse {name}", f"not measured: {s['error']}", ">= 95", None))
            continue
        for category in ("performance", "accessibility"):
            score = s["scores"].get(category)
            value = "-" if score is None else f"{round(score * 100)}"
            if category == "performance":
                lo, hi = s["performance_spread"]
                m = s["metrics"]
                value += (
                    f" (runs {round((lo or 0) * 100)}-{round((hi or 0) * 100)}; "
                    f"LCP {m['largest_contentful_paint_ms'] or 0:.0f} ms, "
                    f"TBT {m['total_blocking_time_ms'] or 0:.0f} ms, "
                    f"CLS {m['cumulative_layout_shift'] or 0:.3f})"
                )
            elif s.get("failedAccessibility"):
                value += f" (failing: {', '.join(s['failedAccessibility'][:4])})"
            out.append(
                Row(
                    f"Lighthouse {name} {category} ({s['path']}, mobile, median of {len(s['runs'])})",
                    value,
                    ">= 95",
                    score is not None and score >= LIGHTHOUSE_GOAL,
                )
            )
    return out


TITLE = "14. Web app: page weight (cold, compressed) and Lighthouse 12.2.3 (mobile) on the local stack"
NOTE = (
    "page weight: a cold load at phone size, signed in as the page's role, until the network is idle; Lighthouse: "
    "its Node API on a page that has the session in sessionStorage before the app's scripts run, so the page "
    "measured is the one named (no sign-in redirect)"
)


def main() -> int:
    from dev.stack import LocalStack

    work = RESULTS_DIR / "work-web"
    shutil.rmtree(work, ignore_errors=True)
    stack = LocalStack(log_dir=work / "logs", app_env={"POINTS_RETURN_WINDOW_DAYS": "0"}, lifecycle=False)
    try:
        info = stack.start()
        res = run(info, work)
    finally:
        stack.stop()
    print(render_rows(TITLE, rows(res)))
    print(NOTE)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "web.json").write_text(json.dumps(res, indent=2))
    print(f"JSON written to {RESULTS_DIR / 'web.json'}")
    return 0 if all(r.met is not False for r in rows(res)) else 1


if __name__ == "__main__":
    sys.exit(main())
