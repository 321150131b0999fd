"""checkov suppressions: every one on the resource it concerns, with its reason (like ``nag.suppress``).

checkov reads ``Metadata: {checkov: {skip: [{id, comment}]}}`` on a CloudFormation resource; ``make scan`` and
tests/infra/test_scans.py run it on the synthesized templates and fail on any finding without one.
"""

from __future__ import annotations

from typing import Union

from aws_cdk import CfnResource
from constructs import Construct

MIN_REASON = 30  # characters: a reason says why, not just "ok" (tests/infra/test_scans.py)


def skip(resource: Union[Construct, CfnResource], *reasons: tuple[str, str]) -> None:
    """Skip checkov checks on ``resource`` (a CloudFormation resource, or an L2 construct whose default child is
    one), each ``(check id, one-line reason)``; added to the skips it already has."""
    cfn = resource if isinstance(resource, CfnResource) else resource.node.default_child
    if not isinstance(cfn, CfnResource):
        raise TypeError(f"{resource.node.path}: no CloudFormation resource to put checkov's skips on")
    skips = list((cfn.get_metadata("checkov") or {}).get("skip", []))
    for check_id, comment in reasons:
        if not check_id.startswith("CKV") or len(comment) < MIN_REASON:
            raise ValueError(f"{cfn.node.path}: {check_id!r} needs a check id and a reason, not {comment!r}")
        skips.append({"id": check_id, "comment": comment})
    cfn.add_metadata("checkov", {"skip": skips})
