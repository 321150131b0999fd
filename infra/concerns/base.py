"""What every concern shares: its base class, which keeps the logical ids they had in one stack class.

The service stack was once a single class whose resources were the stack's direct children; their logical
ids (``Ledger``, ``ApiHandlerRole7074C5BF``, ...) are CloudFormation's identity of each deployed resource,
and a new id is a new resource (a new table, the old one deleted). A ``Concern`` groups a part of the stack
in the construct tree (``dev/Table/Ledger``: cdk-nag's report and the tree say which part a finding is in)
but is left out of its resources' logical ids: ``ConcernStack`` allocates ids from the path without the
concerns, with CDK's own algorithm (``make_unique_id``; tests/infra/test_concerns.py checks it against
CDK's). Two concerns making the same id fail synthesis (CDK refuses a duplicate in a template section).

A few things CDK names after a construct's *path*, not its logical id: an EventBridge target's Lambda
permission and dead-letter queue policy Sid (after the rule's and the function's paths), CloudFront's origin
id (after the distribution's). Those constructs are made at the stack's root (``root``), as before.
"""

from __future__ import annotations

import hashlib
import re

from aws_cdk import CfnElement, RemovalPolicy, Stack, aws_logs as logs
from constructs import Construct

from ..stages import Stage

RETENTION = {
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def retain(stage: Stage) -> RemovalPolicy:
    """Prod keeps its data and its keys when a resource (or the stack) is deleted; dev cleans up."""
    return RemovalPolicy.RETAIN if stage.production else RemovalPolicy.DESTROY


class Concern(Construct):
    """A part of the service stack; not a component of its resources' logical ids (see the module)."""


def root(scope: Construct) -> Stack:
    """The stack, as the scope of a construct CDK names after its path (see the module)."""
    return Stack.of(scope)


# CDK's makeUniqueId (aws-cdk-lib core/lib/private/uniqueid.ts), which it does not export
_HIDDEN_ID, _HIDDEN_FROM_HUMAN_ID, _HASH_LEN, _MAX_HUMAN_LEN, _MAX_ID_LEN = "Default", "Resource", 8, 240, 255


def make_unique_id(components: list[str]) -> str:
    components = [c for c in components if c != _HIDDEN_ID]
    if not components:
        raise ValueError("no components to make a logical id of")

    def alnum(s: str) -> str:
        return re.sub(r"[^A-Za-z0-9]", "", s)

    if len(components) == 1 and len(alnum(components[0])) <= _MAX_ID_LEN:
        return alnum(components[0])
    digest = hashlib.md5("/".join(components).encode(), usedforsecurity=False).hexdigest()[:_HASH_LEN].upper()
    human: list[str] = []
    for c in components:  # a component that repeats the end of the previous one is left out
        if not human or not human[-1].endswith(c):
            human.append(c)
    return "".join(alnum(c) for c in human if c != _HIDDEN_FROM_HUMAN_ID)[:_MAX_HUMAN_LEN] + digest


def logical_id(stack: Stack, element: CfnElement) -> str:
    """The id CDK would give ``element`` if no ``Concern`` were on its path from ``stack``."""
    scopes = element.node.scopes
    start = [s.node.path for s in scopes].index(stack.node.path) + 1
    return make_unique_id([s.node.id for s in scopes[start:] if not isinstance(s, Concern)])


class ConcernStack(Stack):
    """A stack whose ``Concern``s do not take part in its resources' logical ids."""

    def _allocate_logical_id(self, cfn_element: CfnElement) -> str:  # CDK's protected allocateLogicalId
        return logical_id(self, cfn_element)
