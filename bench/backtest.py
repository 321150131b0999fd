"""Benchmark 13: a backtest of N synthetic checkouts on DuckDB, as the backtest function runs it
(chalicelib/services/backtests.py ``run``, without the table): the ``backtest_checkouts`` analysis (the same
Athena SQL, translated) over a month of one merchant's export, its rows made past checkouts, and the replay
(chalicelib/domain/backtest.py): every checkout priced by ``pricing.price`` under the current configuration and
under a proposal that changes the rules, adds a coupon every customer holds and a points promotion (a checkout
the coupon may apply to is priced once more with it).

Each size runs in two fresh processes: the first generates the export's events inside DuckDB (not timed: a
checkout.opened, a checkout.quoted and, for 7 in 10, a payment.succeeded per checkout, one customer per five
checkouts, a tenth with an excluded line, a third allowing a partial payment, a quarter spending points, tiers,
a past promotion over the month) and writes them to a database file; the second opens it, times each step and
reads its own peak memory. Goal: 100k checkouts through the pricing function in at most 30 s on these 2 cores.

``python -m bench.backtest [N ...]`` (default 10000 100000, ``BENCH_BACKTEST_SIZES``) prints the table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from chalicelib.services.backtests import PARALLEL_FROM

from .common import PYTHON, ROOT, Row, render_rows, render_table

TARGET_SECONDS = 30.0
TARGET_AT = 100_000
SIZES = tuple(int(n) for n in os.environ.get("BENCH_BACKTEST_SIZES", "10000,100000").split(",") if n.strip())
PHASES = (("sql_s", "analysis SQL"), ("rows_s", "rows"), ("replay_s", "replay, 1 core"), ("cores_s", "replay, 2 cores"))

GENERATE = r"""
import sys
import duckdb

