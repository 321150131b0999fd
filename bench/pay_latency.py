"""Benchmark 2: a payment over HTTP (chalice local) versus the raw storage calls one payment makes.

The raw side replays, with boto3 against the same moto server, exactly the
TransactGetItems + TransactWriteItems the app sent for one real payment
(captured in benchmark 1), with fresh ids each time. Its wallet condition
(``version = N``) is met by pre-creating one copy of the pre-payment wallet
item per run, untimed. The two sides alternate (and swap order every
iteration) so drift of the server (table growth, GC, CPU frequency) hits both.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from typing import Any

import boto3
import requests
from botocore.config import Config

from .common import PAY_AMOUNT, Api, Deadline, Row, fmt_ms, pay_body, summary_ms

TARGET_RATIO = 1.3
DIAG_RUNS = 40


def _same_shape(old: str) -> str:
    """A new id of the same prefix and length (so payload sizes match the template's)."""
    if "_" in old:
        prefix, rest = old.split("_", 1)
        return f"{prefix}_{secrets.token_hex(len(rest))[: len(rest)]}"
    if len(old) == 36 and old.count("-") == 4:
        return str(uuid.uuid4())
    return (old[: max(0, len(old) - 16)] + secrets.token_hex(8))[: len(old)]


class RawPayment:
    """Builds and sends the app's storage calls for one payment, with boto3, on a wallet of its own."""

    def __init__(self, info: Any, template: dict[str, Any]) -> None:
        self.info = info
        self.ids = template["ids"]
        self.text = json.dumps({"get": template["get"], "write": template["write"]})
        self.wallet_text = json.dumps(template["wallet_item"])
        # the other items the payment conditions on (its open checkout, its coupon): a fresh copy per run
        self.extra_texts = [json.dumps(i) for i in template.get("extra_items", [])]
        # the client PynamoDB would build: no parameter validation, standard retries, same timeouts
        self.ddb = boto3.client(
            "dynamodb",
            endpoint_url=info.aws_endpoint,
            region_name=info.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(
                parameter_validation=False,
                connect_timeout=2,
                read_timeout=5,
                retries={"total_max_attempts": 4, "mode": "standard"},
            ),
        )
        self.ready: list[dict[str, Any]] = []

    def prepare(self, n: int) -> None:
        """n raw payments, each on a fresh copy of the pre-payment wallet (written now, untimed)."""
        puts = []
        for _ in range(n):
            user = str(uuid.uuid4())
            subs = {self.ids["user_id"]: user}
            for name, old in self.ids.items():
                if name != "user_id":
                    subs[old] = _same_shape(old)
            text = self.text
            for old, new in subs.items():
                text = text.replace(old, new)
            self.ready.append(json.loads(text))
            puts.append({"PutRequest": {"Item": json.loads(self.wallet_text.replace(self.ids["user_id"], user))}})
            for extra in self.extra_texts:
                for old, new in subs.items():
                    extra = extra.replace(old, new)
                puts.append({"PutRequest": {"Item": json.loads(extra)}})
        for i in range(0, len(puts), 25):
            pending = {self.info.table: puts[i : i + 25]}
            while pending:
                pending = self.ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None

    def run_one(self) -> tuple[float, float]:
        """Send the next prepared payment; return (seconds in TransactGetItems, in TransactWriteItems)."""
        calls = self.ready.pop()
        t0 = time.perf_counter()
        got = self.ddb.transact_get_items(**calls["get"])
        t1 = time.perf_counter()
        self.ddb.transact_write_items(**calls["write"])
        t2 = time.perf_counter()
        if "Item" not in got["Responses"][0]:
            raise RuntimeError("raw payment: the prepared wallet was not found")
        return t1 - t0, t2 - t1


def run(
    api: Api, template: dict[str, Any], runs: int = 250, warmup: int = 20, budget_seconds: float = 120.0
) -> dict[str, Any]:
    payer = api.user(f"bench-latency-{uuid.uuid4().hex[:8]}")
    api.fund(payer, PAY_AMOUNT * (runs + warmup + 4 * DIAG_RUNS + 100))
    raw = RawPayment(api.info, template)
    raw.prepare(runs + warmup)

    http_s: list[float] = []
    raw_s: list[float] = []
    raw_get: list[float] = []
    raw_write: list[float] = []
    statuses: dict[int, int] = {}
    deadline = Deadline(budget_seconds)
    url = f"{api.url}/v1/payments"
    session = api.http

    ready = api.open_checkouts(payer, runs + warmup, merchant_id=template["merchant_id"])

    def http_pay() -> float:
        body = pay_body(ready.pop())
        headers = payer.headers(str(uuid.uuid4()))
        t0 = time.perf_counter()
        r = session.post(url, data=body, headers=headers, timeout=30)
        _ = r.content
        dt = time.perf_counter() - t0
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        if r.status_code != 201:
            raise RuntimeError(f"HTTP payment: {r.status_code} {r.text[:300]}")
        return dt

    done = 0
    for i in range(runs + warmup):
        if deadline.passed:
            break
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for side in order:
            if side == 0:
                dt = http_pay()
                if i >= warmup:
                    http_s.append(dt)
            else:
                g, w = raw.run_one()
                if i >= warmup:
                    raw_s.append(g + w)
                    raw_get.append(g)
                    raw_write.append(w)
        done = i + 1

    try:
        diagnostics = transport_diagnostics(api, payer, template["merchant_id"], deadline)
    except Exception as exc:
        diagnostics = {"error": f"{type(exc).__name__}: {exc}"}
    http_sum, raw_sum = summary_ms(http_s), summary_ms(raw_s)
    ratio = http_sum["p50"] / raw_sum["p50"] if http_s and raw_s else float("nan")
    return {
        "runs_each": len(http_s),
        "warmup_each": warmup,
        "iterations": done,
        "alternated": True,
        "http_pay": http_sum,
        "raw_storage_pay": raw_sum,
        "raw_transact_get": summary_ms(raw_get),
        "raw_transact_write": summary_ms(raw_write),
        "ratio_http_over_raw_p50": round(ratio, 3),
        "target_ratio": TARGET_RATIO,
        "met": bool(ratio <= TARGET_RATIO),
        "http_statuses": statuses,
        "raw_operations": template.get("operations"),
        "diagnostics": diagnostics,
    }


def transport_diagnostics(
    api: Api, payer: Any, merchant_id: str, deadline: Deadline, n: int = DIAG_RUNS
) -> dict[str, Any]:
    """Where the HTTP side's extra time comes from: the same requests on a kept-alive connection
    (the main measurement's session) versus a new connection each, and a route with no storage
    and no token check at all (the cached OpenAPI document)."""
    url = api.url

    def timed(fresh: bool, fn: Any) -> dict[str, Any]:
        session = requests.Session()
        times = []
        try:
            for i in range(n + 5):
                if deadline.left() < -60:  # the main loop already overran its budget a lot: stop
                    break
                if fresh:
                    session.close()
                    session = requests.Session()
                t0 = time.perf_counter()
                r = fn(session)
                _ = r.content
                dt = time.perf_counter() - t0
                if r.status_code >= 400:
                    raise RuntimeError(f"diagnostic request: {r.status_code} {r.text[:200]}")
                if i >= 5:
                    times.append(dt)
        finally:
            session.close()
        return summary_ms(times)

    ready = api.open_checkouts(payer, 2 * (n + 5), merchant_id=merchant_id)

    def pay(session: requests.Session) -> requests.Response:
        return session.post(
            f"{url}/v1/payments", data=pay_body(ready.pop()), headers=payer.headers(str(uuid.uuid4())), timeout=30
        )

    def doc(session: requests.Session) -> requests.Response:
        return session.get(f"{url}/v1/openapi.json", timeout=30)

    return {
        "openapi_keepalive": timed(False, doc),
        "openapi_new_connection_each": timed(True, doc),
        "pay_keepalive": timed(False, pay),
        "pay_new_connection_each": timed(True, pay),
    }


def rows(res: dict[str, Any], inprocess: dict[str, Any] | None) -> list[Row]:
    h, r = res["http_pay"], res["raw_storage_pay"]
    out = [
        Row(
            "runs (each side, alternated)",
            f"{res['runs_each']} (+{res['warmup_each']} warm-up)",
            ">= 200",
            res["runs_each"] >= 200,
        ),
        Row("HTTP pay p50 / p90 / p99", f"{fmt_ms(h['p50'])} / {fmt_ms(h['p90'])} / {fmt_ms(h['p99'])}"),
        Row("raw storage pay p50 / p90 / p99", f"{fmt_ms(r['p50'])} / {fmt_ms(r['p90'])} / {fmt_ms(r['p99'])}"),
        Row("  raw TransactGetItems p50", fmt_ms(res["raw_transact_get"]["p50"])),
        Row("  raw TransactWriteItems p50", fmt_ms(res["raw_transact_write"]["p50"])),
        Row("ratio HTTP / raw (p50)", f"{res['ratio_http_over_raw_p50']:.2f}", f"<= {TARGET_RATIO}", res["met"]),
    ]
    d = res.get("diagnostics") or {}
    if "error" in d:
        out.append(Row("diagnostics", f"failed: {d['error'][:150]}"))
    elif d:
        out += [
            Row(
                "diag: GET /v1/openapi.json (no storage, no auth) keep-alive / new conn.",
                f"{fmt_ms(d['openapi_keepalive'].get('p50'))} / {fmt_ms(d['openapi_new_connection_each'].get('p50'))}",
            ),
            Row(
                f"diag: HTTP pay keep-alive / new connection each (p50, n={DIAG_RUNS})",
                f"{fmt_ms(d['pay_keepalive'].get('p50'))} / {fmt_ms(d['pay_new_connection_each'].get('p50'))}",
            ),
        ]
    if inprocess:
        t, s, o = inprocess["total"], inprocess["storage"], inprocess["app_overhead"]
        out += [
            Row("in-process pay p50 (test client, no HTTP)", fmt_ms(t["p50"])),
            Row("  of which storage calls p50", fmt_ms(s["p50"])),
            Row("  of which app code p50", fmt_ms(o["p50"])),
            Row("HTTP pay p50 - in-process p50 (chalice local + HTTP)", fmt_ms(h["p50"] - t["p50"])),
        ]
    return out


def run_everything(
    api: Api,
    template: dict[str, Any],
    quote_template: dict[str, Any],
    runs: int = 80,
    warmup: int = 10,
    budget_seconds: float = 90.0,
) -> dict[str, Any]:
    """A quote and a payment with the merchant's rules, a budgeted coupon and points, over HTTP, each against
    the raw storage calls the app made for one (replayed with fresh ids on fresh copies of its items), and for
    the quote its trace's PutEvents."""
    merchant_id = template["merchant_id"]
    n = runs + warmup
    payer = api.user(f"bench-all-{uuid.uuid4().hex[:8]}")
    api.fund(payer, 200_000 + 10_000 * n)
    earn = api.open_checkout(payer, 200_000, merchant_id)  # points to spend (the bench stack matures them at once)
    r = api.http.post(
        f"{api.url}/v1/payments", data=pay_body(earn), headers=payer.headers(str(uuid.uuid4())), timeout=30
    )
    if r.status_code != 201:
        raise RuntimeError(f"earning points: {r.status_code} {r.text[:300]}")
    definition = f"cd-lat-{uuid.uuid4().hex[:6]}"
    window = {"valid_from": "2026-01-01T00:00:00Z", "valid_to": "2099-01-01T00:00:00Z"}
    r = api.http.put(
        f"{api.url}/v1/coupon-definitions/{definition}",
        headers=api.admin().headers(),
        timeout=30,
        json={
            "name": "lat",
            "kind": "amount_off",
            "value": 5,
            "min_spend": 0,
            **window,
            "per_customer_limit": n,
            "budget_count": 100_000,
        },
    )
    if r.status_code != 200:
        raise RuntimeError(f"definition: {r.status_code} {r.text[:300]}")
    for _ in range(n):
        api.http.post(
            f"{api.url}/v1/coupon-definitions/{definition}/grants",
            timeout=30,
            headers=api.admin().headers(str(uuid.uuid4())),
            json={"user_ids": [payer.user_id]},
        )
    coupons = [
        c["coupon_id"]
        for c in api.http.get(f"{api.url}/v1/coupons?state=available", headers=payer.headers(), timeout=30).json()[
            "coupons"
        ]
        if c["definition_id"] == definition
    ]
    checkouts = api.open_checkouts(payer, n, amount=10_000, merchant_id=merchant_id)
    raw = RawPayment(api.info, template)
    raw.prepare(n)
    quote_get = quote_template["get"]
    # a quote also puts its trace (checkout.quoted) on the bus: the raw side makes that call too, with a
    # detail of the same size (the last HTTP quote's answer)
    from dev.stack import LOCAL_BUS

    from chalicelib.events.catalogue import SOURCE

    bus = boto3.client(
        "events",
        endpoint_url=api.info.aws_endpoint,
        region_name=api.info.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # nosec B106 - moto's fixed test credentials
        config=Config(parameter_validation=False, connect_timeout=2, read_timeout=5),
    )
    trace_detail = "{}"
    http_quote, raw_quote, http_pay, raw_pay = [], [], [], []
    deadline = Deadline(budget_seconds)
    for i in range(n):
        if deadline.passed:
            break
        checkout_id, coupon_id = checkouts.pop(), coupons.pop()
        body = json.dumps({"checkout_id": checkout_id, "coupon_id": coupon_id, "points": 10})
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for side in order:
            if side == 0:
                t0 = time.perf_counter()
                q = api.http.post(
                    f"{api.url}/v1/checkouts/{checkout_id}/quote",
                    data=body.replace(f'"checkout_id": "{checkout_id}", ', ""),
                    headers=payer.headers(),
                    timeout=30,
                )
                t1 = time.perf_counter()
                p = api.http.post(
                    f"{api.url}/v1/payments", data=body, headers=payer.headers(str(uuid.uuid4())), timeout=30
                )
                t2 = time.perf_counter()
                if q.status_code != 200 or p.status_code != 201:
                    raise RuntimeError(f"HTTP quote/pay: {q.status_code} {p.status_code} {p.text[:300]}")
                trace_detail = q.text
                if i >= warmup:
                    http_quote.append(t1 - t0)
                    http_pay.append(t2 - t1)
            else:
                t0 = time.perf_counter()
                raw.ddb.transact_get_items(**quote_get)
                bus.put_events(
                    Entries=[
                        {
                            "Source": SOURCE,
                            "DetailType": "checkout.quoted",
                            "Detail": trace_detail,
                            "EventBusName": LOCAL_BUS,
                        }
                    ]
                )
                t1 = time.perf_counter()
                g, w = raw.run_one()
                if i >= warmup:
                    raw_quote.append(t1 - t0)
                    raw_pay.append(g + w)
    out: dict[str, Any] = {"runs": len(http_pay), "raw_operations": template.get("operations")}
    for name, h, r_ in (("quote", http_quote, raw_quote), ("pay", http_pay, raw_pay)):
        hs, rs = summary_ms(h), summary_ms(r_)
        out[name] = {"http": hs, "raw": rs, "ratio_p50": round(hs["p50"] / rs["p50"], 3) if rs.get("p50") else None}
    return out


def everything_rows(res: dict[str, Any]) -> list[Row]:
    rows = [Row("runs (each side, alternated)", str(res["runs"]))]
    for name, title in (("quote", "quote with rules, coupon and points"), ("pay", "pay with rules, coupon and points")):
        r = res[name]
        rows.append(Row(f"{title}: HTTP / raw p50", f"{fmt_ms(r['http']['p50'])} / {fmt_ms(r['raw']['p50'])}"))
        rows.append(
            Row(
                f"{title}: ratio HTTP / raw (p50)",
                f"{r['ratio_p50']:.2f}",
                f"<= {TARGET_RATIO}",
                bool(r["ratio_p50"] is not None and r["ratio_p50"] <= TARGET_RATIO),
            )
        )
    return rows
