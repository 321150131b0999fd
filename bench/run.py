"""`make bench`: every benchmark, a plain-text table each, all figures in bench/results/bench.json and bench/README.md.

Starts its own local stack (serialized moto server + chalice local, on free
ports) and stops it whatever happens. Order: the benchmarks that need the
stack (storage calls, pay latency, concurrency), then the stack is stopped and
the ones that do not (cold import, bundle) run on a quiet machine.
A benchmark that fails is reported (in the table and the JSON) and the others
still run; the exit status is then 1. Targets that are missed do not fail the run.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import shutil
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from . import (
    athena_bytes,
    backtest,
    bundle,
    campaign_delivery,
    cold_import,
    concurrency,
    coupon_budget,
    export_lag,
    first_payment,
    lifecycle_lag,
    pay_latency,
    readme,
    segmentation,
    web,
)
from .common import PYTHON, RESULTS_DIR, ROOT, Api, Row, render_rows, render_table

RESULTS_FILE = RESULTS_DIR / "bench.json"


def say(text: str = "") -> None:
    print(text, flush=True)


def git_head() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


# ---- benchmark 1 -------------------------------------------------------------


def storage_calls(info: Any, work: Path) -> dict[str, Any]:
    """Run bench.storage_calls in a fresh interpreter (the app's settings are frozen at import)."""
    stack_json, out_json = work / "stack.json", work / "storage_calls.json"
    stack_json.write_text(json.dumps(info.__dict__))
    log = work / "storage_calls.log"
    with open(log, "wb") as fh:  # the app's logs and metrics (EMF) go to stdout
        p = subprocess.run(
            [str(PYTHON), "-m", "bench.storage_calls", str(stack_json), str(out_json)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=fh,
            stderr=subprocess.STDOUT,
            timeout=240,
        )
    if p.returncode != 0:
        raise RuntimeError(f"bench.storage_calls exited {p.returncode}: {log.read_text()[-2000:]}")
    return json.loads(out_json.read_text())


def storage_rows(res: dict[str, Any]) -> tuple[list[Row], str]:
    ops = res["operations"]
    rows: list[Row] = []
    for name, op in ops.items():
        target, met = "-", None
        if name == "pay" or name.startswith("pay with"):
            target = "<= 1 read + 1 TransactWriteItems"
            met = (
                op["reads"] <= 1
                and op["calls"].get("TransactWriteItems", 0) <= 1
                and op["total_calls"] - op["reads"] - op["calls"].get("TransactWriteItems", 0) == 0
            )
        value = op["calls_text"]
        if not op["as_expected"]:
            value += f"  (statuses {op['statuses']}, expected {op['expected_status']}!)"
        if not op["stable_over_repeats"]:
            value += "  (varies between repeats)"
        if op.get("wallet_entries"):
            value += f"  [wallet has {op['wallet_entries']} entries]"
        rows.append(Row(name, value, target, met))
    conn = res["connections"]
    rows.append(
        Row(
            "botocore clients held by the app after the warm-up",
            f"{conn['distinct_botocore_clients']} (own connection: "
            f"{', '.join(conn['model_classes_owning_a_connection'])})",
        )
    )
    c = res["extra_connection_client_creation"]
    rows.append(
        Row(
            "cost of each extra PynamoDB connection (client creation)",
            f"p50 {c['p50']:.0f} ms (min {c['min']:.0f}, max {c['max']:.0f})",
        )
    )
    rows.append(Row("first request in a fresh process (GET /v1/wallet)", f"{res['first_request_ms']:.0f} ms"))
    prof = res["profile_60_pays"]["by_package_self_time_pct"]
    profile = render_table(
        "  where a payment's time goes in-process (cProfile self time, 60 payments)",
        ("library", "share"),
        [(k, f"{v:.1f} %") for k, v in list(prof.items())[:8]],
    )
    return rows, profile


# ---- the run -------------------------------------------------------------------


def main() -> int:
    started = time.monotonic()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "meta": {
            "command": readme.COMMAND,
            "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "git_head": git_head(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "benchmarks": {},
        "errors": {},
        "tables": [],  # every benchmark's rows as printed, for bench/README.md
    }
    summary: list[tuple[str, Row]] = []
    failed = False

    def bench(
        key: str,
        title: str,
        fn: Callable[[], Any],
        to_rows: Callable[[Any], list[Row]],
        extra: Callable[[Any], str] | None = None,
    ) -> Any:
        nonlocal failed
        say(f"\n[{time.monotonic() - started:5.0f} s] {title} ...")
        t0 = time.monotonic()
        try:
            res = fn()
        except Exception as exc:
            failed = True
            results["errors"][key] = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
            rows = [Row("error", f"{type(exc).__name__}: {str(exc)[:300]}", "runs", False)]
            say(render_rows(title, rows))
            results["tables"].append({"key": key, "title": title, "rows": [r.as_dict() for r in rows]})
            summary.extend((title, r) for r in rows)
            return None
        results["benchmarks"][key] = res
        if isinstance(res, dict):
            res.setdefault("duration_s", round(time.monotonic() - t0, 1))
        rows = to_rows(res)
        say(render_rows(title, rows))
        table = {"key": key, "title": title, "rows": [r.as_dict() for r in rows]}
        if extra is not None:
            text = extra(res)
            table["extra"] = text.strip("\n")
            say(text)
        results["tables"].append(table)
        summary.extend((title, r) for r in rows if r.met is not None)
        return res

    from dev.stack import LocalStack

    work = RESULTS_DIR / "work"  # git-ignored with the results; the previous run's is replaced
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    stack = LocalStack(log_dir=work / "logs", app_env={"POINTS_RETURN_WINDOW_DAYS": "0"}, lifecycle=False)
    results["meta"]["work_dir"] = str(work)

    def with_stack() -> None:
        nonlocal failed
        say(f"starting the local stack (logs in {work / 'logs'}) ...")
        try:
            info = stack.start()
            api = Api(info)
            api.ensure_merchant()
        except Exception as exc:
            failed = True
            for log in sorted((work / "logs").glob("*.log")):
                sys.stderr.write(f"--- {log.name}\n{log.read_text()[-3000:]}\n")
            results["errors"]["local_stack"] = {
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(),
            }
            say(f"the local stack did not start ({type(exc).__name__}: {exc}): benchmarks 1, 2, 5 and 6 skipped")
            return
        say(f"moto on {info.aws_endpoint}, chalice local on {info.api_url}")

        calls = bench(
            "storage_calls",
            "1. Storage calls per operation (in-process, botocore hooks)",
            lambda: storage_calls(info, work),
            lambda r: storage_rows(r)[0],
            extra=lambda r: "\n" + storage_rows(r)[1],
        )
        if calls is not None:
            template = calls.pop("pay_template")
            calls["pay_template_operations"] = template["operations"]
            bench(
                "pay_latency",
                "2. Pay latency: HTTP (chalice local) vs the raw storage calls (boto3 -> moto)",
                lambda: pay_latency.run(api, template),
                lambda r: pay_latency.rows(r, calls.get("inprocess_pay")),
            )
            everything = calls.pop("everything_template", None)
            quote_template = calls.pop("quote_template", None)
            if everything and quote_template:
                bench(
                    "pay_latency_everything",
                    "2b. Quote and pay with rules, coupon and points: HTTP vs the raw storage calls",
                    lambda: pay_latency.run_everything(api, everything, quote_template),
                    pay_latency.everything_rows,
                )
            bench(
                "first_payment",
                "6. Cold start serving a payment: app (tracing on) vs boto3 + the same storage calls",
                lambda: first_payment.run(api, template, work),
                first_payment.rows,
            )
        else:
            for key in ("pay_latency", "first_payment"):
                results["errors"][key] = {"error": "skipped: needs the pay template of benchmark 1"}
            say(
                "\n2. Pay latency and 6. cold payment: skipped "
                "(benchmark 1 failed; it provides the raw-storage template)"
            )
            failed = True
        bench(
            "concurrency",
            "5. 32 concurrent payers over HTTP: one wallet vs 32 wallets",
            lambda: concurrency.run(api, log=stack.log_dir / "chalice.log"),
            concurrency.rows,
        )
        bench(
            "coupon_budget",
            "7. 64 payers at once on one coupon budget: 8 shards vs one counter",
            lambda: coupon_budget.run(api),
            coupon_budget.rows,
        )
        bench(
            "campaign_delivery",
            "12. Campaign delivery: members per second through each action's path (its run, in-process)",
            lambda: campaign_delivery.run(info, work),
            campaign_delivery.rows,
        )
        bench(
            "web",
            web.TITLE,
            lambda: web.run(info, work / "web"),
            web.rows,
            extra=lambda r: "\n  " + web.NOTE,
        )

    try:
        with_stack()
    finally:
        stack.stop()
        say(f"\n[{time.monotonic() - started:5.0f} s] local stack stopped")

    # the event-driven side on a stack of its own (the one above runs without it, so that benchmarks 1-7
    # measure the API, not the local stand-ins for DynamoDB Streams, EventBridge and Lambda beside it)
    events_stack = LocalStack(log_dir=work / "logs-events", app_env={"POINTS_RETURN_WINDOW_DAYS": "0"})
    try:
        say(f"\n[{time.monotonic() - started:5.0f} s] starting a local stack with its event runner ...")
        events_info = events_stack.start()
        bench(
            "lifecycle_lag",
            "8. Domain events: commit -> bus lag (local stack), events per storage write",
            lambda: lifecycle_lag.run(Api(events_info), events_info),
            lifecycle_lag.rows,
        )
        bench(
            "export_lag",
            "10. Analytics export: event on the bus -> its object in S3 (local runner; Firehose's buffer not measured)",
            lambda: export_lag.run(events_info),
            export_lag.rows,
        )
    except Exception as exc:
        results["errors"]["lifecycle_lag"] = {"error": f"{type(exc).__name__}: {exc}"}
        failed = True
    finally:
        events_stack.stop()

    try:
        bench(
            "cold_import",
            "3. Cold import: app.py vs boto3 (fresh interpreters, Lambda environment)",
            cold_import.run,
            cold_import.rows,
        )
        bench(
            "bundle",
            "4. Lambda bundle: make package (chalice package --stage prod, runtime-provided libs stripped)",
            bundle.run,
            bundle.rows,
        )
        bench(
            "segmentation",
            "9. Segmentation of synthetic customers on DuckDB (features SQL, profiles, BG/NBD)",
            segmentation.run,
            segmentation.rows,
        )
        bench(
            "backtest",
            "13. Backtests: the merchant's checkouts replayed through the pricing function, current vs proposed",
            backtest.run,
            backtest.rows,
            extra=backtest.phases,
        )
        bench(
            "athena_bytes",
            "11. Athena bytes scanned per analysis: partition projection over a synthetic export",
            athena_bytes.run,
            athena_bytes.rows,
        )
    finally:
        results["meta"]["duration_s"] = round(time.monotonic() - started, 1)
        results["targets"] = [{"benchmark": t, **r.as_dict()} for t, r in summary]
        RESULTS_FILE.write_text(json.dumps(results, indent=2, default=str))
        readme.write(json.loads(RESULTS_FILE.read_text()))  # the same results, as written

    say("")
    say(
        render_table(
            "Targets",
            ("benchmark", "metric", "value", "target", "met"),
            [
                (
                    t.split(" ", 1)[0].rstrip("."),
                    r.metric,
                    r.value if len(r.value) <= 70 else r.value[:67] + "...",
                    r.target,
                    "yes" if r.met else "NO",
                )
                for t, r in summary
            ],
        )
    )
    say(f"\ntotal {results['meta']['duration_s']:.0f} s; JSON written to {RESULTS_FILE}, figures to {readme.README}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
