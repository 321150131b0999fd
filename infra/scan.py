"""Security scans, `make scan`: checkov on the synthesized templates, bandit on the code, pip-audit on the pins.

All three run from a virtualenv of their own (``.venv-scan``, from ``requirements-scan.txt``: checkov pins its own
boto3, which the app's venv cannot have). This module is standard library only: tests/infra/test_scans.py imports
it from the app's venv and runs checkov through it.

* checkov: every finding is fixed or skipped at its resource with a reason (``infra/concerns/checkov.py``);
  anything else fails.
* bandit: ``infra/bandit.yaml`` (the checks left out, and why); anything it reports fails.
* pip-audit: the versions pinned in the requirements files (not what they pull in). A package the advisory
  service could not look up is NOT audited, and fails the scan: pip-audit itself says "No known vulnerabilities
  found" and exits 0 when it looked up nothing at all.

``python -m infra.scan [checkov] [bandit] [pip-audit] [--venv DIR] [--templates DIR]``; exit 1 if any fails.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCAN_VENV = ROOT / ".venv-scan"
TEMPLATES = ROOT / "infra" / "cdk.out"
BANDIT_CONFIG = ROOT / "infra" / "bandit.yaml"
BANDIT_TARGETS = ("chalicelib", "app.py", "dev", "infra")
REQUIREMENTS = (
    "requirements.txt",
    "requirements-dev.txt",
    "requirements-segmentation.txt",  # deployed too: the segmentation functions' layer
    "infra/requirements.txt",
)
# checkov: no calls to its vendor's platform (guidelines, severities) and no update check; offline, as CI may be
CHECKOV_ENV = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}


class ScanVenvMissing(RuntimeError):
    """The scan virtualenv (or one of its tools) is not there: nothing can be scanned."""


def venv() -> Path:
    configured = os.environ.get("SCAN_VENV")
    path = Path(configured) if configured else SCAN_VENV
    return path if path.is_absolute() else ROOT / path


def tool(name: str, scan_venv: Path | None = None) -> Path:
    path = (scan_venv or venv()) / "bin" / name
    if not os.access(path, os.X_OK):
        raise ScanVenvMissing(
            f"{path} is missing: `make install-scan` creates the scan virtualenv from "
            "requirements-scan.txt (`make test` and `make scan` do it first)"
        )
    return path


# ---------------------------------------------------------------- checkov
@dataclass
class Checkov:
    failed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    passed: list[dict[str, Any]] = field(default_factory=list)
    parsing_errors: list[str] = field(default_factory=list)
    resource_count: int = 0

    def lines(self, results: list[dict[str, Any]]) -> list[str]:
        return sorted(
            f"{r['check_id']} {Path(r['file_abs_path']).name} {r['resource']}: {r['check_name']}" for r in results
        )


def checkov(templates: list[Path], scan_venv: Path | None = None) -> Checkov:
    """checkov's CloudFormation checks on the templates: what failed, what was skipped (with its comment), passed."""
    if not templates:
        raise ValueError("no templates to scan: `make synth` writes them to infra/cdk.out")
    cmd = [
        str(tool("checkov", scan_venv)),
        "--framework",
        "cloudformation",
        "--compact",
        "--skip-download",
        "--output",
        "json",
    ]
    for template in templates:
        cmd += ["--file", str(Path(template).resolve())]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, env={**os.environ, **CHECKOV_ENV})
    try:
        reports = json.loads(p.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"checkov exited {p.returncode} without a report: {(p.stderr or p.stdout)[-2000:]}") from exc
    result = Checkov()
    for report in reports if isinstance(reports, list) else [reports]:
        if "results" not in report:  # checkov's answer when it found nothing to check
            continue
        r = report["results"]
        result.failed += r.get("failed_checks", [])
        result.skipped += r.get("skipped_checks", [])
        result.passed += r.get("passed_checks", [])
        result.parsing_errors += r.get("parsing_errors", [])
        result.resource_count += report["summary"]["resource_count"]
    if p.returncode not in (0, 1) or result.resource_count == 0:
        raise RuntimeError(
            f"checkov exited {p.returncode} having checked {result.resource_count} resources: {p.stderr[-2000:]}"
        )
    return result


def run_checkov(templates_dir: Path, scan_venv: Path | None) -> tuple[bool, list[str]]:
    templates = sorted(templates_dir.glob("*.template.json"))
    result = checkov(templates, scan_venv)
    ok = not result.failed and not result.parsing_errors
    lines = [
        f"checkov: {len(templates)} templates, {result.resource_count} resources: {len(result.passed)} passed, "
        f"{len(result.failed)} failed, {len(result.skipped)} skipped at their resource with a reason"
    ]
    lines += [f"  FAILED {line}" for line in result.lines(result.failed)]
    lines += [f"  PARSING ERROR {e}" for e in result.parsing_errors]
    return ok, lines


