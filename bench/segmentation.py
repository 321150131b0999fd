"""Benchmark 9: the segmentation of N synthetic customers (about 30 events each) on DuckDB, as the job runs it:
the features analysis (the same Athena SQL text, translated), then profiles, segments and the BG/NBD fit.

Each size runs in a fresh process; the events are generated inside DuckDB first (not timed) in the export's
columns, then the run is timed and the process's peak memory (ru_maxrss) read after. Goal: 1M customers in at
most 30 s and 4 GB on these 2 cores."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from .common import PYTHON, ROOT, Row

TARGET_SECONDS, TARGET_GB = 30.0, 4.0
# 1M customers take minutes and, today, about 19 GB: run them with BENCH_SEGMENT_SIZES=10000,100000,1000000
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SEGMENT_SIZES", "10000,100000").split(",") if n.strip())

CHILD = r"""
import json, resource, sys, time
from datetime import date, timedelta
import duckdb
from chalicelib.insight.engine import DuckEngine
from chalicelib.insight.segments import Features, profiles
from chalicelib.services.segmentation import predictions, windows

n = int(sys.argv[1])
as_of = date(2026, 11, 30)
db = duckdb.connect(":memory:")
db.execute("SET TimeZone = 'UTC'")
t0 = time.perf_counter()
# per customer: a persona's rate of payments and of visits over 120 days; ~30 events on average
db.execute(f'''
CREATE TABLE events AS
WITH customers AS (SELECT i AS c, hash(i) % 100 AS persona FROM range({n}) t(i)),
events AS (
  SELECT c, persona, j, hash(c * 1000 + j) % 120 AS ago,
    CASE WHEN persona < 40 AND j % 3 = 0 THEN 'payment.succeeded'
         WHEN persona < 70 AND j % 7 = 0 THEN 'payment.succeeded'
         WHEN j % 5 = 0 THEN 'behaviour.view_product'
         ELSE 'behaviour.login' END AS detail_type
  FROM customers, range(CAST(10 + hash(c) % 41 AS BIGINT)) r(j)
)
SELECT '0' AS version, CAST(c * 1000 + j AS VARCHAR) AS id, detail_type, 'store-balance' AS source,
  '123456789012' AS account, strftime(DATE '{as_of}' - CAST(ago AS INTEGER), '%Y-%m-%d') || 'T10:00:00Z' AS time,
  'us-east-1' AS region,
  '{{"event_id":"' || CAST(c * 1000 + j AS VARCHAR) || '","user_id":"u' || CAST(c AS VARCHAR) ||
  '","occurred_at":"' || strftime(DATE '{as_of}' - CAST(ago AS INTEGER), '%Y-%m-%d') || 'T10:00:00.000Z"' ||
  CASE WHEN detail_type = 'payment.succeeded'
       THEN ',"amount":' || CAST(500 + hash(j) % 5000 AS VARCHAR)
            || ',"balance_paid":' || CAST(500 + hash(j) % 5000 AS VARCHAR)
       WHEN detail_type = 'behaviour.view_product'
            THEN ',"props":{{"category":"c' || CAST(hash(j) % 9 AS VARCHAR) || '"}}'
       ELSE '' END || '}}' AS detail,
  strftime(DATE '{as_of}' - CAST(ago AS INTEGER), '%Y-%m-%d') AS dt, detail_type AS type
FROM events
''')
events = db.execute("SELECT count(*) FROM events").fetchone()[0]
t1 = time.perf_counter()
engine = DuckEngine.over(db)
history, window = windows(as_of)
rows = engine.run("customer_features", [history.isoformat(), as_of.isoformat(), window.isoformat()])
cats = {}
for r in engine.run("customer_categories", [window.isoformat(), as_of.isoformat()]):
    cats.setdefault(r["user_id"], []).append(r["category"])
t2 = time.perf_counter()
features = [Features.of(r, tuple(cats.get(r["user_id"], ())), 0) for r in rows]
computed = profiles(features, as_of)
t3 = time.perf_counter()
predicted, reason = predictions(features, as_of)
t4 = time.perf_counter()
peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
print(json.dumps({"customers": len(computed), "events": events, "generate_s": t1 - t0, "sql_s": t2 - t1,
  "profiles_s": t3 - t2, "predict_s": t4 - t3, "run_s": t4 - t1, "peak_gb": peak_gb,
  "predicted": len(predicted), "reason": reason}))
"""


def run(sizes: tuple[int, ...] = SIZES, timeout: float = 900.0) -> dict[str, Any]:
    out: dict[str, Any] = {"target_seconds": TARGET_SECONDS, "target_gb": TARGET_GB, "sizes": []}
    for n in sizes:
        p = subprocess.run(
            [str(PYTHON), "-c", CHILD, str(n)], cwd=ROOT, capture_output=True, text=True, timeout=timeout
        )
        if p.returncode != 0:
            out["sizes"].append({"customers": n, "error": p.stderr.strip()[-800:]})
            continue
        out["sizes"].append(json.loads(p.stdout.strip().splitlines()[-1]))
    return out


def rows(res: dict[str, Any]) -> list[Row]:
    table = []
    for s in res["sizes"]:
        if "error" in s:
            table.append(Row(f"{s['customers']:,} customers", f"failed: {s['error'][-200:]}"))
            continue
        label = f"{s['customers']:,} customers, {s['events']:,} events"
        split = f"SQL {s['sql_s']:.1f} s, profiles {s['profiles_s']:.1f} s, BG/NBD {s['predict_s']:.1f} s"
        big = s["customers"] >= 1_000_000
        table.append(
            Row(
                f"{label}: run time ({split})",
                f"{s['run_s']:.1f} s",
                f"<= {TARGET_SECONDS:.0f} s" if big else "-",
                (s["run_s"] <= TARGET_SECONDS) if big else None,
            )
        )
        table.append(
            Row(
                f"{label}: peak memory",
                f"{s['peak_gb']:.2f} GB",
                f"<= {TARGET_GB:.0f} GB" if big else "-",
                (s["peak_gb"] <= TARGET_GB) if big else None,
            )
        )
    if not any(s.get("customers", 0) >= 1_000_000 for s in res["sizes"]):
        table.append(
            Row(
                "1,000,000 customers (not run: BENCH_SEGMENT_SIZES=...,1000000)",
                "not measured in this run",
                f"<= {TARGET_SECONDS:.0f} s, {TARGET_GB:.0f} GB",
                False,
            )
        )
    return table


if __name__ == "__main__":  # python -m bench.segmentation [N ...]
    sizes = tuple(int(a) for a in sys.argv[1:]) or SIZES
    print(json.dumps(run(sizes), indent=2))
