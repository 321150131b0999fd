"""cdk-nag acknowledgements: every one next to the resource it concerns, with its reason.

Called as ``nag.suppress(...)`` everywhere, so a test can switch them all off at once
(tests/infra/test_checks.py shows synthesis fails without them).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import Construct


def suppress(construct: Construct, *reasons: tuple[str, str] | tuple[str, str, list[str]]) -> None:
    """Acknowledge cdk-nag findings on a construct and its children, each with its reason.

    (rule, reason) or (rule, reason, [finding, ...]) for rules that report per finding (IAM4, IAM5).
    """
    validations = Validations.of(construct)
    for rule, reason, *applies in reasons:
        ids = [f"{rule}[{finding}]" for finding in applies[0]] if applies else [rule]
        for rule_id in ids:
            validations.acknowledge(Acknowledgment(id=rule_id, reason=reason))
