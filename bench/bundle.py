"""Benchmark 4: the Lambda bundle `make package` builds (dev/package.py), and whether it imports.

Size: the zipped deployment.zip in MB (10^6 bytes) as `chalice package --stage
prod` makes it and then without the libraries the Lambda runtime already
provides (dev/package.py strips them), and what takes the room. Then a smoke
test the size alone cannot give: `import app` from the extracted bundle in an
isolated interpreter (-I -S: the standard library, the bundle and the
runtime-provided packages, nothing else of the virtualenv) with the Lambda's
environment, tracing on and off, and the cold import time from it without
.pyc files, as on Lambda's read-only /var/task.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from dev import package

from .cold_import import lambda_env
from .common import CHALICE, PYTHON, ROOT, Row

TARGET_MB = 10.0
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "python_dateutil", "urllib3", "six")


def _top(name: str) -> str:
    return name.split("/", 1)[0]


def analyse(zip_path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(zip_path) as z:
        infos = z.infolist()
    compressed: Counter[str] = Counter()
    raw: Counter[str] = Counter()
    for i in infos:
        compressed[_top(i.filename)] += i.compress_size
        raw[_top(i.filename)] += i.file_size
    size = zip_path.stat().st_size

    def runtime_provided(top: str) -> bool:
        base = top.split("-", 1)[0].removesuffix(".py").lower()
        return base in RUNTIME_PROVIDED

    without = size - sum(v for k, v in compressed.items() if runtime_provided(k))
    return {
        "zip_bytes": size,
        "zip_mb": round(size / 1e6, 2),
        "zip_mib": round(size / 2**20, 2),
        "unzipped_mb": round(sum(raw.values()) / 1e6, 2),
        "files": len(infos),
        "pyc_files": sum(1 for i in infos if i.filename.endswith(".pyc")),
        "largest_entries_compressed_mb": [(k, round(v / 1e6, 2)) for k, v in compressed.most_common(8)],
        "runtime_provided_in_bundle": sorted({k for k in compressed if runtime_provided(k)}),
        "zip_mb_without_runtime_provided": round(without / 1e6, 2),
    }


def _bundle_import(bundle: Path, runtime: Path, tracing: bool) -> tuple[bool, float | None, str]:
    env = lambda_env(tracing=tracing)
    env["LAMBDA_TASK_ROOT"] = str(bundle)
    code = (
        f"import sys; sys.path[:0] = [{str(bundle)!r}, {str(runtime)!r}]; import time; t=time.perf_counter(); "
        "import app; print(time.perf_counter()-t)"
    )
    # -I -S: no user site, no site-packages; -B: no .pyc written (Lambda's /var/task is read-only)
    p = subprocess.run(
        [str(PYTHON), "-I", "-S", "-B", "-c", code], cwd=bundle, env=env, capture_output=True, text=True, timeout=60
    )
    if p.returncode != 0:
        last = [ln for ln in p.stderr.strip().splitlines() if ln.strip()]
        return False, None, (last[-1] if last else f"exit {p.returncode}")
    return True, float(p.stdout.strip().splitlines()[-1]), ""


def run(timeout: float = 300.0) -> dict[str, Any]:
    out: dict[str, Any] = {"target_mb": TARGET_MB}
    with tempfile.TemporaryDirectory(prefix="bench-package-") as tmp:
        target = Path(tmp) / "package"
        env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
        t0 = time.perf_counter()
        try:
            p = subprocess.run(
                [str(CHALICE), "package", "--stage", "prod", str(Path(tmp) / "raw")],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            if p.returncode != 0:
                out["error"] = f"chalice package exited {p.returncode}: {(p.stderr or p.stdout).strip()[-1500:]}"
                return out
            out["unstripped_zip_mb"] = round((Path(tmp) / "raw" / "deployment.zip").stat().st_size / 1e6, 2)
            t0 = time.perf_counter()
            zip_path = package.build("prod", target)
            out["package_seconds"] = round(time.perf_counter() - t0, 1)
        except subprocess.CalledProcessError as exc:
            out["error"] = f"make package failed: {(exc.stderr or exc.stdout or '').strip()[-1500:]}"
            return out
        except subprocess.TimeoutExpired:
            out["error"] = f"chalice package did not finish within {timeout:.0f} s"
            return out
        except OSError as exc:
            out["error"] = f"chalice package could not run: {exc}"
            return out
        out.update(analyse(zip_path))
        out["met"] = out["zip_mb"] <= TARGET_MB
        out["native_code"] = package.native_architectures(zip_path)

        # The deployed stages are arm64: the import smoke runs an identical build for this CPU.
        try:
            native_zip = package.build("prod", Path(tmp) / "native", architecture=package.NATIVE)
        except subprocess.CalledProcessError as exc:
            out["error"] = f"native build failed: {(exc.stderr or exc.stdout or '').strip()[-1500:]}"
            return out
        bundle = Path(tmp) / "bundle"
        with zipfile.ZipFile(native_zip) as z:
            z.extractall(bundle)
        runtime = package.runtime_site(Path(tmp) / "runtime")
        smoke: dict[str, Any] = {}
        for label, tracing in (("tracing_disabled", False), ("tracing_enabled", True)):
            ok, first, err = _bundle_import(bundle, runtime, tracing)
            entry: dict[str, Any] = {"imports": ok}
            if ok:
                times = [first] + [t for t in (_bundle_import(bundle, runtime, tracing)[1] for _ in range(2)) if t]
                entry["cold_import_no_pyc_median_s"] = round(statistics.median(times), 4)
                entry["samples_s"] = [round(t, 4) for t in times]
            else:
                entry["error"] = err
            smoke[label] = entry
        out["bundle_import"] = smoke

    return out


def rows(res: dict[str, Any]) -> list[Row]:
    if "error" in res:
        return [Row("chalice package", res["error"][-300:], f"<= {TARGET_MB} MB", False)]
    out = [
        Row(
            "deployment.zip (zipped, make package)",
            f"{res['zip_mb']:.2f} MB ({res['zip_mib']:.2f} MiB)",
            f"<= {TARGET_MB} MB",
            res["met"],
        ),
        Row("as chalice package makes it (with runtime-provided libs)", f"{res['unstripped_zip_mb']:.2f} MB"),
        Row("unzipped / files / .pyc files", f"{res['unzipped_mb']:.1f} MB / {res['files']} / {res['pyc_files']}"),
        Row(
            "largest entries (compressed MB)",
            ", ".join(f"{k} {v:.1f}" for k, v in res["largest_entries_compressed_mb"][:5]),
        ),
        Row(
            "runtime-provided libraries bundled",
            ", ".join(k for k in res["runtime_provided_in_bundle"] if not k.endswith((".dist-info", ".data")))
            or "none",
        ),
        Row("make package time", f"{res['package_seconds']:.1f} s"),
        Row(
            "native code in the bundle (ELF objects by CPU)",
            ", ".join(f"{k}: {v}" for k, v in sorted(res["native_code"].items())),
            "arm64 only",
            set(res["native_code"]) <= {"arm64"},
        ),
    ]
    for label, title in (
        ("tracing_disabled", "POWERTOOLS_TRACE_DISABLED=true"),
        ("tracing_enabled", "tracing on (prod default)"),
    ):
        b = res.get("bundle_import", {}).get(label)
        if b is None:
            continue
        if b["imports"]:
            out.append(
                Row(
                    f"bundle `import app`, {title}",
                    f"ok, {b['cold_import_no_pyc_median_s'] * 1000:.0f} ms cold without .pyc",
                    "imports",
                    True,
                )
            )
        else:
            out.append(Row(f"bundle `import app`, {title}", f"FAILS: {b['error'][:120]}", "imports", False))
    return out
