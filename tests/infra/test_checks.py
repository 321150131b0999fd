"""cfn-lint and cdk-nag over what is synthesized: zero errors, and both checks able to fail."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CFN_LINT = Path(sys.executable).parent / "cfn-lint"


def lint(paths: list[Path]) -> list[str]:
    """cfn-lint's findings, one 'file:...:RULE:message' line each (the SAM transform is applied)."""
    p = subprocess.run([str(CFN_LINT), "--format", "parseable", *map(str, paths)], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode in (0, 2, 4, 6, 8, 10, 12, 14), p.stderr  # bit flags: 2 error, 4 warning, 8 info
    return [line for line in p.stdout.splitlines() if line.strip()]


def rule(finding: str) -> str:
    return finding.split(":")[5]


def test_cfn_lint_finds_no_error_in_any_template(synth):
    templates = sorted(synth.out.glob("*.template.json"))
    assert len(templates) == 4
    findings = lint(templates)
    errors = [f for f in findings if rule(f).startswith("E")]
    assert errors == []


def test_cfn_lint_would_catch_chalices_log_group_bug(synth, tmp_path):
    """The unpatched `chalice package` names its log group after a resource that does not exist."""
    broken = json.loads(json.dumps(synth.templates["dev"]))
    broken["Resources"]["ApiHandlerLogGroup"]["Properties"]["LogGroupName"] = {"Fn::Sub": "/aws/lambda/${ApiHandler}"}
    path = tmp_path / "broken.template.json"
    path.write_text(json.dumps(broken))
    assert any(rule(f).startswith("E") for f in lint([path]))


def test_cdk_nag_errors_fail_synthesis_without_the_acknowledgements(tmp_path, monkeypatch):
    """Every acknowledgement is load-bearing: drop them and AwsSolutions stops the synthesis."""
    import infra.stacks
    from infra.app import build

    monkeypatch.setattr(infra.stacks, "suppress", lambda *a, **k: None)
    app, _ = build(tmp_path / "cdk.out", stages=("dev",))
    with pytest.raises(Exception) as failure:
        app.synth()
    assert "ValidationFailed" in str(failure.value)
    report = json.loads((tmp_path / "cdk.out" / "validation-report.json").read_text())
    failed = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert {"AwsSolutions-IAM5[Resource::*]", "AwsSolutions-SMG4", "AwsSolutions-S1", "AwsSolutions-COG8"} <= failed


def test_cdk_nag_reports_nothing_unacknowledged(synth):
    report = json.loads((synth.out / "validation-report.json").read_text()) \
        if (synth.out / "validation-report.json").exists() else {"pluginReports": []}
    open_findings = [v for p in report["pluginReports"] for v in p["violations"]]
    assert open_findings == []
