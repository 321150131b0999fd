"""cfn-lint and cdk-nag over what is synthesized: zero errors, and both checks able to fail."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

CFN_LINT = Path(sys.executable).parent / "cfn-lint"


_RUNS: dict[tuple[str, ...], subprocess.CompletedProcess] = {}


def run_once(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run, once per command line in this module: cfn-lint over the session's templates takes some
    seconds, and both its own test and `make synth`'s summary (infra/app.py) run exactly that command."""
    key = tuple(map(str, args))
    if key not in _RUNS:
        _RUNS[key] = subprocess.run(args, **{**kwargs, "capture_output": True, "text": True, "timeout": 300})
    return _RUNS[key]


def lint(paths: list[Path]) -> list[str]:
    """cfn-lint's findings, one 'file:...:RULE:message' line each (the SAM transform is applied)."""
    p = run_once([str(CFN_LINT), "--format", "parseable", *sorted(map(str, paths))])
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
    assert findings == []  # no warning either (the cross-region custom resources that gave W3005 are gone)


def test_cfn_lint_would_catch_chalices_log_group_bug(synth, tmp_path):
    """The unpatched `chalice package` names its log group after a resource that does not exist."""
    broken = json.loads(json.dumps(synth.templates["dev"]))
    broken["Resources"]["ApiHandlerLogGroup"]["Properties"]["LogGroupName"] = {"Fn::Sub": "/aws/lambda/${ApiHandler}"}
    path = tmp_path / "broken.template.json"
    path.write_text(json.dumps(broken))
    assert any(rule(f).startswith("E") for f in lint([path]))


def test_cdk_nag_errors_fail_synthesis_without_the_acknowledgements(tmp_path, monkeypatch):
    """Every acknowledgement is load-bearing: drop them and AwsSolutions stops the synthesis."""
    import infra.concerns.nag
    from infra.app import build

    monkeypatch.setattr(infra.concerns.nag, "suppress", lambda *a, **k: None)  # every construct calls nag.suppress
    app, _ = build(tmp_path / "cdk.out", stages=("dev",))
    with pytest.raises(Exception) as failure:
        app.synth()
    assert "ValidationFailed" in str(failure.value)
    report = json.loads((tmp_path / "cdk.out" / "validation-report.json").read_text())
    failed = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert {
        "AwsSolutions-IAM5[Resource::*]",
        "AwsSolutions-SMG4",
        "AwsSolutions-L1",  # the web app's deployment function (S1 went: the log buckets' policies admit S3's logs)
        "AwsSolutions-COG8",
        "AwsSolutions-SQS3",
    } <= failed


def test_cdk_nag_reports_nothing_unacknowledged(synth):
    report = (
        json.loads((synth.out / "validation-report.json").read_text())
        if (synth.out / "validation-report.json").exists()
        else {"pluginReports": []}
    )
    open_findings = [v for p in report["pluginReports"] for v in p["violations"]]
    assert open_findings == []


def test_make_synth_summary_reports_lint_and_acknowledgements(synth, capsys, monkeypatch):
    from infra.app import summary

    monkeypatch.setattr(subprocess, "run", run_once)  # the same cfn-lint command as the test above: run once
    assert summary(synth.out) == 0
    out = capsys.readouterr().out
    assert "cfn-lint: 0 errors" in out
    acknowledged = int(re.search(r"(\d+) findings acknowledged", out).group(1))
    assert acknowledged >= 20


@pytest.fixture(scope="module")
def cli_out(tmp_path_factory) -> Path:
    """What `cdk deploy` runs (infra/cdk.json: `python app.py` in infra/), with the context the CLI passes, once:
    `make deploy STAGE=dev REGION=us-east-1 API_CONCURRENCY=200 ALARM_EMAIL=... SES_SENDER=...` (the CLI hands
    context values over as strings). Both stacks in one region: the ACL test reads that case from it too."""
    from infra.stages import ROOT

    out = tmp_path_factory.mktemp("cli") / "out"
    context = {
        "stage": "dev",
        "region": "us-east-1",
        "apiConcurrency": "200",
        "alarmEmail": "ops@example.com",
        "sesSender": "noreply@example.com",
    }
    env = {**os.environ, "CDK_OUTDIR": str(out), "CDK_CONTEXT_JSON": json.dumps(context)}
    p = subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT / "infra", env=env, capture_output=True, text=True, timeout=600
    )
    assert p.returncode == 0, p.stderr[-2000:]
    return out


def test_the_cdk_cli_entry_point_synthesizes_one_stage(cli_out):
    manifest = json.loads((cli_out / "manifest.json").read_text())
    stacks = {name for name, a in manifest["artifacts"].items() if a["type"] == "aws:cloudformation:stack"}
    assert stacks == {"dev", "dev-edge"}
    functions = json.loads((cli_out / "dev.template.json").read_text())["Resources"]
    assert functions["APIHandler"]["Properties"]["ReservedConcurrentExecutions"] == 200
    assert "ReservedConcurrentExecutions" not in functions["Reconcile"]["Properties"]
    assert functions["Remind"]["Properties"]["Environment"]["Variables"]["SES_SENDER"] == "noreply@example.com"
    # ALARM_EMAIL subscribes to the alarm topics of both regions
    for stack in ("dev", "dev-edge"):
        resources = json.loads((cli_out / f"{stack}.template.json").read_text())["Resources"]
        [subscription] = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::SNS::Subscription"]
        assert subscription["Protocol"] == "email" and subscription["Endpoint"] == "ops@example.com"


