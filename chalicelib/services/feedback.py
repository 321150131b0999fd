"""Feedback tied to a transaction: a customer rates one of their payments, top-ups or ledger entries, once;
operators list it newest first."""

from __future__ import annotations

import random
import time
from datetime import date
from typing import Any

from ..domain import access
from ..domain.errors import ConcurrentUpdate, Forbidden, InvalidRequest, NotFound, ReadChanged
from ..domain.feedback import (
    Feedback,
    ListingFilter,
    Position,
    check_tags,
    decode_cursor,
    encode_cursor,
    months_newest_first,
    sort_key_bounds,
)
from ..domain.moments import format_time, parse_day
from ..domain.model import Principal, new_id
from ..observability import capture_method
from . import clock
from .common import IdempotentRequest, Outcome, record_once, replay
from .ports import FeedbackRecords, FeedbackStore

ATTEMPTS = 5  # a submission cancelled by a concurrent transaction (not by a condition) is tried this often
DEFAULT_MONTHS = 12  # without ``from``, a listing starts on the 1st of the 12th month back (``to``'s month is one)
MAX_QUERIES = 16  # Queries one listing request makes at most; then it answers with what it has and a cursor
FILTERED_PAGE = 200  # items a filtered Query evaluates per call


def customer_view(fb: Feedback) -> dict[str, Any]:
    view = fb.as_view()
    del view["user_id"]
    return view


@capture_method
def submit(
    store: FeedbackStore,
    principal: Principal,
    request: IdempotentRequest,
    *,
    kind: str,
    subject_id: str,
    rating: int,
    tags: list[str],
    comment: str | None,
) -> Outcome:
    """Record a customer's feedback on one of their own transactions.

    Invariants: at most one feedback per transaction (a guard item written with it, only if absent);
    someone else's transaction or an unknown one is not found (its existence is private); the key
    replays the first answer and the answer is committed with the feedback.
    """
    if not access.is_customer(principal):
        raise Forbidden("feedback is given by customers about their own transactions")
    checked_tags = check_tags(tags)
    for attempt in range(ATTEMPTS):
        record, subject = store.read_subject(kind, subject_id, principal.user_id, (request.scope, request.key))
        previous = replay(record, request)
        if previous is not None:
            return previous
        if subject is None or subject.user_id != principal.user_id:
            raise NotFound(kind, subject_id)
        fb = Feedback(
            feedback_id=new_id("fb"),
            user_id=principal.user_id,
            subject_kind=kind,
            subject_id=subject_id,
            rating=rating,
            created_at=format_time(clock.now()),
            tags=checked_tags,
            comment=comment,
            merchant_id=subject.merchant_id,
        )
        try:
            return record_once(store, request, Outcome(201, customer_view(fb)), lambda rec: store.add_feedback(fb, rec))  # noqa: B023 - called in this iteration
        except ReadChanged:  # a concurrent transaction on the guard or the key: read again, then decide
            time.sleep(random.uniform(0, 0.01 * (2**attempt)))  # nosec B311 - retry jitter, not security
    raise ConcurrentUpdate(ATTEMPTS)


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def listing_filter(
    start: str | None, end: str | None, rating_lte: int | None, tag: str | None, merchant_id: str | None, today: date
) -> ListingFilter:
    """The days asked for (``to`` defaults to today UTC, ``from`` to the first day of the ``DEFAULT_MONTHS``-th
    month back, counting ``to``'s), both inclusive, and the filters."""
    last = parse_day(end, "to") or today
    first = parse_day(start, "from") or _months_back(last, DEFAULT_MONTHS - 1)
    if first > last:
        raise InvalidRequest("from must not be after to", code="invalid_date_range", field="from")
    if tag is not None:
        check_tags([tag])
    return ListingFilter(first, last, rating_lte, tag, merchant_id)


@capture_method
def list_feedback(
    store: FeedbackRecords,
    *,
    start: str | None,
    end: str | None,
    rating_lte: int | None,
    tag: str | None,
    merchant_id: str | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """A page of feedback, newest first, across the months of the range (one Query per month partition, and
    per 1 MB or ``FILTERED_PAGE`` items in it). A request makes at most ``MAX_QUERIES`` Queries: a page may
    then hold fewer than ``limit`` items (even none) with a ``next_cursor`` to go on from."""
    filters = listing_filter(start, end, rating_lte, tag, merchant_id, clock.now().date())
    months = months_newest_first(filters.start, filters.end)
    position = decode_cursor(cursor, filters) if cursor else Position(months[0])
    low, high = sort_key_bounds(filters.start, filters.end)
    filtered = rating_lte is not None or tag is not None or merchant_id is not None
    page_size = FILTERED_PAGE if filtered else limit + 1
    found: list[tuple[str, Feedback]] = []
    for _ in range(MAX_QUERIES):
        rows, last = store.feedback_page(
            position.month,
            low,
            high,
            position.after,
            rating_lte=rating_lte,
            tag=tag,
            merchant_id=merchant_id,
            page_size=page_size,
        )
        for sort_key, fb in rows:
            found.append((sort_key, fb))
            if len(found) > limit:  # one more than the page: there is a next page, it starts after the last shown
                sk, shown = found[limit - 1]
                return _page(found[:limit], encode_cursor(filters, Position(shown.month, sk)))
        if last is not None:
            position = Position(position.month, last)
            continue
        older = months.index(position.month) + 1
        if older == len(months):
            return _page(found, None)
        position = Position(months[older])
    return _page(found, encode_cursor(filters, position))


def _page(rows: list[tuple[str, Feedback]], next_cursor: str | None) -> dict[str, Any]:
    return {"items": [fb.as_view() for _, fb in rows], "next_cursor": next_cursor}