# ---------------------------------------------------------------- bandit
def bandit(scan_venv: Path | None = None) -> list[dict[str, Any]]:
    """bandit's findings on the code, with infra/bandit.yaml."""
    p = subprocess.run(
        [
            str(tool("bandit", scan_venv)),
            "--configfile",
            str(BANDIT_CONFIG),
            "--recursive",
            "--format",
            "json",
            "--quiet",
            *BANDIT_TARGETS,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        report = json.loads(p.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"bandit exited {p.returncode} without a report: {(p.stderr or p.stdout)[-2000:]}") from exc
    if report.get("errors"):
        raise RuntimeError(f"bandit could not read: {report['errors']}")
    return report["results"]


def run_bandit(scan_venv: Path | None) -> tuple[bool, list[str]]:
    findings = bandit(scan_venv)
    lines = [f"bandit ({', '.join(BANDIT_TARGETS)}; {BANDIT_CONFIG.relative_to(ROOT)}): {len(findings)} findings"]
    lines += [
        f"  {f['test_id']} {f['issue_severity'].lower()} {f['filename']}:{f['line_number']}: {f['issue_text']}"
        for f in sorted(findings, key=lambda f: (f["filename"], f["line_number"]))
    ]
    return not findings, lines


# ---------------------------------------------------------------- pip-audit
def pip_audit_verdict(returncode: int, stdout: str, stderr: str) -> tuple[bool, list[str]]:
    """pip-audit's JSON report read strictly: passes only if every pinned package was looked up and none is
    vulnerable. A package it could not look up ("Dependency not found on PyPI": the advisory service did not
    answer for it) is reported as not audited; if that is every package, the service is unreachable from here."""
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError:
        last = (stderr.strip().splitlines() or ["no output"])[-1]
        return False, [
            f"pip-audit: NOT AUDITED - the advisory service cannot be reached (pip-audit exited {returncode}): {last}"
        ]
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if "skip_reason" in d]
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    if dependencies and not audited:
        return False, [
            f"pip-audit: NOT AUDITED - the advisory service answered 'not found' for every one of the "
            f"{len(dependencies)} pinned packages, so it cannot be reached from this machine (PyPI's JSON "
            "API, pypi.org/pypi/<name>/<version>/json); nothing is known about their vulnerabilities. "
            "Run `make scan` where that API answers."
        ]
    lines = [
        f"pip-audit ({', '.join(REQUIREMENTS)}): {len(audited)} pinned packages audited, "
        f"{len(vulnerable)} vulnerable, {len(skipped)} not audited"
    ]
    for d in vulnerable:
        for v in d["vulns"]:
            fixes = ", ".join(v.get("fix_versions", [])) or "no fixed version"
            lines.append(f"  VULNERABLE {d['name']} {d['version']}: {v['id']} (fixed in {fixes})")
    lines += [f"  NOT AUDITED {d['name']}: {d['skip_reason']}" for d in skipped]
    return not vulnerable and not skipped and bool(audited), lines


def run_pip_audit(scan_venv: Path | None) -> tuple[bool, list[str]]:
    # --no-deps --disable-pip: the pins as written, looked up directly (no resolver, no throwaway venv)
    cmd = [
        str(tool("pip-audit", scan_venv)),
        "--no-deps",
        "--disable-pip",
        "--progress-spinner",
        "off",
        "--format",
        "json",
    ]
    for requirements in REQUIREMENTS:
        cmd += ["--requirement", requirements]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    return pip_audit_verdict(p.returncode, p.stdout, p.stderr)


SCANS = {
    "checkov": lambda a: run_checkov(a.templates, a.venv),
    "bandit": lambda a: run_bandit(a.venv),
    "pip-audit": lambda a: run_pip_audit(a.venv),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.scan", description=__doc__.split("\n\n")[0])
    parser.add_argument("scans", nargs="*", metavar="scan", help=f"any of {', '.join(SCANS)} (default: all)")
    parser.add_argument("--venv", type=Path, default=None, help="the scan virtualenv (default .venv-scan)")
    parser.add_argument("--templates", type=Path, default=TEMPLATES, help="the synthesized templates' directory")
    args = parser.parse_args(argv)
    unknown = [s for s in args.scans if s not in SCANS]
    if unknown:
        parser.error(f"unknown scan {unknown}; known: {', '.join(SCANS)}")
    if args.venv is not None and not args.venv.is_absolute():
        args.venv = ROOT / args.venv
    verdicts = {}
    for name in args.scans or list(SCANS):
        try:
            ok, lines = SCANS[name](args)
        except (ScanVenvMissing, RuntimeError, ValueError) as exc:
            ok, lines = False, [f"{name}: could not run: {exc}"]
        verdicts[name] = ok
        print("\n".join(lines), flush=True)
    print("scan: " + ", ".join(f"{name} {'passed' if ok else 'FAILED'}" for name, ok in verdicts.items()))
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
