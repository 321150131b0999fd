"""Segments and customer profiles (admin): what the last segmentation runs found."""

from __future__ import annotations

from chalice import Blueprint

from .. import bootstrap
from ..services import profiles
from .routing import Call, route

bp = Blueprint(__name__)


@route(
    bp,
    "/v1/admin/segments",
    "GET",
    name="listSegments",
    summary="The last segmentation run's segments: size, what they are, the suggested strategy (admin)",
    access="admin",
    response="segments.SegmentsOut",
    tag="insight",
)
def list_segments(call: Call) -> dict:
    return profiles.segments(bootstrap.profile_store())


@route(
    bp,
    "/v1/admin/segments/history",
    "GET",
    name="segmentHistory",
    summary="Every segmentation run's segment sizes, newest first (admin)",
    access="admin",
    response="segments.SegmentHistoryOut",
    tag="insight",
)
def segment_history(call: Call) -> dict:
    return profiles.history(bootstrap.profile_store())


@route(
    bp,
    "/v1/admin/customers/{user_id}/profile",
    "GET",
    name="customerProfile",
    summary="A customer's profile: segment, RFM, behaviour, prediction (admin; one key read)",
    access="admin",
    response="segments.ProfileOut",
    tag="insight",
)
def customer_profile(call: Call, user_id: str) -> dict:
    return profiles.profile(bootstrap.profile_store(), user_id)


@route(
    bp,
    "/v1/admin/segments/{name}/members",
    "GET",
    name="segmentMembers",
    summary="The members of a segment as the last run left them, page by page (admin)",
    access="admin",
    query="segments.MembersQuery",
    response="segments.MembersOut",
    tag="insight",
)
def segment_members(call: Call, name: str) -> dict:
    return profiles.members(bootstrap.profile_store(), name, call.query.limit, call.query.cursor)


@route(
    bp,
    "/v1/admin/segmentations",
    "POST",
    name="requestSegmentation",
    summary="Run the segmentation now (queued; the job runs it once): 202 with its run id (admin)",
    access="admin",
    body="segments.SegmentationRequest",
    response="segments.SegmentationQueuedOut",
    status=202,
    tag="insight",
)
def request_segmentation(call: Call) -> dict:
    return profiles.request_run(bootstrap.profile_store(), call.caller.user_id, call.body.as_of)


@route(
    bp,
    "/v1/admin/segmentations/{run_id}",
    "GET",
    name="segmentationRun",
    summary="A segmentation run's state and, once it succeeded, its counts per segment (admin)",
    access="admin",
    response="segments.SegmentationStateOut",
    tag="insight",
)
def segmentation_run(call: Call, run_id: str) -> dict:
    return profiles.run_state(bootstrap.profile_store(), run_id)