n, path = int(sys.argv[1]), sys.argv[2]
users = max(1, n // 5)
db = duckdb.connect(path)
db.execute("SET preserve_insertion_order = false")
db.execute(f'''
CREATE TABLE events AS
WITH c AS (
  SELECT i, 'chk_' || CAST(i AS VARCHAR) AS cid, 'u' || CAST(i % {users} AS VARCHAR) AS u,
    strftime(DATE '2026-11-30' - CAST(i % 30 AS INTEGER), '%Y-%m-%d') AS day,
    lpad(CAST(1 + hash(i) % 13 AS VARCHAR), 2, '0') || ':' || lpad(CAST(hash(i * 3) % 60 AS VARCHAR), 2, '0') AS hm,
    200 + hash(i * 11) % 15000 AS p1, 100 + hash(i * 13) % 4000 AS p2,
    CASE WHEN i % 10 = 0 THEN 'alcohol' ELSE 'tea' END AS cat2,
    hash(i * 17) % 30000 AS cash, hash(i * 19) % 3000 AS bonus, hash(i * 23) % 800 AS held,
    CASE WHEN i % 4 = 0 THEN hash(i * 29) % 300 ELSE 0 END AS points,
    CASE WHEN i % 3 = 0 THEN 'true' ELSE 'false' END AS partial,
    CASE i % 7 WHEN 0 THEN ',"tier":"gold"' WHEN 1 THEN ',"tier":"silver"' ELSE '' END AS tier
  FROM range({n}) t(i)
),
d AS (
  SELECT *, '[{{"sku":"s' || CAST(i % 50 AS VARCHAR) || '","category":"food","unit_price":' || CAST(p1 AS VARCHAR)
      || ',"quantity":1}},{{"sku":"x' || CAST(i % 20 AS VARCHAR) || '","category":"' || cat2
      || '","unit_price":' || CAST(p2 AS VARCHAR) || ',"quantity":1}}]' AS lines,
    CAST(p1 + p2 AS VARCHAR) AS amount, day || 'T' || hm || ':00.000Z' AS moment
  FROM c
),
e AS (
  SELECT 'o' || cid AS id, 'checkout.opened' AS detail_type, day, moment,
    '{{"event_id":"o' || cid || '","checkout_id":"' || cid || '","merchant_id":"m-bench","order_id":"o-' || cid
      || '","user_id":"' || u || '","amount":' || amount || ',"lines":' || lines
      || ',"expires_at":"' || day || 'T23:59:00.000Z","occurred_at":"' || moment || '"}}' AS detail
  FROM d
  UNION ALL
  SELECT 'q' || cid, 'checkout.quoted', day, moment,
    '{{"event_id":"q' || cid || '","checkout_id":"' || cid || '","merchant_id":"m-bench","user_id":"' || u
      || '","amount":' || amount || ',"lines":' || lines || ',"expires_at":"' || day
      || 'T23:59:00.000Z","balance":0,"discount_total":0,"external":0,"payable":true,"limits":[],'
      || '"funds":{{"cash":' || CAST(cash AS VARCHAR) || ',"bonus":' || CAST(bonus AS VARCHAR) || ',"points":'
      || CAST(held AS VARCHAR) || ',"spent_today":0}},"points":' || CAST(points AS VARCHAR)
      || ',"allow_partial":' || partial || tier || ',"rules_version":1,"occurred_at":"' || moment || '"}}'
  FROM d
  UNION ALL
  SELECT 'p' || cid, 'payment.succeeded', day, moment,
    '{{"event_id":"p' || cid || '","payment_id":"p' || cid || '","user_id":"' || u
      || '","merchant_id":"m-bench","order_id":"o-' || cid || '","amount":' || amount || ',"balance_paid":'
      || amount || ',"lots":{{"cash":' || amount || ',"bonus":0}},"discount":0,"external":0,"points_spent":0,'
      || '"points_earned":0,"occurred_at":"' || moment || '"}}'
  FROM d WHERE i % 10 < 7
)
SELECT '0' AS version, id, detail_type, 'store-balance' AS source, '123456789012' AS account, moment AS time,
  'us-east-1' AS region, detail, day AS dt, detail_type AS type
FROM e
''')
print(db.execute("SELECT count(*) FROM events").fetchone()[0])
"""

RUN = r"""
import json, resource, sys, time
from dataclasses import replace
from datetime import date, time as dtime, timedelta
import duckdb
import chalicelib.domain.backtest as bt
from chalicelib.domain.coupons import CouponDefinition, CouponTerms
from chalicelib.domain.pricing import PricingPolicy
from chalicelib.domain.promotions import Effect, Promotion
from chalicelib.domain.rules import BalanceRules, PartialPay, Window
from chalicelib.domain.tiers import Tier, TierTable
from chalicelib.insight.engine import DuckEngine

path, M = sys.argv[1], "m-bench"
first, last = date(2026, 11, 1), date(2026, 11, 30)
priced = [0]
price = bt.price

def counted(*a, **k):
    priced[0] += 1
    return price(*a, **k)

bt.price = counted
rules = BalanceRules(
    M, version=4, discount_percent=5, excluded_categories=frozenset({"alcohol"}), daily_limit=100_000,
    partial_pay=PartialPay("in_windows", (Window(("mon", "tue", "wed", "thu", "fri"), dtime(9), dtime(21)),), 80),
)
month = Promotion("prm_month", "november", M, "2026-11-10T00:00:00.000Z", "2026-11-20T00:00:00.000Z",
                  Effect("extra_balance_discount", percent=5, max_amount=500), "ended", "", "op")
tiers = TierTable((Tier("base", 0, 100, 0), Tier("silver", 50_000, 150, 2), Tier("gold", 200_000, 200, 5)))
current = bt.Configuration(rules, tiers, (bt.as_replayed(month),))
coupon = CouponDefinition(
    CouponTerms("proposed", "3 off", "amount_off", 300, None, 2000, M, False, "2027-01-01T00:00:00Z",
                "2027-02-01T00:00:00Z"), per_customer_limit=2)  # no shared budget: two cores may split it
double = bt.proposed_promotion(M, Effect("points_multiplier", factor_percent=200), None, "2026-12-01T00:00:00.000Z")
proposal = bt.proposed(current, replace(rules, discount_percent=10, discount_max_amount=500, min_order_amount=1000),
                       coupon, double)
engine = DuckEngine.over(duckdb.connect(path, read_only=True))
took, cpu = {}, 0.0
clock = [time.perf_counter(), time.process_time()]

def step(name):
    global cpu
    took[name] = time.perf_counter() - clock[0]
    cpu += time.process_time() - clock[1]
    clock[:] = [time.perf_counter(), time.process_time()]

params = [first.isoformat(), (first - timedelta(days=1)).isoformat(), last.isoformat(), M]
rows = engine.run("backtest_checkouts", params)
step("sql_s")
past = [bt.past_checkout(r, M) for r in rows if r["quoted"]]
step("rows_s")
view = bt.replay(past, current, proposal, PricingPolicy()).as_view(1)
step("replay_s")
once = priced[0]
from chalicelib.services.backtests import replay_on_cores
both = replay_on_cores(past, current, proposal, PricingPolicy()).as_view(1)
step("cores_s")
if both != view:
    raise SystemExit("the replay on two cores differs from the replay in one process")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
print(json.dumps({**took, "checkouts": len(past), "rows": len(rows), "priced": once, "cpu_s": cpu,
  "job_s": took["sql_s"] + took["rows_s"] + took["cores_s"], "peak_gb": peak,
  "changed": view["difference"]["checkouts_changed"], "stopped": view["difference"]["stopped_being_payable"],
  "became": view["difference"]["became_payable"], "coupons": view["proposed"]["coupons_used"]}))
"""


def run(sizes: tuple[int, ...] = SIZES, timeout: float = 1800.0) -> dict[str, Any]:
    out: dict[str, Any] = {"target_seconds": TARGET_SECONDS, "target_at": TARGET_AT, "sizes": []}
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-backtest-") as work:
            path = str(Path(work) / "events.duckdb")
            made = _child(GENERATE, [str(n), path], timeout)
            if made.returncode != 0:
                out["sizes"].append({"checkouts": n, "error": made.stderr.strip()[-800:]})
                continue
            p = _child(RUN, [path], timeout)
            if p.returncode != 0:
                out["sizes"].append({"checkouts": n, "error": p.stderr.strip()[-800:]})
                continue
            events = int(made.stdout.strip().splitlines()[-1])
            out["sizes"].append({**json.loads(p.stdout.strip().splitlines()[-1]), "events": events, "asked": n})
    return out


def _child(code: str, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PYTHON), "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def rows(res: dict[str, Any]) -> list[Row]:
    table = []
    for s in res["sizes"]:
        if "error" in s:
            table.append(Row(f"{s['checkouts']:,} checkouts", f"failed: {s['error'][-200:]}"))
            continue
        label = f"{s['checkouts']:,} checkouts ({s['events']:,} events)"
        gated = s["checkouts"] >= TARGET_AT
        target = f"<= {TARGET_SECONDS:.0f} s" if gated else "-"
        table.append(
            Row(
                f"{label}: through the pricing function, one core ({s['priced']:,} prices, both configurations)",
                f"{s['replay_s']:.1f} s",
                target,
                (s["replay_s"] <= TARGET_SECONDS) if gated else None,
            )
        )
        cores = "two cores" if s["checkouts"] >= PARALLEL_FROM else "one core: below the split's threshold"
        table.append(
            Row(
                f"{label}: the replay as the job runs it ({cores})",
                f"{s['cores_s']:.1f} s",
                target,
                (s["cores_s"] <= TARGET_SECONDS) if gated else None,
            )
        )
        table.append(
            Row(
                f"{label}: the job without the table (analysis SQL {s['sql_s']:.1f} s, rows {s['rows_s']:.1f} s, "
                f"replay {s['cores_s']:.1f} s)",
                f"{s['job_s']:.1f} s",
            )
        )
        table.append(Row(f"{label}: peak memory", f"{s['peak_gb']:.2f} GB"))
    if not any(s.get("checkouts", 0) >= TARGET_AT for s in res["sizes"] if "error" not in s):
        table.append(Row(f"{TARGET_AT:,} checkouts", "not measured in this run", f"<= {TARGET_SECONDS:.0f} s", False))
    return table


def phases(res: dict[str, Any]) -> str:
    done = [s for s in res["sizes"] if "error" not in s]
    head = ("checkouts", "prices", *(name for _, name in PHASES), "job", "CPU", "peak", "changed", "coupons")
    body = [
        (
            f"{s['checkouts']:,}",
            f"{s['priced']:,}",
            *(f"{s[key]:.2f} s" for key, _ in PHASES),
            f"{s['job_s']:.1f} s",
            f"{s['cpu_s']:.1f} s",
            f"{s['peak_gb']:.2f} GB",
            f"{s['changed']:,}",
            f"{s['coupons']:,}",
        )
        for s in done
    ]
    return render_table("13. Backtest of synthetic checkouts on DuckDB (analysis, rows, replay)", head, body)


if __name__ == "__main__":  # python -m bench.backtest [N ...]
    res = run(tuple(int(a) for a in sys.argv[1:]) or SIZES)
    print(phases(res))
    print(render_rows("targets", rows(res)))
