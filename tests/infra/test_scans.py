"""checkov over what is synthesized: nothing open, every skip load-bearing and explained (infra/scan.py).

checkov runs from the scan virtualenv (``make install-scan``; ``make test`` makes it first). Without it these
tests fail, they do not skip: a scan that did not run is not a clean scan.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra import scan
from infra.concerns.checkov import MIN_REASON

TEMPLATES = ("dev", "dev-edge", "prod", "prod-edge")
UNSUPPRESSED = "unsuppressed-"
CUSTOM_DOMAIN = "custom-domain"


def _without_skips(template: dict[str, Any]) -> dict[str, Any]:
    template = json.loads(json.dumps(template))
    for resource in template["Resources"].values():
        metadata = resource.get("Metadata", {})
        metadata.pop("checkov", None)
        if not metadata:
            resource.pop("Metadata", None)
    return template


def _custom_domain_template(out: Path) -> Path:
    """The CloudFront concern alone, with a custom domain and its certificate (no synthesis of the service)."""
    import aws_cdk as cdk
    from aws_cdk import aws_secretsmanager as sm

    from infra.concerns.edge import Edge
    from infra.stages import STAGE_SETTINGS

    app = cdk.App(outdir=str(out))
    stack = cdk.Stack(app, CUSTOM_DOMAIN, env=cdk.Environment(account="111111111111", region="us-east-1"))
    Edge(
        stack,
        "Cdn",
        stage=STAGE_SETTINGS["dev"],
        rest_api_id="a1b2c3d4e5",
        origin_key=sm.Secret(stack, "Key"),
        web_acl_arn="arn:aws:wafv2:us-east-1:111111111111:global/webacl/edge/0",
        domain_name="pay.example.com",
        certificate_arn="arn:aws:acm:us-east-1:111111111111:certificate/0",
    )
    return Path(app.synth().get_stack_by_name(CUSTOM_DOMAIN).template_full_path)


@pytest.fixture(scope="module")
def checkov(request, tmp_path_factory) -> dict[str, scan.Checkov]:
    """One checkov run: the session's templates, the same without their skips, and a custom-domain edge; its
    results by template (file name without .template.json)."""
    try:
        scan.tool("checkov")
    except scan.ScanVenvMissing as missing:
        pytest.fail(str(missing))  # before synthesizing anything
    synth = request.getfixturevalue("synth")
    work = tmp_path_factory.mktemp("checkov")
    templates = [synth.out / f"{name}.template.json" for name in TEMPLATES]
    for name in TEMPLATES:
        path = work / f"{UNSUPPRESSED}{name}.template.json"
        path.write_text(json.dumps(_without_skips(synth.templates[name])))
        templates.append(path)
    templates.append(_custom_domain_template(work / "cdk.out"))
    result = scan.checkov(templates)
    by_template = {Path(t).name.removesuffix(".template.json"): scan.Checkov() for t in templates}
    for kind in ("failed", "skipped", "passed"):
        for r in getattr(result, kind):
            getattr(by_template[Path(r["file_abs_path"]).name.removesuffix(".template.json")], kind).append(r)
    assert result.parsing_errors == []
    return by_template


def _found(results: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(r["check_id"], r["resource"]) for r in results}


@pytest.mark.parametrize("template", TEMPLATES)
def test_checkov_finds_nothing_unsuppressed(checkov, template):
    result = checkov[template]
    assert result.lines(result.failed) == []
    assert result.passed  # it did check this template


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_checkov_skip_has_a_reason_and_is_load_bearing(checkov, template):
    """Without its skips the template fails exactly the checks it skips: no skip hides nothing."""
    skipped = checkov[template].skipped
    assert skipped
    for r in skipped:
        assert len(r["check_result"].get("suppress_comment", "")) >= MIN_REASON, (r["check_id"], r["resource"])
    assert _found(checkov[f"{UNSUPPRESSED}{template}"].failed) == _found(skipped)


def test_a_custom_domain_is_served_with_tls_1_2_at_least(checkov):
    """Only the default *.cloudfront.net certificate (no custom domain) skips CKV_AWS_174."""
    result = checkov[CUSTOM_DOMAIN]
    assert {c for c, _ in _found(result.passed)} >= {"CKV_AWS_174"}
    assert "CKV_AWS_174" not in {c for c, _ in _found(result.skipped) | _found(result.failed)}
    assert "CKV_AWS_174" in {c for c, _ in _found(checkov["dev"].skipped)}  # the default certificate


SECRET_LIKE = re.compile(r"SECRET|PASSWORD|TOKEN|CREDENTIAL|PRIVATE|(^|_)KEY($|_)")


@pytest.mark.parametrize("stage", ("dev", "prod"))
def test_function_environments_hold_no_secret(synth, stage):
    """What the CKV_AWS_173 skip says: names, ARNs and limits only; secrets are read from Secrets Manager."""
    resources = synth.templates[stage]["Resources"]
    secrets = {k for k, v in resources.items() if v["Type"] == "AWS::SecretsManager::Secret"}
    functions = synth.resources(stage, "AWS::Serverless::Function")
    assert functions
    for fn_id, fn in functions.items():
        for name, value in fn["Properties"]["Environment"]["Variables"].items():
            if SECRET_LIKE.search(name):
                assert name.endswith(("_NAME", "_ARN", "_ID")), (fn_id, name)
            text = json.dumps(value)
            assert "resolve:secretsmanager" not in text and not any(f'"{s}"' in text for s in secrets), (fn_id, name)


@pytest.mark.parametrize("stage", ("dev", "prod"))
def test_the_stage_key_encrypts_its_log_groups_and_lets_cloudwatch_logs_use_it(synth, stage):
    """A log group under a key whose policy does not name it fails to deploy: each group's name is matched."""
    key_id, key = synth.one(stage, "AWS::KMS::Key")
    # the stage's groups, and the analytics export's delivery log (infra/concerns/analytics.py)
    found = {
        s["Sid"]: s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") in ("CloudWatchLogsEncryptTheStagesLogGroups", "CloudWatchLogsEncryptTheExportsLogGroup")
    }
    assert len(found) == 2
    patterns = []
    for statement in found.values():
        assert re.fullmatch(r"logs\.[a-z0-9-]+\.amazonaws\.com", statement["Principal"]["Service"])
        # each pattern: Fn::Join of arn:, partition, :logs:, region, :, account, :log-group:<name>
        patterns += [
            p["Fn::Join"][1][-1].split(":log-group:", 1)[1]
            for p in _listify(statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
        ]
    groups = synth.resources(stage, "AWS::Logs::LogGroup")
    # and the API's access logs, the export's delivery log and the web app's deployment function's log
    assert len(groups) == len(synth.resources(stage, "AWS::Serverless::Function")) + 3
    for group_id, group in groups.items():
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}, group_id
        name = group["Properties"]["LogGroupName"]
        assert any(re.fullmatch(re.escape(p).replace(r"\*", ".*"), name) for p in patterns), (group_id, name)


