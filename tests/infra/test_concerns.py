"""The service stack's split into concerns keeps every logical id, and the function table is consistent.

Fast: no synthesis of the service (tests/infra/test_stacks.py and test_events.py check the templates).
"""

from __future__ import annotations

import dataclasses
import os

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from constructs import Construct

from chalicelib.events.catalogue import CONSUMERS
from infra.concerns.base import Concern, ConcernStack, make_unique_id
from infra.functions import BY_ID, FUNCTIONS, LAYERS, BusRule, OneTimeSchedules, check

PATHS = [
    ["Ledger"],
    ["Users", "Resource"],
    ["ServiceKey", "Alias", "Resource"],
    ["ApiHandlerRole", "DefaultPolicy", "Resource"],
    ["LifecycleRule", "AllowEventRuledevLifecycleFunction6CDD2FD1"],
    ["Default", "Thing"],
    ["A", "Default"],
    ["Edge", "Origin1"],
    ["Alarms", "Alarms"],
    ["x-y.z", "Resource"],
    ["Aaa", "aa", "a"],
    ["Long" * 70],
    ["Long" * 40, "Longer" * 40, "Resource"],
]


def _nest(scope: Construct, path: list[str]) -> cdk.CfnResource:
    for part in path[:-1]:
        scope = scope.node.try_find_child(part) or Construct(scope, part)
    return cdk.CfnResource(scope, path[-1], type="AWS::SQS::Queue")


@pytest.mark.parametrize("path", PATHS, ids=lambda p: "/".join(p)[:40])
def test_make_unique_id_is_cdks(path):
    stack = cdk.Stack(cdk.App(), "dev")
    element = _nest(stack, path)
    assert make_unique_id(path) == stack.get_logical_id(element)


def test_a_concern_is_left_out_of_its_resources_logical_ids():
    app = cdk.App()
    plain, split = cdk.Stack(app, "plain"), ConcernStack(app, "split")
    for path in (["ServiceKey", "Alias", "Resource"], ["Ledger"], ["Outer", "Inner"]):
        flat = _nest(plain, path)
        nested = _nest(Concern(Concern(split, f"Part{len(path)}"), "Sub"), path)
        assert split.get_logical_id(nested) == plain.get_logical_id(flat)
    at_root = _nest(split, ["AtRoot", "Resource"])  # what is not in a concern is named as CDK names it
    assert split.get_logical_id(at_root) == plain.get_logical_id(_nest(plain, ["AtRoot", "Resource"]))


def test_two_concerns_making_the_same_logical_id_fail_synthesis():
    app = cdk.App()
    stack = ConcernStack(app, "dev")
    _nest(Concern(stack, "One"), ["Queue"])
    _nest(Concern(stack, "Two"), ["Queue"])
    with pytest.raises(Exception, match="already contains 'Queue'"):
        app.synth()


# ------------------------------------------------------------------ the function table
def test_the_table_is_consistent_with_the_catalogue():
    check(FUNCTIONS, CONSUMERS)
    assert {s.trigger.consumer for s in FUNCTIONS if isinstance(s.trigger, BusRule)} == set(CONSUMERS)


def _replace(logical_id: str, **changes) -> tuple:
    return tuple(dataclasses.replace(s, **changes) if s.logical_id == logical_id else s for s in FUNCTIONS)


@pytest.mark.parametrize(
    "functions,consumers,message",
    [
        (FUNCTIONS, {**CONSUMERS, "analytics": {}}, "bus consumer 'analytics' has no function"),
        (
            FUNCTIONS
            + (
                dataclasses.replace(
                    FUNCTIONS[4],
                    chalice_name="nobody",
                    trigger=BusRule("nobody"),
                    logical_id="",
                    name="",
                    alarm_prefix="",
                ),
            ),
            CONSUMERS,
            "consumers the catalogue does not have",
        ),
        (_replace("Remind", name="lifecycle"), CONSUMERS, "two functions share a name"),
        (
            _replace("Remind", trigger=BY_ID["Promotions"].trigger),
            CONSUMERS,
            "exactly one function is started by Scheduler",
        ),
        (_replace("Promotions", trigger=BusRule("lifecycle")), CONSUMERS, "two functions share a bus consumer"),
        (_replace("Remind", layers=("numpy",)), CONSUMERS, r"Remind: layers \['numpy'\] are not distinct names"),
        (
            _replace("Segmentation", layers=("segmentation", "segmentation")),
            CONSUMERS,
            "Segmentation: layers .* are not distinct names of LAYERS",
        ),
    ],
)
def test_a_table_the_stack_cannot_be_built_from_is_refused(functions, consumers, message):
    assert isinstance(BY_ID["Promotions"].trigger, OneTimeSchedules) and isinstance(FUNCTIONS[4].trigger, BusRule)
    with pytest.raises(ValueError, match=message):
        check(functions, consumers)


def test_only_the_analyses_jobs_run_with_a_layer_and_every_layer_is_used():
    assert {s.logical_id: s.layers for s in FUNCTIONS if s.layers} == {
        "SegmentDaily": ("segmentation",),
        "Segmentation": ("segmentation",),
        "CampaignMeasurement": ("segmentation",),  # scipy's Welch interval
    }
    assert {name for s in FUNCTIONS for name in s.layers} == set(LAYERS)