def test_reserved_concurrency_is_opt_in(synth):
    """A new account (quota 10) cannot reserve any concurrency, so the default template reserves none."""
    for stage in ("dev", "prod"):
        for fn in synth.resources(stage, "AWS::Serverless::Function").values():
            assert "ReservedConcurrentExecutions" not in fn["Properties"]


@pytest.mark.parametrize("value", ["0", "-5", "ten", "2.5", ""])
def test_a_bad_concurrency_is_refused_before_anything_is_built(tmp_path, value):
    from infra.app import build

    with pytest.raises(SystemExit, match="apiConcurrency"):
        build(tmp_path / "cdk.out", stages=("dev",), context={"apiConcurrency": value})


def test_a_new_origin_key_generation_changes_the_key_everywhere_it_is_used(synth, tmp_path, monkeypatch):
    """A new value in the same secret would not change the template, so nothing would be redeployed."""
    import dataclasses

    import infra.app
    from infra.app import build

    def origin_key_use(template: dict) -> tuple[str, set[str], str, str]:
        res = template["Resources"]
        [(secret_id, secret)] = [
            (k, v)
            for k, v in res.items()
            if v["Type"] == "AWS::SecretsManager::Secret" and "cloudfront-origin-key" in v["Properties"]["Name"]
        ]
        [key] = [v for v in res.values() if v["Type"] == "AWS::ApiGateway::ApiKey"]
        [dist] = [v for v in res.values() if v["Type"] == "AWS::CloudFront::Distribution"]
        [origin] = [o for o in dist["Properties"]["DistributionConfig"]["Origins"] if "CustomOriginConfig" in o]
        header = {h["HeaderName"]: h["HeaderValue"] for h in origin["OriginCustomHeaders"]}["x-api-key"]
        users = {
            name
            for name, value in (("api key", key["Properties"]["Value"]), ("cloudfront", header))
            if secret_id in json.dumps(value)
        }
        return secret_id, users, secret["Properties"]["Name"], secret["DeletionPolicy"], key["Properties"]["Name"]

    first = origin_key_use(synth.templates["dev"])
    rotated = dataclasses.replace(infra.app.STAGE_SETTINGS["dev"], origin_key_generation=2)
    monkeypatch.setitem(infra.app.STAGE_SETTINGS, "dev", rotated)
    app, _ = build(tmp_path / "cdk.out", stages=("dev",), nag=False)
    assembly = app.synth()
    second = origin_key_use(
        json.loads(Path(assembly.get_stack_by_name("store-balance-dev").template_full_path).read_text())
    )
    assert first[1] == second[1] == {"api key", "cloudfront"}
    assert first[0] != second[0]  # a new secret resource: a new generated value
    assert first[2].endswith("-1") and second[2].endswith("-2")
    assert second[3] == "Delete"  # the old generation is removed once the new one serves
    # the API key's value is create-only: a new generation is a new key (replaced, not edited in place)
    assert first[4].endswith("-cloudfront-1") and second[4].endswith("-cloudfront-2")


def test_the_acl_is_read_across_regions_without_custom_resources(synth, cli_out):
    """Fn::GetStackOutput reads the edge stack's output; no SSM parameter of CDK's, no Node.js function, no exports.
    Across regions (the session's dev stage) and within one (the CLI's synthesis, REGION=us-east-1)."""
    same_region = json.loads((cli_out / "dev.template.json").read_text())
    manifest = json.loads((cli_out / "manifest.json").read_text())
    assert manifest["artifacts"]["dev"]["environment"].endswith("/us-east-1")  # the same region as the edge
    for template, region in ((synth.templates["dev"], "ap-southeast-1"), (same_region, "us-east-1")):
        [dist] = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudFront::Distribution"]
        read = dist["Properties"]["DistributionConfig"]["WebACLId"]["Fn::GetStackOutput"]
        assert read["StackName"] == "store-balance-dev-edge", region
        assert read["OutputName"] in synth.templates["dev-edge"]["Outputs"]
        assert not [
            r
            for r in template["Resources"].values()
            if (r["Type"].startswith("Custom::") and r["Type"] != "Custom::CDKBucketDeployment")  # the web app's files
            # CDK's cross-region references would be parameters; the web client's ids are the stage's own one
            or (r["Type"] == "AWS::SSM::Parameter" and r["Properties"]["Name"] != "/store-balance-dev/web-client-ids")
        ], region
    edge = synth.templates["dev-edge"]
    assert not [r for r in edge["Resources"].values() if r["Type"].startswith(("AWS::Lambda::", "AWS::IAM::"))]
    assert all("Export" not in o for o in edge["Outputs"].values())  # nothing locks the edge stack


def test_prod_has_termination_protection_and_dev_does_not(synth):
    manifest = json.loads((synth.out / "manifest.json").read_text())
    protection = {
        name: a["properties"].get("terminationProtection", False)
        for name, a in manifest["artifacts"].items()
        if a["type"] == "aws:cloudformation:stack"
    }
    assert protection["prod"] is True and protection["dev"] is False
