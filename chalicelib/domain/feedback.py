"""Feedback on a transaction: the record, its tags, the monthly partitions it is listed from, and the
listing's cursor.

Pure rules, no storage: which months a listing walks (newest first), the sort-key bounds of a date
range, and a cursor that is refused when it was edited or is sent with other filters.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from .errors import InvalidRequest

SUBJECT_KINDS = ("payment", "topup", "entry")
TAG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # a short lowercase slug: "slow", "wrong-amount"
MAX_TAGS = 10
MAX_TAG_LENGTH = 32
MAX_COMMENT = 1000
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# a listing's sort key: "{created_at}#{feedback_id}"
_SORT_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z#[A-Za-z0-9_]{1,64}$")


@dataclass(frozen=True)
class Subject:
    """The transaction rated, as found: whose it is and, for a payment (or an entry naming one), its merchant."""

    kind: str
    id: str
    user_id: str
    merchant_id: str | None = None


@dataclass(frozen=True)
class Feedback:
    """One customer's rating of one of their transactions (at most one per transaction)."""

    feedback_id: str
    user_id: str
    subject_kind: str
    subject_id: str
    rating: int
    created_at: str
    tags: tuple[str, ...] = ()
    comment: str | None = None
    merchant_id: str | None = None

    @property
    def month(self) -> str:
        return self.created_at[:7]

    def as_view(self) -> dict[str, Any]:
        return {
            "feedback_id": self.feedback_id,
            "subject": {"kind": self.subject_kind, "id": self.subject_id},
            "user_id": self.user_id,
            "rating": self.rating,
            "tags": list(self.tags),
            "comment": self.comment,
            "merchant_id": self.merchant_id,
            "created_at": self.created_at,
        }


def check_tags(tags: list[str]) -> tuple[str, ...]:
    """At most ``MAX_TAGS`` lowercase slugs, each named once (the order the customer gave is kept)."""
    if len(tags) > MAX_TAGS:
        raise InvalidRequest(f"at most {MAX_TAGS} tags", code="invalid_tags", field="tags")
    for tag in tags:
        if not (1 <= len(tag) <= MAX_TAG_LENGTH and TAG.match(tag)):
            raise InvalidRequest(
                f"tag {tag!r} is not a lowercase slug of at most {MAX_TAG_LENGTH} characters",
                code="invalid_tags",
                field="tags",
            )
    if len(set(tags)) != len(tags):
        raise InvalidRequest("a tag is named twice", code="invalid_tags", field="tags")
    return tuple(tags)


# ---- the listing: months, bounds, cursor ----------------------------------------------------


def months_newest_first(start: date, end: date) -> list[str]:
    """The UTC months ``YYYY-MM`` from the month of ``end`` back to the month of ``start`` (inclusive)."""
    if start > end:
        return []
    y, m = end.year, end.month
    out = []
    while (y, m) >= (start.year, start.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out


def sort_key_bounds(start: date, end: date) -> tuple[str, str]:
    """Sort-key bounds (inclusive) covering every feedback created on the days ``start`` .. ``end``.

    A sort key starts with its ISO time, so ``YYYY-MM-DD`` sorts before every key of that day and
    ``YYYY-MM-DD~`` ('~' sorts after 'T') after every key of that day and before the next day's."""
    return start.isoformat(), end.isoformat() + "~"


@dataclass(frozen=True)
class Position:
    """Where a listing goes on: the month to read, and the sort key to continue after (None: its newest)."""

    month: str
    after: str | None = None


@dataclass(frozen=True)
class ListingFilter:
    start: date
    end: date
    rating_lte: int | None = None
    tag: str | None = None
    merchant_id: str | None = None

    def fingerprint(self) -> str:
        return json.dumps(
            [self.start.isoformat(), self.end.isoformat(), self.rating_lte, self.tag, self.merchant_id],
            separators=(",", ":"),
        )


def _digest(filters: ListingFilter, month: str, after: str | None) -> str:
    raw = f"{filters.fingerprint()}|{month}|{after or ''}".encode()
    return hashlib.sha256(b"feedback-cursor-v1|" + raw).hexdigest()[:32]


def encode_cursor(filters: ListingFilter, position: Position) -> str:
    """Opaque: the position and a digest binding it to the listing's filters."""
    doc = {"m": position.month, "a": position.after, "d": _digest(filters, position.month, position.after)}
    return base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, filters: ListingFilter) -> Position:
    """The position a cursor names; 400 ``invalid_cursor`` if it was changed, is not one this API returned,
    or was returned for other filters (a cursor continues the listing it came from, nothing else)."""

    def refuse(why: str) -> InvalidRequest:
        return InvalidRequest(f"cursor is not one this listing returned ({why})", code="invalid_cursor", field="cursor")

    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        doc = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as exc:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise refuse("unreadable") from exc
    if not isinstance(doc, dict) or set(doc) != {"m", "a", "d"}:
        raise refuse("unreadable")
    month, after, digest = doc["m"], doc["a"], doc["d"]
    if not isinstance(month, str) or not _MONTH.match(month) or not isinstance(digest, str):
        raise refuse("unreadable")
    if after is not None and not (isinstance(after, str) and _SORT_KEY.match(after) and after[:7] == month):
        raise refuse("unreadable")
    if digest != _digest(filters, month, after):
        raise refuse("changed, or sent with other filters")
    if month not in months_newest_first(filters.start, filters.end):
        raise refuse("outside the dates asked for")
    return Position(month, after)
