"""The post-deploy smoke checks against the real local stack, and the stage lookup against CloudFormation (moto)."""
from __future__ import annotations

import json
import subprocess
import sys

import boto3

from infra.smoke import NOT_APPLICABLE, PASS, Target, run_checks, stack_target
from infra.stages import ROOT, STAGE_SETTINGS


def test_the_local_api_passes_every_check_that_applies_without_cloudfront(local_stack):
    results = {r.check: r for r in run_checks(Target(url=f"{local_stack.api_url}/v1"))}
    assert {r.outcome for r in results.values()} == {PASS, NOT_APPLICABLE}
    for check in ("health answers through the public URL", "a private route refuses a missing token (401)",
                  "a private route refuses a forged token (401)"):
        assert results[check].outcome == PASS, results[check]


def test_the_command_exits_non_zero_when_a_check_fails(local_stack):
    ok = subprocess.run([sys.executable, "-m", "infra.smoke", "--url", f"{local_stack.api_url}/v1"], cwd=ROOT,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    wrong = subprocess.run([sys.executable, "-m", "infra.smoke", "--url", f"{local_stack.api_url}/nowhere"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 1
    assert "FAIL health answers through the public URL" in wrong.stdout


def test_a_stage_is_found_by_its_stack_outputs(local_stack):
    """`make smoke STAGE=dev` reads the URLs the service stack exports (infra/stacks.py CfnOutputs)."""
    region = "ap-southeast-1"
    cfn = boto3.client("cloudformation", region_name=region, endpoint_url=local_stack.aws_endpoint)
    name = STAGE_SETTINGS["dev"].prefix
    outputs = {"Url": {"Value": "https://d111111abcdef8.cloudfront.net/v1/"}, "RestApiId": {"Value": "a1b2c3d4e5"}}
    cfn.create_stack(StackName=name, TemplateBody=json.dumps({
        "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}, "Outputs": outputs}))
    try:
        target = stack_target("dev", region, endpoint_url=local_stack.aws_endpoint)
    finally:
        cfn.delete_stack(StackName=name)
    assert target == Target(url="https://d111111abcdef8.cloudfront.net/v1",
                            origin=f"https://a1b2c3d4e5.execute-api.{region}.amazonaws.com/"
                                   f"{STAGE_SETTINGS['dev'].api_stage}/v1")
