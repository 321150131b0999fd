"""The CDK app: for each stage, an edge stack (us-east-1) and the service stack.

Run by `make synth` (every stage, offline, into infra/cdk.out) and by the CDK CLI
for `make deploy STAGE=...` (cdk.json; only that stage is built). Context:
``stage`` (one stage only), ``region`` (service region; else CDK_DEFAULT_REGION,
else ap-southeast-1), ``domainName`` + ``certificateArn`` (optional custom domain,
certificate in us-east-1), ``alarmEmail`` (optional subscriber of the alarm topic),
``apiConcurrency`` (optional reserved concurrency of the API function: a row's ``concurrency_context`` in
infra/functions.py), ``sesSender`` (optional SES
identity, an address or a domain verified in the service region, that reminders are e-mailed from; else the
stage's ``ses_sender``, else no e-mail and no SES permission).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script by the CDK CLI: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "infra"

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")  # synthesis works on Node 20; see README
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # chalice package needs a region to name things

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from .functions import FUNCTIONS
from .stacks import EdgeStack, ServiceStack
from .stages import DEFAULT_REGION, EDGE_REGION, SERVICE, STAGE_SETTINGS, STAGES

OUT_DIR = Path(__file__).resolve().parent / "cdk.out"
CROSS_STACK_REFERENCES = "@aws-cdk/core:defaultCrossStackReferences"


def positive_int(ctx: Any, name: str) -> int | None:
    """A context value that must be a whole number >= 1 when given (the CLI passes strings)."""
    value = ctx(name)
    if value is None:
        return None
    if not (str(value).isdigit() and int(value) >= 1):
        raise SystemExit(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")


def ses_identity(value: str | None) -> str | None:
    """An SES identity (e-mail address or domain) when given; anything else is refused before synthesis."""
    if value is None or value == "":
        return None
    value = str(value).strip()
    if not (EMAIL.fullmatch(value) or DOMAIN.fullmatch(value)):
        raise SystemExit(f"sesSender must be an e-mail address or a domain verified in SES, not {value!r}")
    return value


def build(
    outdir: Path = OUT_DIR,
    stages: tuple[str, ...] | None = None,
    context: dict[str, str] | None = None,
    nag: bool = True,
) -> tuple[cdk.App, dict[str, tuple[EdgeStack, ServiceStack]]]:
    """The CDK app of the stages. ``nag=False`` leaves out cdk-nag's validation, which reads the templates and
    changes nothing in them (about half of a synthesis): for the tests' variant builds, which check a property
    of a template; the deployed stages, `make synth` and the tests' own synthesis of every stage keep it."""
    # Weak cross-stack references: the service stack reads the edge stack's ACL ARN with CloudFormation's
    # Fn::GetStackOutput, across regions, instead of CDK's strong default (SSM parameters written and read
    # by two Node.js custom-resource functions, and exports that lock the producer against changes).
    app = cdk.App(outdir=str(outdir), context={CROSS_STACK_REFERENCES: "weak", **(context or {})})
    ctx = app.node.try_get_context
    chosen = (ctx("stage"),) if ctx("stage") else (stages or STAGES)
    unknown = [s for s in chosen if s not in STAGE_SETTINGS]
    if unknown:
        raise SystemExit(f"unknown stage {unknown}; known: {', '.join(STAGES)}")
    region = ctx("region") or os.environ.get("CDK_DEFAULT_REGION") or DEFAULT_REGION
    if bool(ctx("domainName")) != bool(ctx("certificateArn")):
        raise SystemExit("a custom domain needs both domainName and certificateArn (an ACM certificate in us-east-1)")
    reserved = {
        spec.logical_id: positive_int(ctx, spec.concurrency_context) for spec in FUNCTIONS if spec.concurrency_context
    }
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    work_dir = outdir.parent / "chalice.out"
    work_dir.mkdir(parents=True, exist_ok=True)
    stacks = {}
    for name in chosen:
        stage = STAGE_SETTINGS[name]
        edge = EdgeStack(
            app,
            f"{name}-edge",
            stage=stage,
            stack_name=f"{stage.prefix}-edge",
            alarm_email=ctx("alarmEmail"),
            env=cdk.Environment(account=account, region=EDGE_REGION),
            description=f"{SERVICE} {name}: CloudFront WAF and its alarm (us-east-1)",
        )
        service = ServiceStack(
            app,
            name,
            stage=stage,
            web_acl_arn=edge.web_acl_arn,
            work_dir=work_dir,
            stack_name=stage.prefix,
            env=cdk.Environment(account=account, region=region),
            termination_protection=stage.production,
            domain_name=ctx("domainName"),
            certificate_arn=ctx("certificateArn"),
            alarm_email=ctx("alarmEmail"),
            reserved_concurrency={k: v for k, v in reserved.items() if v},
            ses_sender=ses_identity(ctx("sesSender") or stage.ses_sender),
            description=f"{SERVICE} {name}: API, functions, ledger table, users, events, alarms",
        )
        service.add_stack_dependency(edge)
        for stack in (edge, service):
            cdk.Tags.of(stack).add("service", SERVICE)
            cdk.Tags.of(stack).add("stage", name)
        stacks[name] = (edge, service)
    if nag:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return app, stacks


def summary(outdir: Path) -> int:
    """cfn-lint over every template, and the cdk-nag acknowledgements; 1 if cfn-lint finds an error."""
    import json
    import subprocess

    templates = sorted(str(p) for p in outdir.glob("*.template.json"))
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", *templates],
        capture_output=True,
        text=True,
    )
    findings = [line.split(":")[5] for line in lint.stdout.splitlines() if line.count(":") >= 6]
    errors = [f for f in findings if f.startswith("E")]
    print(
        f"cfn-lint: {len(errors)} errors, {len(findings) - len(errors)} warnings/infos "
        f"({', '.join(sorted(set(findings))) or 'none'})"
    )
    acknowledged = 0
    for meta in outdir.glob("*.metadata.json"):
        for entries in json.loads(meta.read_text()).values():
            acknowledged += sum(len(e["data"]) for e in entries if "acknowledged" in e.get("type", ""))
    print(
        f"cdk-nag AwsSolutions: 0 unacknowledged errors (synthesis stops on any); "
        f"{acknowledged} findings acknowledged with reasons (cdk-nag and CDK template validation; infra/concerns/)"
    )
    return 1 if errors or lint.returncode & 1 else 0


def main() -> int:
    outdir = Path(os.environ.get("CDK_OUTDIR", OUT_DIR))
    app, _ = build(outdir)
    assembly = app.synth()
    if os.environ.get("CDK_OUTDIR"):  # run by the CDK CLI: it reads the assembly itself
        return 0
    print(f"synthesized into {outdir}")
    for stack in assembly.stacks:
        print(f"  {stack.stack_name:28} {stack.environment.region:16} {Path(stack.template_full_path)}")
    return summary(outdir)


if __name__ == "__main__":
    sys.exit(main())
