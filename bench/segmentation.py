"""Benchmark 9: the segmentation of N synthetic customers (about 30 events each) on DuckDB, as the job runs it:
the features analysis and the categories analysis (the same Athena SQL texts, translated), the columns made
customers, profiles and segments, the BG/NBD fit and predictions, each customer's profile item as the store
receives it (counted, not written), and the run's summary.

Each size runs in two fresh processes: the first generates the events inside DuckDB (not timed) in the
export's columns and writes them to a database file, as the export lies in storage; the second opens that
file, times each step of the run, and reads its own peak memory (ru_maxrss) after. DuckDB runs with the
engine's settings (``DuckEngine``: at most ``MEMORY_LIMIT`` of its own memory, beyond which it spills to
disk). Goal: 1M customers in at most 30 s and 4 GB on these 2 cores.

Measured here (2 cores, shared with other work), ``BENCH_SEGMENT_SIZES=10000 python -m bench.segmentation``:

| customers (events) | before: run, peak | now: run, peak |
|---|---|---|
| 10k (0.3M) | 1.7 s, 0.30 GB | 1.7 s, 0.20 GB (features SQL 0.94 s, BG/NBD 0.62 s) |
| 100k (3.0M) | 12.2 s, 1.45 GB | not measured at this commit |
| 1M (30.0M) | 224 s, 18.6 GB | not measured at this commit (``BENCH_SEGMENT_SIZES=1000000``) |

Before, at 1M: the features SQL alone took 321 s (184 s of CPU) here: six JSON extractions per event and a
window over every event's whole JSON; then 1M rows as dicts, 1M ``Features`` and 1M ``Profile`` objects,
the fit over every customer, and 1M profile dicts held at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .common import PYTHON, ROOT, Row, render_table

TARGET_SECONDS, TARGET_GB = 30.0, 4.0
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SEGMENT_SIZES", "10000,100000").split(",") if n.strip())
PHASES = (
    ("features_s", "features SQL"),
    ("categories_s", "categories SQL"),
    ("customers_s", "columns"),
    ("profiles_s", "profiles"),
    ("predict_s", "BG/NBD"),
    ("views_s", "items"),
    ("summary_s", "summary"),
)

GENERATE = r"""
import sys, time
from datetime import date
import duckdb

n, path = int(sys.argv[1]), sys.argv[2]
as_of = date(2026, 11, 30)
db = duckdb.connect(path)
db.execute("SET preserve_insertion_order = false")
db.execute("SET memory_limit = '3GB'")
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
print(db.execute("SELECT count(*) FROM events").fetchone()[0])
"""

RUN = r"""
import json, resource, sys, time
from datetime import date
import duckdb
from chalicelib.insight.engine import DuckEngine
from chalicelib.insight.segments import Customers, profiles
from chalicelib.services import segmentation as job

path = sys.argv[1]
as_of = date(2026, 11, 30)
engine = DuckEngine.over(duckdb.connect(path, read_only=True))
history, window = job.windows(as_of)
took = {}
clock = [time.perf_counter(), time.process_time()]
cpu = 0.0

def step(name):
    global cpu
    wall, used = time.perf_counter(), time.process_time()
    took[name] = wall - clock[0]
    cpu += used - clock[1]
    clock[:] = [time.perf_counter(), time.process_time()]

# features_of's steps, then the run's (services/segmentation.py run)
features = job.columns(engine, "customer_features", [history.isoformat(), as_of.isoformat(), window.isoformat()])
step("features_s")
categories = job.columns(engine, "customer_categories", [window.isoformat(), as_of.isoformat()])
step("categories_s")
customers = Customers.of(features, categories, {})
del features, categories
step("customers_s")
computed = profiles(customers, as_of)
step("profiles_s")
predicted, reason = job.predictions(customers, as_of)
step("predict_s")
items = sum(1 for _ in job.views(computed, predicted, reason))  # what store.put_profiles receives
step("views_s")
segments = job.summary(computed)
step("summary_s")
print(json.dumps({**took, "customers": len(computed), "items": items, "run_s": sum(took.values()), "cpu_s": cpu,
  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024,
  "predicted": int(predicted.paying.sum()) if predicted else 0, "reason": reason,
  "sizes": {name: s["size"] for name, s in segments.items()}}))
"""


def run(sizes: tuple[int, ...] = SIZES, timeout: float = 1800.0) -> dict[str, Any]:
    out: dict[str, Any] = {"target_seconds": TARGET_SECONDS, "target_gb": TARGET_GB, "sizes": []}
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-segmentation-") as work:
            path = str(Path(work) / "events.duckdb")
            made = _child(GENERATE, [str(n), path], timeout)
            if made.returncode != 0:
                out["sizes"].append({"customers": n, "error": made.stderr.strip()[-800:]})
                continue
            p = _child(RUN, [path], timeout)
            if p.returncode != 0:
                out["sizes"].append({"customers": n, "error": p.stderr.strip()[-800:]})
                continue
            events = int(made.stdout.strip().splitlines()[-1])
            out["sizes"].append({**json.loads(p.stdout.strip().splitlines()[-1]), "events": events})
    return out


def _child(code: str, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PYTHON), "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def rows(res: dict[str, Any]) -> list[Row]:
    table = []
    for s in res["sizes"]:
        if "error" in s:
            table.append(Row(f"{s['customers']:,} customers", f"failed: {s['error'][-200:]}"))
            continue
        label = f"{s['customers']:,} customers, {s['events']:,} events"
        split = ", ".join(f"{name} {s[key]:.1f} s" for key, name in PHASES)
        big = s["customers"] >= 1_000_000
        table.append(
            Row(
                f"{label}: run time ({split}; {s['cpu_s']:.1f} s of CPU)",
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


def phases(res: dict[str, Any]) -> str:
    """Where each size's run time goes, step by step."""
    done = [s for s in res["sizes"] if "error" not in s]
    head = ("customers", *(name for _, name in PHASES), "run", "CPU", "peak")
    body = [
        (
            f"{s['customers']:,}",
            *(f"{s[key]:.2f} s" for key, _ in PHASES),
            f"{s['run_s']:.1f} s",
            f"{s['cpu_s']:.1f} s",
            f"{s['peak_gb']:.2f} GB",
        )
        for s in done
    ]
    return render_table("  the run's steps (seconds each)", head, body)


if __name__ == "__main__":  # python -m bench.segmentation [N ...]
    sizes = tuple(int(a) for a in sys.argv[1:]) or SIZES
    res = run(sizes)
    print(json.dumps(res, indent=2))
    print(phases(res))