def _listify(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def test_a_missing_scan_venv_is_an_error_not_a_pass(monkeypatch, tmp_path):
    monkeypatch.setenv("SCAN_VENV", str(tmp_path / "nowhere"))
    with pytest.raises(scan.ScanVenvMissing, match="make install-scan"):
        scan.tool("checkov")


NOT_FOUND = "Dependency not found on PyPI and could not be audited: {0} ({1})"


def _audit(*dependencies: dict[str, Any]) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


@pytest.mark.parametrize(
    "returncode, stdout, stderr, passes, says",
    [
        # what these machines get: "not found" for every package, and pip-audit's own verdict would be a pass
        (
            0,
            _audit(
                {"name": "pynamodb", "skip_reason": NOT_FOUND.format("pynamodb", "6.1.0")},
                {"name": "boto3", "skip_reason": NOT_FOUND.format("boto3", "1.44.8")},
            ),
            "",
            False,
            "NOT AUDITED - the advisory service answered 'not found' for every one of the 2",
        ),
        (1, "", "requests.exceptions.ConnectionError: Failed to resolve 'pypi.org'", False, "cannot be reached"),
        (
            0,
            _audit(
                {"name": "boto3", "version": "1.44.8", "vulns": []},
                {"name": "pynamodb", "skip_reason": NOT_FOUND.format("pynamodb", "6.1.0")},
            ),
            "",
            False,
            "NOT AUDITED pynamodb",
        ),
        (
            1,
            _audit({"name": "boto3", "version": "1.0", "vulns": [{"id": "GHSA-x", "fix_versions": ["1.1"]}]}),
            "",
            False,
            "VULNERABLE boto3 1.0: GHSA-x (fixed in 1.1)",
        ),
        (0, _audit({"name": "boto3", "version": "1.44.8", "vulns": []}), "", True, "1 pinned packages audited"),
    ],
    ids=["nothing-found", "unreachable", "some-not-audited", "vulnerable", "clean"],
)
def test_pip_audit_passes_only_when_every_pin_was_looked_up(returncode, stdout, stderr, passes, says):
    ok, lines = scan.pip_audit_verdict(returncode, stdout, stderr)
    assert ok is passes
    assert says in "\n".join(lines)


def test_bandit_finds_nothing_in_the_code():
    """Every line bandit would flag is fixed, or carries `# nosec <id> - <reason>` (infra/bandit.yaml says which
    checks are off for the whole tree, and why)."""
    from infra.scan import bandit

    assert [f"{f['filename']}:{f['line_number']} {f['test_id']} {f['issue_text']}" for f in bandit()] == []


def test_every_nosec_says_why():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    bare = [
        f"{path.relative_to(root)}:{n}"
        for top in ("chalicelib", "dev", "infra", "app.py")
        for path in ([root / top] if top.endswith(".py") else (root / top).rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "# nosec" in line and " - " not in line.split("# nosec", 1)[1]
    ]
    assert bare == []
