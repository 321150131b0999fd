"""Benchmark 5: 32 concurrent payers over HTTP, on one wallet and on 32 different wallets.

Each payer is a thread with its own requests.Session. Every loop is bounded
by a count (payments per thread) and by time (a deadline checked before each
request; each request has its own timeout). Wallets are funded for every
payment the threads may make, so a 422 means something other than a lack of
money. Afterwards the balances are checked against the successful payments.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from .common import PAY_AMOUNT, Api, Deadline, Row, User, fmt_ms, pay_body, summary_ms

THREADS = 32


def _payer(
    url: str,
    user: User,
    checkouts: list[str],
    deadline: Deadline,
    start: threading.Barrier,
    out: list[tuple[int, float, str]],
) -> None:
    session = requests.Session()
    try:
        start.wait(timeout=60)
        for checkout_id in checkouts:
            if deadline.passed:
                break
            body = pay_body(checkout_id)
            headers = user.headers(str(uuid.uuid4()))
            t0 = time.perf_counter()
            try:
                r = session.post(url, data=body, headers=headers, timeout=30)
                status, code = r.status_code, ""
                if status >= 400:
                    try:
                        code = r.json()["error"]["code"]
                    except (ValueError, KeyError, TypeError):
                        code = r.text[:60]
            except requests.RequestException as exc:
                status, code = 0, type(exc).__name__
            out.append((status, time.perf_counter() - t0, code))
    finally:
        session.close()


def emf_totals(log: Path | None, start: int, names: tuple[str, ...]) -> dict[str, float] | None:
    """Sum of the app's own metrics (EMF lines chalice local prints to its log) from byte ``start`` on."""
    if log is None or not log.exists():
        return None
    totals = dict.fromkeys(names, 0.0)
    with open(log, "rb") as fh:
        fh.seek(start)
        data = fh.read()
    for line in data.splitlines():
        if b'"_aws"' not in line:
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        for name in names:
            v = doc.get(name)
            if isinstance(v, list):
                totals[name] += sum(x for x in v if isinstance(x, (int, float)))
            elif isinstance(v, (int, float)):
                totals[name] += v
    return totals


def scenario(api: Api, users: list[User], per_thread: int, seconds: float, log: Path | None = None) -> dict[str, Any]:
    # each payer's checkouts are opened first (untimed): the order service's part is not measured here
    checkouts = [api.open_checkouts(users[i % len(users)], per_thread) for i in range(THREADS)]
    before = {u.user_id: api.balance(u)["total"] for u in users}
    log_start = log.stat().st_size if log is not None and log.exists() else 0
    deadline = Deadline(seconds)
    start = threading.Barrier(THREADS + 1)
    results: list[list[tuple[int, float, str]]] = [[] for _ in range(THREADS)]
    threads = [
        threading.Thread(
            target=_payer,
            daemon=True,
            args=(f"{api.url}/v1/payments", users[i % len(users)], checkouts[i], deadline, start, results[i]),
        )
        for i in range(THREADS)
    ]
    for t in threads:
        t.start()
    deadline.end = time.monotonic() + seconds  # the clock starts when the payers do
    start.wait(timeout=60)
    t0 = time.perf_counter()
    for t in threads:
        t.join(timeout=seconds + 60)
    elapsed = time.perf_counter() - t0
    alive = sum(t.is_alive() for t in threads)

    flat = [r for rs in results for r in rs]
    statuses = Counter(s for s, _, _ in flat)
    codes = Counter(c for s, _, c in flat if s != 201)
    ok = statuses.get(201, 0)
    time.sleep(0.2)  # let chalice local's last log lines land
    metrics = emf_totals(log, log_start, ("Payments", "TransactionConflicts"))
    after = {u.user_id: api.balance(u)["total"] for u in users}
    spent = sum(before[k] - after[k] for k in before)
    return {
        "threads": THREADS,
        "wallets": len(users),
        "per_thread_max": per_thread,
        "time_budget_s": seconds,
        "elapsed_s": round(elapsed, 3),
        "requests": len(flat),
        "status_201": ok,
        "status_422": statuses.get(422, 0),
        "status_409": statuses.get(409, 0),
        "status_other": sum(n for s, n in statuses.items() if s not in (201, 409, 422)),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "error_codes": dict(codes),
        "payments_per_s": round(ok / elapsed, 2) if elapsed else None,
        "requests_per_s": round(len(flat) / elapsed, 2) if elapsed else None,
        "latency_all": summary_ms([d for _, d, _ in flat]),
        "latency_201": summary_ms([d for s, d, _ in flat if s == 201]),
        "threads_still_running": alive,
        "money_spent": spent,
        "money_expected": ok * PAY_AMOUNT,
        "balance_conserved": spent == ok * PAY_AMOUNT,
        "app_metrics": metrics,
        "write_conflicts": int(metrics["TransactionConflicts"]) if metrics else None,
        "write_conflicts_per_201": round(metrics["TransactionConflicts"] / ok, 2) if metrics and ok else None,
    }


def run(api: Api, per_thread: int = 40, seconds: float = 20.0, log: Path | None = None) -> dict[str, Any]:
    need = per_thread * PAY_AMOUNT
    one = api.user(f"bench-one-{uuid.uuid4().hex[:8]}")
    api.fund(one, THREADS * need + 1000)
    many = []
    for i in range(THREADS):
        u = api.user(f"bench-many-{i}-{uuid.uuid4().hex[:6]}")
        api.fund(u, need + 1000)
        many.append(u)
    return {
        "one_wallet": scenario(api, [one], per_thread, seconds, log),
        "32_wallets": scenario(api, many, per_thread, seconds, log),
    }


def rows(res: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    for name, label in (("one_wallet", "1 wallet"), ("32_wallets", "32 wallets")):
        r = res[name]
        a = r["latency_all"]
        out += [
            Row(
                f"{label}: payments/s (201 only)",
                f"{r['payments_per_s']:.1f}  ({r['status_201']} in {r['elapsed_s']:.1f} s)",
            ),
            Row(f"{label}: requests/s (all)", f"{r['requests_per_s']:.1f}  ({r['requests']} requests)"),
            Row(f"{label}: latency p50 / p99 (all)", f"{fmt_ms(a.get('p50'))} / {fmt_ms(a.get('p99'))}"),
            Row(
                f"{label}: 201 / 422 / 409 / other",
                f"{r['status_201']} / {r['status_422']} / {r['status_409']} / {r['status_other']}",
                "422 = 0, other = 0",
                r["status_422"] == 0 and r["status_other"] == 0,
            ),
        ]
        if r["error_codes"]:
            out.append(Row(f"{label}: error codes", ", ".join(f"{k} {v}" for k, v in r["error_codes"].items())))
        if r["write_conflicts"] is not None:
            out.append(
                Row(
                    f"{label}: write conflicts retried (app metric)",
                    f"{r['write_conflicts']} ({r['write_conflicts_per_201']} per 201)",
                )
            )
        out.append(
            Row(
                f"{label}: money spent == 201 x amount",
                f"{r['money_spent']} vs {r['money_expected']}",
                "equal",
                r["balance_conserved"],
            )
        )
    return out
