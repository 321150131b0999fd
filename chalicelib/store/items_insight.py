"""The items of what the service learned about its customers: a profile per customer, a summary per
segmentation run (keys: ``keys``). Derived data, rewritten whole by each run: not money."""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute

from .table import LedgerItem, item_meta


class ProfileItem(LedgerItem):
    """A customer's profile as the last run computed it (``profile`` is the whole view). The stream publisher
    turns a change of ``segment`` into ``segment.left`` / ``segment.entered``: keep these names."""

    Meta = item_meta()
    user_id = UnicodeAttribute()
    segment = UnicodeAttribute()
    run_id = UnicodeAttribute()
    computed_at = UnicodeAttribute()
    profile = MapAttribute(default=dict)
    member = MapAttribute(null=True)  # what index segment-members projects: balance and the RFM figures


class SegmentationItem(LedgerItem):
    """One segmentation run: its state and, when done, the segments' sizes and averages."""

    Meta = item_meta()
    run_id = UnicodeAttribute()
    state = UnicodeAttribute()  # queued | running | succeeded | failed
    as_of = UnicodeAttribute(null=True)  # the UTC day the run computes for
    requested_by = UnicodeAttribute(null=True)  # who asked for it (POST /v1/admin/segmentations); none: the schedule
    started_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    customers = NumberAttribute(default=0)
    summary = MapAttribute(default=dict)
    error = UnicodeAttribute(null=True)
