"""Benchmark 3: cold import of app.py in a fresh interpreter versus `import boto3`.

Each sample is a new process (`python -c ...` with cwd at the project root, so
`app` and `chalicelib` come from the working tree and the libraries from the
virtualenv), timed inside the process around the import only. The two kinds
alternate (and swap order every round). The environment is the Lambda's
(``dev.lambda_process.lambda_env``): the prod stage's variables from
.chalice/config.json, the runtime's AWS_* and LAMBDA_TASK_ROOT, fake
credentials, nothing of this shell. Run once with POWERTOOLS_TRACE_DISABLED=true
and once with it unset (tracing on, as deployed).

Importing the app does not build the DynamoDB client (the first request does).
A second pair, "ready", also builds the ledger's client in each process (the
app: PynamoDB's connection; boto3: ``boto3.client("dynamodb")``): what a cold
start costs before the first storage call. Benchmark 6 goes on to serve a payment.
"""

from __future__ import annotations

import json
import statistics
import subprocess
from collections import Counter
from typing import Any

from dev.lambda_process import lambda_env

from .common import PYTHON, ROOT, Deadline, Row

TARGET_RATIO = 1.4
CODE = "import time; t=time.perf_counter(); {body}; print(time.perf_counter()-t)"
IMPORT = {"app": "import app", "boto3": "import boto3"}
READY = {
    "app": "import app; from chalicelib.store.models import LedgerItem; LedgerItem._get_connection().connection.client",
    "boto3": "import boto3; boto3.client('dynamodb')",
}


def sample(body: str, env: dict[str, str], timeout: float = 60.0) -> float:
    p = subprocess.run(
        [str(PYTHON), "-c", CODE.format(body=body)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if p.returncode != 0:
        raise RuntimeError(f"{body} failed ({p.returncode}): {p.stderr.strip()[-800:]}")
    return float(p.stdout.strip().splitlines()[-1])


def import_breakdown(mod: str, env: dict[str, str], top: int = 8) -> dict[str, list[tuple[str, float]]]:
    """Self time of the import (python -X importtime), in ms: summed by top-level package, and the top modules."""
    p = subprocess.run(
        [str(PYTHON), "-X", "importtime", "-c", f"import {mod}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    per: Counter[str] = Counter()
    modules: Counter[str] = Counter()
    for line in p.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line[len("import time:") :].split("|")
        try:
            self_us = int(parts[0].strip())
        except ValueError:
            continue
        module = parts[2].strip()
        per[module.split(".")[0]] += self_us
        modules[module] += self_us
    return {
        "by_package": [(k, round(v / 1000, 1)) for k, v in per.most_common(top)],
        "top_modules": [(k, round(v / 1000, 1)) for k, v in modules.most_common(top)],
    }


def run(runs: int = 12, budget_seconds: float = 150.0) -> dict[str, Any]:
    deadline = Deadline(budget_seconds)
    out: dict[str, Any] = {"runs_each": runs, "target_ratio": TARGET_RATIO}
    for label, tracing in (("tracing_disabled", False), ("tracing_enabled", True)):
        env = lambda_env(tracing=tracing)
        res: dict[str, Any] = {"POWERTOOLS_TRACE_DISABLED": env.get("POWERTOOLS_TRACE_DISABLED", "(unset)")}
        try:
            sample(READY["app"], env)  # warm the file cache and write .pyc once, as every later process finds them
            sample(READY["boto3"], env)
            times: dict[tuple[str, str], list[float]] = {
                (kind, mod): [] for kind in ("import", "ready") for mod in ("app", "boto3")
            }
            for i in range(runs):
                if deadline.passed and i >= 3:
                    res["stopped_early"] = True
                    break
                for kind, code in (("import", IMPORT), ("ready", READY)):
                    for mod in ("app", "boto3") if i % 2 == 0 else ("boto3", "app"):
                        times[kind, mod].append(sample(code[mod], env))
            a, b = statistics.median(times["import", "app"]), statistics.median(times["import", "boto3"])
            ra, rb = statistics.median(times["ready", "app"]), statistics.median(times["ready", "boto3"])
            res.update(
                {
                    "app_median_s": round(a, 4),
                    "boto3_median_s": round(b, 4),
                    "app_samples_s": [round(x, 4) for x in times["import", "app"]],
                    "boto3_samples_s": [round(x, 4) for x in times["import", "boto3"]],
                    "ratio_app_over_boto3": round(a / b, 3),
                    "met": a / b <= TARGET_RATIO,
                    "ready_app_median_s": round(ra, 4),
                    "ready_boto3_median_s": round(rb, 4),
                    "ready_ratio_app_over_boto3": round(ra / rb, 3),
                    "app_import_self_time_ms": import_breakdown("app", env),
                }
            )
        except Exception as exc:
            res["error"] = str(exc)
        out[label] = res
    return out


def rows(res: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    for label, title in (
        ("tracing_disabled", "POWERTOOLS_TRACE_DISABLED=true"),
        ("tracing_enabled", "tracing on (variable unset)"),
    ):
        r = res[label]
        if "error" in r:
            out.append(Row(f"{title}: error", r["error"][-200:], f"<= {TARGET_RATIO}", False))
            continue
        out += [
            Row(f"{title}: import app median", f"{r['app_median_s'] * 1000:.0f} ms (n={len(r['app_samples_s'])})"),
            Row(
                f"{title}: import boto3 median", f"{r['boto3_median_s'] * 1000:.0f} ms (n={len(r['boto3_samples_s'])})"
            ),
            Row(f"{title}: ratio app / boto3", f"{r['ratio_app_over_boto3']:.2f}", f"<= {TARGET_RATIO}", r["met"]),
            Row(
                f"{title}: ready (+ ledger client) app / boto3 (+ client)",
                f"{r['ready_app_median_s'] * 1000:.0f} / {r['ready_boto3_median_s'] * 1000:.0f} ms = "
                f"{r['ready_ratio_app_over_boto3']:.2f}",
            ),
            Row(
                f"{title}: heaviest packages (self ms)",
                ", ".join(f"{k} {v:.0f}" for k, v in r["app_import_self_time_ms"]["by_package"][:5]),
            ),
            Row(
                f"{title}: heaviest modules (self ms)",
                ", ".join(f"{k} {v:.0f}" for k, v in r["app_import_self_time_ms"]["top_modules"][:4]),
            ),
        ]
    return out


if __name__ == "__main__":  # a quick look without the rest of the suite
    print(json.dumps(run(runs=4), indent=2))
