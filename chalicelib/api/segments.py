"""Segments and customer profiles (admin): what the last segmentation runs found."""

from __future__ import annotations

from chalice import Blueprint

from .. import bootstrap
from ..services import profiles
from .routing import Call, route
from .schemas.segments import ProfileOut, SegmentHistoryOut, SegmentsOut

bp = Blueprint(__name__)


@route(
    bp,
    "/v1/admin/segments",
    "GET",
    name="listSegments",
    summary="The last segmentation run's segments: size, what they are, the suggested strategy (admin)",
    access="admin",
    response=SegmentsOut,
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
    response=SegmentHistoryOut,
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
    response=ProfileOut,
    tag="insight",
)
def customer_profile(call: Call, user_id: str) -> dict:
    return profiles.profile(bootstrap.profile_store(), user_id)
