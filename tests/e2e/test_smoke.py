"""The post-deploy smoke checks against the real local stack, and the stage lookup against CloudFormation (moto)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import boto3

from dev.stack import issue_token
from infra.smoke import FAIL, NOT_APPLICABLE, PASS, Target, run_checks, stack_target
from infra.stages import ROOT, STAGE_SETTINGS


def test_the_local_api_passes_every_check_that_applies_without_cloudfront(local_stack):
    results = {r.check: r for r in run_checks(Target(url=f"{local_stack.api_url}/v1"))}
    assert {r.outcome for r in results.values()} == {PASS, NOT_APPLICABLE}
    for check in (
        "health answers through the public URL",
        "a private route refuses a missing token (401)",
        "a private route refuses a forged token (401)",
    ):
        assert results[check].outcome == PASS, results[check]


def test_a_real_token_is_let_through_and_a_forged_one_is_not(local_stack):
    check = "a valid ID token is let through (200)"
    token = issue_token(local_stack, "smoke-reader", [])
    real = {r.check: r for r in run_checks(Target(url=f"{local_stack.api_url}/v1", token=token))}
    assert real[check].outcome == PASS, real[check]
    forged = {r.check: r for r in run_checks(Target(url=f"{local_stack.api_url}/v1", token=token[:-4] + "AAAA"))}
    assert forged[check].outcome == FAIL
    assert token not in repr(Target(url="u", token=token))  # never printed


def test_the_command_exits_non_zero_when_a_check_fails(local_stack):
    env = {**os.environ, "SMOKE_TOKEN": issue_token(local_stack, "smoke-reader", [])}
    ok = subprocess.run(
        [sys.executable, "-m", "infra.smoke", "--url", f"{local_stack.api_url}/v1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "pass a valid ID token is let through" in ok.stdout
    assert env["SMOKE_TOKEN"] not in ok.stdout
    wrong = subprocess.run(
        [sys.executable, "-m", "infra.smoke", "--url", f"{local_stack.api_url}/nowhere"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wrong.returncode == 1
    assert "FAIL health answers through the public URL" in wrong.stdout


def test_a_stage_is_found_by_its_stack_outputs(local_stack):
    """`make smoke STAGE=dev` reads the URLs the service stack exports (infra/stacks.py CfnOutputs)."""
    region = "ap-southeast-1"
    cfn = boto3.client("cloudformation", region_name=region, endpoint_url=local_stack.aws_endpoint)
    name = STAGE_SETTINGS["dev"].prefix
    outputs = {"Url": {"Value": "https://d111111abcdef8.cloudfront.net/v1/"}, "RestApiId": {"Value": "a1b2c3d4e5"}}
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(
            {"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}, "Outputs": outputs}
        ),
    )
    try:
        target = stack_target("dev", region, endpoint_url=local_stack.aws_endpoint)
    finally:
        cfn.delete_stack(StackName=name)
    assert target == Target(
        url="https://d111111abcdef8.cloudfront.net/v1",
        origin=f"https://a1b2c3d4e5.execute-api.{region}.amazonaws.com/{STAGE_SETTINGS['dev'].api_stage}/v1",
    )
